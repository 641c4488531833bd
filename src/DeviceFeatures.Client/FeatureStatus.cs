using System.Globalization;
using System.Text.Json;
using DeviceFeatures.Protocol.Admin;

namespace DeviceFeatures.Client;

/// <summary>
/// Whether a device runs a feature as chosen, as <c>getfeaturestatus</c> answers it, e.g. <c>in_sync</c>. An open value:
/// a status this version does not know is carried as it is, so an answer from the service never breaks a caller.
/// </summary>
/// <param name="Value">The status as sent on the wire.</param>
public readonly record struct SyncStatus(string Value)
{
    /// <summary>The device reported that it runs the desired value.</summary>
    public static SyncStatus InSync { get; } = new(FeatureSyncStatuses.InSync);

    /// <summary>The device has not reported the desired value yet (it is online: it should soon).</summary>
    public static SyncStatus Pending { get; } = new(FeatureSyncStatuses.Pending);

    /// <summary>The device could not apply the desired value; <see cref="FeatureSyncStatus.Reason"/> says why.</summary>
    public static SyncStatus SyncFailed { get; } = new(FeatureSyncStatuses.SyncFailed);

    /// <summary>The device has not been seen for a while (an hour by default), or never.</summary>
    public static SyncStatus Unknown { get; } = new(FeatureSyncStatuses.Unknown);

    /// <summary>The device applied a configuration that a newer change had replaced; the newer one is still to come.</summary>
    public static SyncStatus Superseded { get; } = new(FeatureSyncStatuses.Superseded);

    /// <summary>The wire value.</summary>
    /// <returns><see cref="Value"/>.</returns>
    public override string ToString() => Value;
}

/// <summary>One device of the user, with the sync status of its features (<c>getfeaturestatus</c>).</summary>
/// <param name="MacAddress">The device's MAC address, lowercase with <c>:</c>.</param>
/// <param name="LastSeen">Its last request to the service, if it ever made one.</param>
/// <param name="Firmware">The firmware it last reported, if known.</param>
/// <param name="Features">Every feature of its model (or only the one asked for), in catalog order.</param>
public sealed record DeviceSyncStatus(string MacAddress, DateTimeOffset? LastSeen, string? Firmware, IReadOnlyList<FeatureSyncStatus> Features);

/// <summary>Whether a device runs one feature as chosen.</summary>
/// <param name="Name">The feature.</param>
/// <param name="Status">The sync status, e.g. <see cref="SyncStatus.InSync"/>.</param>
/// <param name="Active">The desired value: what the device is told to run, all rules applied.</param>
/// <param name="Version">The device's configuration version that carries the desired value.</param>
/// <param name="ReportedVersion">The version the device last reported for this feature, if any.</param>
/// <param name="ReportedActive">The state the device said it runs the feature in, if known.</param>
/// <param name="Reason">Why the device could not apply it, in the device's words, if it failed.</param>
/// <param name="ReportedAt">When the device last reported the feature.</param>
public sealed record FeatureSyncStatus(
    FeatureName Name, SyncStatus Status, bool Active, long Version, long? ReportedVersion, bool? ReportedActive, string? Reason, DateTimeOffset? ReportedAt);

/// <summary>Reads the answer of <c>getfeaturestatus</c> leniently: missing members are nulls, unknown ones ignored.</summary>
internal static class FeatureStatusWire
{
    public static IReadOnlyList<DeviceSyncStatus> ReadDevices(JsonElement body)
    {
        var devices = new List<DeviceSyncStatus>();
        if (body.ValueKind != JsonValueKind.Object || !body.TryGetProperty("devices", out var array) || array.ValueKind != JsonValueKind.Array)
        {
            return devices;
        }

        foreach (var d in array.EnumerateArray())
        {
            if (d.ValueKind != JsonValueKind.Object || Text(d, "mac_address") is not { } mac)
            {
                continue;
            }

            var features = new List<FeatureSyncStatus>();
            if (d.TryGetProperty("features", out var list) && list.ValueKind == JsonValueKind.Array)
            {
                foreach (var f in list.EnumerateArray())
                {
                    if (f.ValueKind == JsonValueKind.Object && Text(f, "feature_name") is { } name)
                    {
                        features.Add(new FeatureSyncStatus(new FeatureName(name), new SyncStatus(Text(f, "status") ?? ""), Bool(f, "active") ?? false,
                            Long(f, "version") ?? 0, Long(f, "reported_version"), Bool(f, "reported_active"), Text(f, "reason"), Time(f, "reported_at")));
                    }
                }
            }

            devices.Add(new DeviceSyncStatus(mac, Time(d, "last_seen"), Text(d, "firmware"), features));
        }

        return devices;
    }

    private static string? Text(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    private static bool? Bool(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v)
            ? v.ValueKind switch
            {
                JsonValueKind.True => true,
                JsonValueKind.False => false,
                JsonValueKind.Number => v.TryGetInt32(out var n) ? n != 0 : null,
                _ => null,
            }
            : null;

    private static long? Long(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v)
            ? v.ValueKind switch
            {
                JsonValueKind.Number when v.TryGetInt64(out var n) => n,
                JsonValueKind.String when long.TryParse(v.GetString(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var n) => n,
                _ => null,
            }
            : null;

    private static DateTimeOffset? Time(JsonElement e, string name) => Long(e, name) is { } seconds ? DateTimeOffset.FromUnixTimeSeconds(seconds) : null;
}
