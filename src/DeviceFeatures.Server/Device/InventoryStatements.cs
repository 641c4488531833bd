using DeviceFeatures.Server.Storage;

namespace DeviceFeatures.Server.Device;

/// <summary>
/// A device of the inventory (<c>device_inventory</c>), assigned to a partner or not yet; <see cref="UserId"/> is the
/// user it is linked to in <c>devices</c>, if any.
/// </summary>
internal sealed class InventoryRow
{
    public string MacAddress { get; set; } = "";
    public int Model { get; set; }
    public string Market { get; set; } = "";
    public string? Firmware { get; set; }
    public string? ClientId { get; set; }
    public long CreatedAt { get; set; }
    public long UpdatedAt { get; set; }
    public int? UserId { get; set; }
    public string? ProgrammeState { get; set; }
    public long? TerminatesAt { get; set; }

    /// <summary>The device API secret, encrypted (<see cref="Secrets.SecretProtector"/>); null until one is issued.</summary>
    public string? Credential { get; set; }

    /// <summary>The device's sync row, read by listings only; null elsewhere.</summary>
    public InventorySync? Sync { get; set; }

    public DeviceProgramme ProgrammeAt(long nowMs) => DeviceProgramme.Of(ProgrammeState, TerminatesAt, UserId is not null, nowMs);
}

/// <summary>A listed device's <c>device_sync</c> row: all null when it has none (nothing changed since it was known).</summary>
internal sealed record InventorySync(long? Version, long? ReportedVersion, long? ReportedAt, long? LastSeenAt);

/// <summary>Which inventory devices to list, in MAC order after <see cref="AfterMac"/>; every filter is optional.</summary>
/// <remarks><see cref="Assigned"/>: assigned to a partner or not; <see cref="MacPrefix"/>: the start of the MAC address, stored form.</remarks>
internal sealed record InventoryQuery(string? ClientId, int? Model, bool? Linked, string AfterMac, int Limit, bool? Assigned = null, string? MacPrefix = null);

/// <summary>The device inventory: imported and assigned by the admin API, filled by the creation of users with devices.</summary>
internal static class InventoryStatements
{
    private const string Columns =
        "i.mac_address, i.model, i.market, i.firmware, i.client_id, i.created_at, i.updated_at, i.credential, d.userid, p.state, p.terminates_at";

    private const string Joins =
        "LEFT JOIN devices d ON d.mac_address = i.mac_address LEFT JOIN device_programme p ON p.mac_address = i.mac_address";

    private static readonly SqlQuery<string, InventoryRow> Find = new(
        $"SELECT {Columns} FROM device_inventory i {Joins} WHERE i.mac_address = @macAddress",
        static (macAddress, p) => p.Add("@macAddress", macAddress),
        Map);

    // linked and assigned: null for any, 1 for yes, 0 for no (an integer, which both providers compare alike). The
    // device's sync row comes along (one key lookup a device), so that a listing can say which devices are behind.
    private static readonly SqlQuery<InventoryQuery, InventoryRow> List = new(
        $"""
        SELECT {Columns}, s.version AS sync_version, s.reported_version, s.reported_at, s.last_seen_at
        FROM device_inventory i {Joins} LEFT JOIN device_sync s ON s.mac_address = i.mac_address
        WHERE i.mac_address > @afterMac
          AND (@clientId IS NULL OR i.client_id = @clientId)
          AND (@model IS NULL OR i.model = @model)
          AND (@linked IS NULL OR (@linked = 1 AND d.userid IS NOT NULL) OR (@linked = 0 AND d.userid IS NULL))
          AND (@assigned IS NULL OR (@assigned = 1 AND i.client_id IS NOT NULL) OR (@assigned = 0 AND i.client_id IS NULL))
          AND (@macPrefix IS NULL OR (i.mac_address >= @macPrefix AND i.mac_address < @macPrefixEnd AND substr(i.mac_address, 1, @prefixLength) = @macPrefix))
        ORDER BY i.mac_address
        LIMIT @limit
        """,
        static (q, p) => p.Add("@afterMac", q.AfterMac).Add("@clientId", q.ClientId).Add("@model", q.Model)
            .Add("@linked", q.Linked is { } linked ? linked ? 1 : 0 : null).Add("@limit", q.Limit)
            .Add("@assigned", q.Assigned is { } assigned ? assigned ? 1 : 0 : null)
            .Add("@macPrefix", q.MacPrefix).Add("@macPrefixEnd", PrefixEnd(q.MacPrefix)).Add("@prefixLength", q.MacPrefix?.Length ?? 0),
        static row =>
        {
            var device = Map(row);
            device.Sync = new InventorySync(row.NullableInt64("sync_version"), row.NullableInt64("reported_version"),
                row.NullableInt64("reported_at"), row.NullableInt64("last_seen_at"));
            return device;
        });

    // The first stored MAC address after every one that starts with the prefix: its last hex digit moved one up
    // ('9' to 'a', 'f' to 'g'), so that the range [prefix, end) lets the primary key's index find the prefix's
    // devices instead of reading every row; the substr test stays, the exact rule.
    private static string? PrefixEnd(string? prefix) => prefix is null ? null : prefix[..^1] + prefix[^1] switch
    {
        '9' => 'a',
        var c => (char)(c + 1),
    };

    private static readonly SqlStatement<InventoryRow> Insert = new(
        """
        INSERT INTO device_inventory (mac_address, model, market, firmware, client_id, created_at, updated_at, credential)
        VALUES (@macAddress, @model, @market, @firmware, @clientId, @createdAt, @updatedAt, @credential)
        ON CONFLICT (mac_address) DO NOTHING
        """,
        static (d, p) => p.Add("@macAddress", d.MacAddress).Add("@model", d.Model).Add("@market", d.Market).Add("@firmware", d.Firmware)
            .Add("@clientId", d.ClientId).Add("@createdAt", d.CreatedAt).Add("@updatedAt", d.UpdatedAt).Add("@credential", d.Credential));

    private static readonly SqlStatement<(string MacAddress, string Credential, long Now)> SetCredential = new(
        "UPDATE device_inventory SET credential = @credential, updated_at = @now WHERE mac_address = @macAddress",
        static (a, p) => p.Add("@macAddress", a.MacAddress).Add("@credential", a.Credential).Add("@now", a.Now));

    private static readonly SqlStatement<(string MacAddress, string? Firmware, long Now)> UpdateFirmware = new(
        "UPDATE device_inventory SET firmware = @firmware, updated_at = @now WHERE mac_address = @macAddress",
        static (a, p) => p.Add("@macAddress", a.MacAddress).Add("@firmware", a.Firmware).Add("@now", a.Now));

    private static readonly SqlStatement<(string MacAddress, string ClientId, long Now)> Assign = new(
        "UPDATE device_inventory SET client_id = @clientId, updated_at = @now WHERE mac_address = @macAddress",
        static (a, p) => p.Add("@macAddress", a.MacAddress).Add("@clientId", a.ClientId).Add("@now", a.Now));

    private static readonly SqlQuery<string, string> LinkedPartner = new(
        "SELECT u.client_id FROM devices d JOIN users u ON u.userid = d.userid WHERE d.mac_address = @macAddress",
        static (macAddress, p) => p.Add("@macAddress", macAddress),
        static row => row.Text("client_id"));

    public static Task<InventoryRow?> FindInventoryDeviceAsync(this StoreSession session, string macAddress) =>
        session.QueryFirstAsync(Find, macAddress);

    public static Task<IReadOnlyList<InventoryRow>> ListInventoryAsync(this StoreSession session, InventoryQuery query) =>
        session.QueryAsync(List, query);

    /// <summary>Adds the device; <see langword="false"/> when the inventory already has its MAC address.</summary>
    public static async Task<bool> TryInsertInventoryDeviceAsync(this StoreSession session, InventoryRow device) =>
        await session.ExecuteAsync(Insert, device).ConfigureAwait(false) == 1;

    public static Task<int> SetInventoryFirmwareAsync(this StoreSession session, string macAddress, string? firmware, long now) =>
        session.ExecuteAsync(UpdateFirmware, (macAddress, firmware, now));

    /// <summary>Replaces the device's encrypted secret; 0 when the inventory has no such device.</summary>
    public static Task<int> SetDeviceCredentialAsync(this StoreSession session, string macAddress, string credential, long now) =>
        session.ExecuteAsync(SetCredential, (macAddress, credential, now));

    public static Task<int> AssignInventoryDeviceAsync(this StoreSession session, string macAddress, string clientId, long now) =>
        session.ExecuteAsync(Assign, (macAddress, clientId, now));

    /// <summary>The partner of the user the device is linked to; null when it is linked to no one.</summary>
    public static Task<string?> FindLinkedPartnerAsync(this StoreSession session, string macAddress) =>
        session.QueryFirstAsync(LinkedPartner, macAddress);

    private static InventoryRow Map(ISqlRow row) => new()
    {
        MacAddress = row.Text("mac_address"),
        Model = row.Int32("model"),
        Market = row.Text("market"),
        Firmware = row.NullableText("firmware"),
        ClientId = row.NullableText("client_id"),
        CreatedAt = row.Int64("created_at"),
        UpdatedAt = row.Int64("updated_at"),
        UserId = row.NullableInt32("userid"),
        ProgrammeState = row.NullableText("state"),
        TerminatesAt = row.NullableInt64("terminates_at"),
        Credential = row.NullableText("credential"),
    };
}
