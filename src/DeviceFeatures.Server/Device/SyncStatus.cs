using DeviceFeatures.Protocol.Admin;
using DeviceFeatures.Protocol.Catalog;
using DeviceFeatures.Server.DeviceApi;
using DeviceFeatures.Server.Storage;
using Microsoft.Extensions.Options;

namespace DeviceFeatures.Server.Device;

/// <summary>Whether a device runs one feature as desired (docs/device-api.md, "Sync status"); times in Unix milliseconds.</summary>
/// <param name="FeatureName">The feature.</param>
/// <param name="Status">One of <see cref="FeatureSyncStatuses"/>.</param>
/// <param name="Active">The desired value: what the device's current configuration says.</param>
/// <param name="Version">The device's current configuration version.</param>
/// <param name="ReportedVersion">The version of the feature's last report, if any.</param>
/// <param name="ReportedActive">What the device said it runs, if known.</param>
/// <param name="Reason">The device's reason, from the last report.</param>
/// <param name="ReportedAt">When the last report was received.</param>
internal sealed record FeatureSync(
    string FeatureName, string Status, bool Active, long Version, long? ReportedVersion, bool? ReportedActive, string? Reason, long? ReportedAt);

/// <summary>A device's sync status: what the device API knows of it, and each feature's status.</summary>
internal sealed record DeviceSync(
    string MacAddress, long Version, long? LastSeenAt, string? Firmware, long? ReportedVersion, long? ReportedAt, IReadOnlyList<FeatureSync> Features);

/// <summary>
/// The one computation of the sync status, shared by the admin API's effective view and the wire extension
/// <c>getfeaturestatus</c>. It is computed when read, from what is stored anyway (the device's version and when it
/// changed, its last request, its last report per feature), so that no write path has to maintain it.
/// </summary>
internal sealed class DeviceSyncReader(IOptions<DeviceApiOptions> options, TimeProvider time)
{
    /// <summary>Reads the device's sync state in the session's transaction and computes each desired feature's status.</summary>
    public async Task<DeviceSync> ReadAsync(StoreSession s, string macAddress, IReadOnlyList<EffectiveFeature> desired)
    {
        var sync = await s.FindDeviceSyncAsync(macAddress).ConfigureAwait(false);
        var reports = (await s.ListDeviceReportsAsync(macAddress).ConfigureAwait(false)).ToDictionary(r => r.FeatureName, StringComparer.Ordinal);
        var firmware = (await s.FindInventoryDeviceAsync(macAddress).ConfigureAwait(false))?.Firmware;
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        var version = sync?.Version ?? 0;
        var features = desired.Select(f =>
        {
            var report = reports.GetValueOrDefault(f.FeatureName);
            return new FeatureSync(f.FeatureName, SyncStatus.Of(sync, report, f.Active, now, options.Value.UnknownAfter), f.Active, version,
                report?.Version, report?.Active, report?.Reason, report?.ReportedAt);
        }).ToArray();
        return new DeviceSync(macAddress, version, sync?.LastSeenAt, firmware, sync?.ReportedVersion, sync?.ReportedAt, features);
    }
}

/// <summary>The rules of the sync status, in their order.</summary>
internal static class SyncStatus
{
    /// <summary>
    /// Fills in the state a report omits: for the device's current version, an applied feature runs the value that
    /// version configured; otherwise (an older version, a failure) what the device runs is not known and stays null.
    /// </summary>
    public static async Task CompleteReportedActiveAsync(
        StoreSession s, FeatureCatalog catalog, InventoryRow device, IReadOnlyList<DeviceReportRow> reports, long currentVersion, long nowMs)
    {
        var missing = reports.Where(r => r.Active is null && r.Applied && r.Version == currentVersion).ToList();
        if (missing.Count == 0)
        {
            return;
        }

        var (_, features) = await EffectiveConfiguration.OfDeviceAsync(s, catalog, device, nowMs).ConfigureAwait(false);
        var desired = features.ToDictionary(f => f.FeatureName, f => f.Active, StringComparer.Ordinal);
        foreach (var report in missing)
        {
            report.Active = desired.TryGetValue(report.FeatureName, out var active) ? active : null;
        }
    }

    /// <summary>The status of one feature of a device.</summary>
    /// <param name="sync">The device's version, when it changed, its last request and newest report (null: none yet).</param>
    /// <param name="report">The feature's last report (null: never reported).</param>
    /// <param name="desired">The value the device's current configuration gives the feature.</param>
    /// <param name="nowMs">Now, Unix milliseconds.</param>
    /// <param name="unknownAfter">How long a device may stay silent before its status is unknown.</param>
    public static string Of(DeviceSyncRow? sync, DeviceReportRow? report, bool desired, long nowMs, TimeSpan unknownAfter)
    {
        var version = sync?.Version ?? 0;

        // 1. The last report covers the current configuration: it says.
        if (report is not null && report.Version >= version)
        {
            return report.Applied ? FeatureSyncStatuses.InSync : FeatureSyncStatuses.SyncFailed;
        }

        // 2. An older report, but the device runs the value still desired: later changes did not touch this feature.
        if (report?.Active is { } active && active == desired)
        {
            return FeatureSyncStatuses.InSync;
        }

        // 3. Nothing can be expected of a device that has gone quiet (or never spoke).
        if (sync?.LastSeenAt is not { } seen || nowMs - seen > (long)unknownAfter.TotalMilliseconds)
        {
            return FeatureSyncStatuses.Unknown;
        }

        // 4. The device reported an older version after the current one was committed: it applied a configuration that
        // had already been replaced, and has yet to pull the current one.
        if (sync.ReportedVersion is { } reported && reported < version && sync.ReportedAt is { } at && at > sync.ChangedAt)
        {
            return FeatureSyncStatuses.Superseded;
        }

        return FeatureSyncStatuses.Pending;
    }
}
