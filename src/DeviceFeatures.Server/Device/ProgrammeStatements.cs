using DeviceFeatures.Server.Storage;

namespace DeviceFeatures.Server.Device;

/// <summary>A device of the inventory with its stored programme row, if any.</summary>
internal sealed class ProgrammeRow
{
    public string MacAddress { get; set; } = "";
    public int Model { get; set; }
    public string Market { get; set; } = "";
    public string? ClientId { get; set; }
    public int? UserId { get; set; }
    public string? State { get; set; }
    public long? TerminatesAt { get; set; }

    public DeviceProgramme At(long nowMs) => DeviceProgramme.Of(State, TerminatesAt, UserId is not null, nowMs);
}

/// <summary>The programme state of devices (<c>device_programme</c>): set by endpartnerprogram, read by every feature switch.</summary>
internal static class ProgrammeStatements
{
    private static readonly SqlQuery<string, ProgrammeRow> Find = new(
        """
        SELECT i.mac_address, i.model, i.market, i.client_id, d.userid, p.state, p.terminates_at
        FROM device_inventory i
        LEFT JOIN devices d ON d.mac_address = i.mac_address
        LEFT JOIN device_programme p ON p.mac_address = i.mac_address
        WHERE i.mac_address = @macAddress
        """,
        static (macAddress, p) => p.Add("@macAddress", macAddress),
        Map);

    private static readonly SqlQuery<(int UserId, int? Model), ProgrammeRow> OfUser = new(
        """
        SELECT d.mac_address, d.model, d.market, u.client_id, d.userid, p.state, p.terminates_at
        FROM devices d
        JOIN users u ON u.userid = d.userid
        LEFT JOIN device_programme p ON p.mac_address = d.mac_address
        WHERE d.userid = @userId AND (@model IS NULL OR d.model = @model)
        ORDER BY d.model, d.mac_address
        """,
        static (a, p) => p.Add("@userId", a.UserId).Add("@model", a.Model),
        Map);

    private static readonly SqlStatement<string> Reset = new(
        "DELETE FROM device_programme WHERE mac_address = @macAddress",
        static (macAddress, p) => p.Add("@macAddress", macAddress));

    private static readonly SqlStatement<(string MacAddress, string State, long? TerminatesAt, long Now)> Set = new(
        """
        INSERT INTO device_programme (mac_address, state, terminates_at, updated_at) VALUES (@macAddress, @state, @terminatesAt, @now)
        ON CONFLICT (mac_address) DO UPDATE SET state = excluded.state, terminates_at = excluded.terminates_at, updated_at = excluded.updated_at
        """,
        static (a, p) => p.Add("@macAddress", a.MacAddress).Add("@state", a.State).Add("@terminatesAt", a.TerminatesAt).Add("@now", a.Now));

    /// <summary>
    /// The partner's inventory device and its programme row; where writers run side by side, the inventory row stays
    /// locked until the transaction ends, so that two changes of one device follow each other. Null when the device is
    /// not assigned to <paramref name="clientId"/>: another partner's device is neither locked nor waited for.
    /// </summary>
    /// <remarks>
    /// The lock is taken by a statement of its own (the same inventory lock an activation takes, so that a programme
    /// change and an activation of one device follow each other too), and the rows read by the next one: a PostgreSQL
    /// statement that waited for a lock still sees the joined rows as they were when it started, which would be the
    /// state the change it waited for has just replaced.
    /// </remarks>
    public static async Task<ProgrammeRow?> FindProgrammeForUpdateAsync(this StoreSession session, string macAddress, string clientId) =>
        await session.LockInventoryDeviceAsync(macAddress, clientId).ConfigureAwait(false) is null
            ? null
            : await session.QueryFirstAsync(Find, macAddress).ConfigureAwait(false);

    /// <summary>The devices linked to the user, of one model or (with <paramref name="model"/> null) of all, with their programme rows.</summary>
    public static Task<IReadOnlyList<ProgrammeRow>> ListUserProgrammeAsync(this StoreSession session, int userId, int? model) =>
        session.QueryAsync(OfUser, (userId, model));

    /// <summary>Forgets the device's programme state: it starts again as READY (or ACTIVE once linked).</summary>
    public static Task<int> ResetProgrammeAsync(this StoreSession session, string macAddress) =>
        session.ExecuteAsync(Reset, macAddress);

    public static Task<int> SetProgrammeAsync(this StoreSession session, string macAddress, string state, long? terminatesAt, long now) =>
        session.ExecuteAsync(Set, (macAddress, state, terminatesAt, now));

    private static ProgrammeRow Map(ISqlRow row) => new()
    {
        MacAddress = row.Text("mac_address"),
        Model = row.Int32("model"),
        Market = row.Text("market"),
        ClientId = row.NullableText("client_id"),
        UserId = row.NullableInt32("userid"),
        State = row.NullableText("state"),
        TerminatesAt = row.NullableInt64("terminates_at"),
    };
}
