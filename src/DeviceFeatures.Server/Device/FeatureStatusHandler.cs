using System.Text.Json;
using DeviceFeatures.Protocol.Parameters;
using DeviceFeatures.Server.Catalog;
using DeviceFeatures.Server.Signature;
using DeviceFeatures.Server.Wire;

namespace DeviceFeatures.Server.Device;

/// <summary>
/// <c>getfeaturestatus</c>, our extension of <c>/v2/device</c> (docs/protocol.md): per device of the user's model, whether
/// it runs each feature as desired. Its parameters and refusals are <c>getfeatures</c>' (plus an optional
/// <c>feature_name</c>, checked like <c>enablefeature</c>'s), so that a partner learns nothing more about another
/// partner's users than <c>getfeatures</c> tells.
/// </summary>
internal sealed class FeatureStatusHandler(CatalogProvider catalog, DeviceSyncReader syncs, TimeProvider time) : ISignedHandler<FeatureRequest>
{
    public (FeatureRequest Parameters, WireResult? Refusal) Read(WireParameters parameters) =>
        FeatureRequest.Read(parameters, catalog.Current,
            needsFeature: parameters.TryGet(WireParameterNames.FeatureName, out _));

    public async ValueTask<WireResult> HandleAsync(SignedCall call, FeatureRequest request, SignedSession signed)
    {
        var session = signed.Store;
        var user = await session.FindUserAsync(request.UserId);
        if (user is null || user.ClientId != call.Partner.ClientId)
        {
            return Refusals.UnknownUser(request.UserId);
        }

        // The same inputs as the device's own pull: what is listed as desired is what the device is told to run.
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        var inputs = await ConfigurationInputs.ReadAsync(session, request.UserId, user.ClientId, request.Model);
        var programme = (await session.ListUserProgrammeAsync(request.UserId, request.Model))
            .ToDictionary(p => p.MacAddress, p => p.At(now), StringComparer.Ordinal);
        var devices = new List<DeviceSync>();
        foreach (var device in (await session.ListDevicesAsync(request.UserId)).Where(d => d.Model == request.Model).OrderBy(d => d.MacAddress, StringComparer.Ordinal))
        {
            var desired = EffectiveConfiguration.Of(catalog.Current, device.Model, device.Market, programme[device.MacAddress], inputs)
                .Where(f => request.Feature is null || f.FeatureName == request.Feature.Name).ToArray();
            devices.Add(await syncs.ReadAsync(session, device.MacAddress, desired));
        }

        return WireResult.Ok(w =>
        {
            w.WriteStartArray("devices"u8);
            foreach (var device in devices)
            {
                w.WriteStartObject();
                w.WriteString("mac_address"u8, device.MacAddress);
                WriteSeconds(w, "last_seen"u8, device.LastSeenAt);
                WriteText(w, "firmware"u8, device.Firmware);
                w.WriteStartArray("features"u8);
                foreach (var f in device.Features)
                {
                    w.WriteStartObject();
                    w.WriteString("feature_name"u8, f.FeatureName);
                    w.WriteString("status"u8, f.Status);
                    w.WriteBoolean("active"u8, f.Active);
                    w.WriteNumber("version"u8, f.Version);
                    WriteNumber(w, "reported_version"u8, f.ReportedVersion);
                    if (f.ReportedActive is { } reported)
                    {
                        w.WriteBoolean("reported_active"u8, reported);
                    }
                    else
                    {
                        w.WriteNull("reported_active"u8);
                    }

                    WriteText(w, "reason"u8, f.Reason);
                    WriteSeconds(w, "reported_at"u8, f.ReportedAt);
                    w.WriteEndObject();
                }

                w.WriteEndArray();
                w.WriteEndObject();
            }

            w.WriteEndArray();
        });
    }

    // Every member is always written, null when unknown, so that a client reads one shape.
    private static void WriteSeconds(Utf8JsonWriter w, ReadOnlySpan<byte> name, long? milliseconds) =>
        WriteNumber(w, name, milliseconds is { } ms ? ms / 1000 : null);

    private static void WriteNumber(Utf8JsonWriter w, ReadOnlySpan<byte> name, long? value)
    {
        if (value is { } v)
        {
            w.WriteNumber(name, v);
        }
        else
        {
            w.WriteNull(name);
        }
    }

    private static void WriteText(Utf8JsonWriter w, ReadOnlySpan<byte> name, string? value)
    {
        if (value is not null)
        {
            w.WriteString(name, value);
        }
        else
        {
            w.WriteNull(name);
        }
    }
}
