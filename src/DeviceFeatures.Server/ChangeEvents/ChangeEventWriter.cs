using System.Security.Cryptography;
using System.Text.Json;
using DeviceFeatures.Protocol.Admin;
using DeviceFeatures.Protocol.Callbacks;
using DeviceFeatures.Server.Device;
using DeviceFeatures.Server.Partners;
using DeviceFeatures.Server.Storage;

namespace DeviceFeatures.Server.ChangeEvents;

/// <summary>
/// Writes change events into the outbox, in the transaction of the change that causes them, so that an event exists
/// if and only if its change committed. A partner receives events only while it has a callback URL: none is written
/// for a partner without one (read in the same transaction). Once the transaction has committed the dispatcher is
/// woken; it never runs on the request's path.
/// </summary>
internal sealed class ChangeEventWriter(ChangeEventSignal signal)
{
    /// <summary>
    /// <c>feature.changed</c> for a user's accepted choice, with the devices whose versions it bumped, and for each of
    /// them the report it now owes for the feature (replacing one owed for an older change).
    /// </summary>
    public async Task FeatureChangedAsync(
        StoreSession session, string clientId, int userId, int model, string featureName, bool active, IReadOnlyList<(string Mac, long Version)> devices, long now)
    {
        if (await session.FindPartnerAsync(clientId).ConfigureAwait(false) is not { CallbackUrl: not null })
        {
            return;
        }

        await session.InsertChangeEventAsync(new ChangeEventRow
        {
            EventId = NewEventId(),
            ClientId = clientId,
            Type = ChangeEventNames.FeatureChanged,
            UserId = userId,
            Model = model,
            FeatureName = featureName,
            Active = active,
            Devices = DevicesJson(devices),
            CreatedAt = now,
            State = ChangeEventStates.Pending,
            NextAttemptAt = now,
        }).ConfigureAwait(false);
        foreach (var (mac, version) in devices)
        {
            await session.OweReportAsync(new OwedReportRow
            {
                MacAddress = mac,
                FeatureName = featureName,
                Version = version,
                ClientId = clientId,
                UserId = userId,
                Model = model,
                Active = active,
            }).ConfigureAwait(false);
        }

        session.AfterCommit(signal.Wake);
    }

    /// <summary>
    /// <c>feature.applied</c> or <c>feature.failed</c> for each recorded feature report that covers a report the device
    /// owes (its version is the owed one or newer); the owed report is settled either way. Reports that settle nothing
    /// emit nothing.
    /// </summary>
    public async Task DeviceReportedAsync(StoreSession session, string macAddress, IEnumerable<DeviceReportRow> reports, long now)
    {
        var callbacks = new Dictionary<string, bool>(StringComparer.Ordinal);
        var wrote = false;
        foreach (var report in reports)
        {
            if (await session.TakeOwedReportAsync(macAddress, report.FeatureName, report.Version).ConfigureAwait(false) is not { } owed)
            {
                continue;
            }

            // The URL may have been cleared since the change: then the owed report is settled without an event.
            if (!callbacks.TryGetValue(owed.ClientId, out var hasCallback))
            {
                callbacks[owed.ClientId] = hasCallback = await session.FindPartnerAsync(owed.ClientId).ConfigureAwait(false) is { CallbackUrl: not null };
            }

            if (!hasCallback)
            {
                continue;
            }

            await session.InsertChangeEventAsync(new ChangeEventRow
            {
                EventId = NewEventId(),
                ClientId = owed.ClientId,
                Type = report.Applied ? ChangeEventNames.FeatureApplied : ChangeEventNames.FeatureFailed,
                UserId = owed.UserId,
                Model = owed.Model,
                FeatureName = owed.FeatureName,
                Active = owed.Active,
                MacAddress = macAddress,
                Version = report.Version,
                Reason = report.Applied ? null : report.Reason ?? "",
                CreatedAt = now,
                State = ChangeEventStates.Pending,
                NextAttemptAt = now,
            }).ConfigureAwait(false);
            wrote = true;
        }

        if (wrote)
        {
            session.AfterCommit(signal.Wake);
        }
    }

    /// <summary>
    /// Wakes the dispatcher once <paramref name="session"/> has committed, for events the session's statement wrote
    /// itself (<c>devicefeatures_set_feature</c> on PostgreSQL, with the same rows as <see cref="FeatureChangedAsync"/>).
    /// </summary>
    public void Written(StoreSession session) => session.AfterCommit(signal.Wake);

    /// <summary>32 lowercase hexadecimal characters, random: unguessable, and the same on every attempt.</summary>
    public static string NewEventId() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));

    private static string DevicesJson(IReadOnlyList<(string Mac, long Version)> devices)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartArray();
            foreach (var (mac, version) in devices.OrderBy(d => d.Mac, StringComparer.Ordinal))
            {
                json.WriteStartObject();
                json.WriteString("mac_address"u8, mac);
                json.WriteNumber("version"u8, version);
                json.WriteEndObject();
            }

            json.WriteEndArray();
        }

        return System.Text.Encoding.UTF8.GetString(buffer.ToArray());
    }
}
