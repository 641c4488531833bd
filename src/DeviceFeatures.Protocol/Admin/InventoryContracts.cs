namespace DeviceFeatures.Protocol.Admin;

/// <summary>A device to import into the inventory, one row of the operators' CSV file.</summary>
/// <param name="MacAddress">The MAC address: 12 hexadecimal digits, with <c>:</c>, <c>-</c> or no separators, any case.</param>
/// <param name="Model">The Withings model id, one of the catalog's.</param>
/// <param name="Market">The market, a region code of 2 or 3 letters such as <c>EU</c> or <c>US</c>.</param>
/// <param name="Firmware">The firmware version, if known (at most 64 characters).</param>
/// <param name="ClientId">The partner the device is assigned to; null for none yet.</param>
public sealed record DeviceImportRow(string? MacAddress, int? Model, string? Market, string? Firmware, string? ClientId);

/// <summary>The body of <c>POST /admin/api/devices/import</c>.</summary>
/// <param name="Devices">The rows, at most 1000 per request.</param>
public sealed record ImportDevicesRequest(IReadOnlyList<DeviceImportRow?>? Devices);

/// <summary>What became of one imported row.</summary>
/// <param name="Index">The row's position in the request, from 0.</param>
/// <param name="MacAddress">The normalised MAC address, or the text sent when it is not one.</param>
/// <param name="Outcome">One of <see cref="DeviceImportOutcomes"/>.</param>
/// <param name="Code">For a refused row, one of <see cref="AdminProblemCodes"/>.</param>
/// <param name="Reason">For a refused or updated row, a sentence for people.</param>
/// <param name="DeviceSecret">
/// For an imported row, the device's own secret for the device API (docs/device-api.md): shown here once, never again;
/// an operator issues a new one with <c>POST /admin/api/devices/{mac}/rotate-credential</c>.
/// </param>
public sealed record DeviceImportResult(int Index, string? MacAddress, string Outcome, string? Code, string? Reason, string? DeviceSecret = null);

/// <summary>The answer of <c>POST /admin/api/devices/import</c>: one result per row, in the order sent, and the counts.</summary>
/// <param name="Results">One per row.</param>
/// <param name="Imported">Rows added to the inventory.</param>
/// <param name="Updated">Rows that changed the firmware of a device already imported.</param>
/// <param name="Skipped">Rows identical to a device already imported.</param>
/// <param name="Refused">Rows not imported; see their code and reason.</param>
public sealed record ImportDevicesResponse(IReadOnlyList<DeviceImportResult> Results, int Imported, int Updated, int Skipped, int Refused);

/// <summary>The outcomes of an imported row.</summary>
public static class DeviceImportOutcomes
{
    /// <summary>The device was added to the inventory.</summary>
    public const string Imported = "imported";

    /// <summary>The device was already imported with the same model, market and partner; its firmware was changed.</summary>
    public const string Updated = "updated";

    /// <summary>The device was already imported, identical: nothing changed (a re-run of the same file).</summary>
    public const string Skipped = "skipped";

    /// <summary>The row was not imported: invalid, an unknown partner, or different from the device already imported.</summary>
    public const string Refused = "refused";
}

/// <summary>A device of the inventory.</summary>
/// <param name="MacAddress">The MAC address, lowercase with <c>:</c>.</param>
/// <param name="Model">The model id.</param>
/// <param name="ModelName">The model's name.</param>
/// <param name="Market">The market, upper case.</param>
/// <param name="Firmware">The firmware version, if known.</param>
/// <param name="ClientId">The partner it is assigned to; null for none yet.</param>
/// <param name="Userid">The user it is linked to; null when not linked.</param>
/// <param name="Linked">Whether it is linked to a user.</param>
/// <param name="CreatedAt">When it entered the inventory.</param>
/// <param name="UpdatedAt">When it last changed.</param>
/// <param name="ProgrammeState">
/// Its state in its partner's programme now: <c>READY</c>, <c>ACTIVE</c>, <c>STANDBY</c>, <c>PENDING_TERMINATION</c> or
/// <c>TERMINATED</c> (see docs/protocol.md).
/// </param>
/// <param name="TerminationDate">When its termination completes (pending) or completed (terminated); null otherwise.</param>
/// <param name="Sync">What the device API knows of the device; only in <c>GET /admin/api/devices/{mac}</c>.</param>
public sealed record InventoryDevice(
    string MacAddress, int Model, string ModelName, string Market, string? Firmware, string? ClientId, int? Userid, bool Linked,
    DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt, string? ProgrammeState = null, DateTimeOffset? TerminationDate = null,
    DeviceSyncState? Sync = null);

/// <summary>A device as the device API sees it (docs/device-api.md).</summary>
/// <param name="HasCredential">Whether the device has a secret; one imported before the device API has none until rotated.</param>
/// <param name="ConfigVersion">The version of its current configuration.</param>
/// <param name="LastSeenAt">Its last authenticated request; null if never.</param>
/// <param name="ReportedVersion">The version of its newest report; null if it never reported.</param>
/// <param name="ReportedAt">When that report arrived.</param>
/// <param name="Features">The latest report of each feature.</param>
public sealed record DeviceSyncState(
    bool HasCredential, long ConfigVersion, DateTimeOffset? LastSeenAt, long? ReportedVersion, DateTimeOffset? ReportedAt,
    IReadOnlyList<DeviceReportedFeature> Features);

/// <summary>The latest report of one feature of a device.</summary>
/// <param name="FeatureName">The catalog name.</param>
/// <param name="Applied">Whether the device applied it.</param>
/// <param name="Reason">Why not, in the device's words.</param>
/// <param name="Version">The configuration version of that report.</param>
/// <param name="ReportedAt">When it arrived.</param>
public sealed record DeviceReportedFeature(string FeatureName, bool Applied, string? Reason, long Version, DateTimeOffset ReportedAt);

/// <summary>The answer of <c>POST /admin/api/devices/{mac}/rotate-credential</c>: the new secret, shown once.</summary>
/// <param name="MacAddress">The device.</param>
/// <param name="DeviceSecret">Its new secret; the previous one stops at once.</param>
public sealed record DeviceCredential(string MacAddress, string DeviceSecret);

/// <summary>A page of <c>GET /admin/api/devices</c>, in MAC address order.</summary>
/// <param name="Devices">The devices of the page.</param>
/// <param name="NextAfter">The <c>after</c> of the next page; null on the last one.</param>
public sealed record InventoryPage(IReadOnlyList<InventoryDevice> Devices, string? NextAfter);

/// <summary>The body of <c>POST /admin/api/devices/{mac}/assign</c>.</summary>
/// <param name="ClientId">The partner to assign the device to: required.</param>
public sealed record AssignDeviceRequest(string? ClientId);
