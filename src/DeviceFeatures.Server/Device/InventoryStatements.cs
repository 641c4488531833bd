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

    public DeviceProgramme ProgrammeAt(long nowMs) => DeviceProgramme.Of(ProgrammeState, TerminatesAt, UserId is not null, nowMs);
}

/// <summary>Which inventory devices to list, in MAC order after <see cref="AfterMac"/>; every filter is optional.</summary>
internal sealed record InventoryQuery(string? ClientId, int? Model, bool? Linked, string AfterMac, int Limit);

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

    // linked: null for any, 1 for linked, 0 for not linked (an integer, which both providers compare alike).
    private static readonly SqlQuery<InventoryQuery, InventoryRow> List = new(
        $"""
        SELECT {Columns}
        FROM device_inventory i {Joins}
        WHERE i.mac_address > @afterMac
          AND (@clientId IS NULL OR i.client_id = @clientId)
          AND (@model IS NULL OR i.model = @model)
          AND (@linked IS NULL OR (@linked = 1 AND d.userid IS NOT NULL) OR (@linked = 0 AND d.userid IS NULL))
        ORDER BY i.mac_address
        LIMIT @limit
        """,
        static (q, p) => p.Add("@afterMac", q.AfterMac).Add("@clientId", q.ClientId).Add("@model", q.Model)
            .Add("@linked", q.Linked is { } linked ? linked ? 1 : 0 : null).Add("@limit", q.Limit),
        Map);

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
