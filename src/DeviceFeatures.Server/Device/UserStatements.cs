using DeviceFeatures.Server.Storage;

namespace DeviceFeatures.Server.Device;

/// <summary>A user (<c>users</c>): its id is assigned by the database; it belongs to one partner.</summary>
internal sealed class UserRow
{
    public int UserId { get; set; }
    public string ClientId { get; set; } = "";
    public long CreatedAt { get; set; }
}

/// <summary>A device linked to a user (<c>devices</c>); a device links to one user only.</summary>
internal sealed class DeviceRow
{
    public string MacAddress { get; set; } = "";
    public int UserId { get; set; }
    public int Model { get; set; }
    public string Market { get; set; } = "";
    public long LinkedAt { get; set; }
}

/// <summary>Users and their devices: created by the admin API, looked up by every device call.</summary>
internal static class UserStatements
{
    private static readonly SqlQuery<int, UserRow> Find = new(
        "SELECT userid, client_id, created_at FROM users WHERE userid = @userId",
        static (userId, p) => p.Add("@userId", userId),
        MapUser);

    // The partner is in the condition, so that the lock is taken only on the partner's own user: another partner's
    // user is passed over like a missing one, without waiting for a lock that someone else holds on it.
    private static readonly SqlQuery<(int UserId, string ClientId), UserRow> FindOwnForUpdate = new(
        dialect => "SELECT userid, client_id, created_at FROM users WHERE userid = @userId AND client_id = @clientId" + dialect.LockForUpdate,
        static (a, p) => p.Add("@userId", a.UserId).Add("@clientId", a.ClientId),
        MapUser);

    private static readonly SqlQuery<(string ClientId, long Now), int> Insert = new(
        "INSERT INTO users (client_id, created_at) VALUES (@clientId, @now) RETURNING userid",
        static (a, p) => p.Add("@clientId", a.ClientId).Add("@now", a.Now),
        static row => row.Int32("userid"));

    private static readonly SqlQuery<string, int?> FindDeviceOwner = new(
        "SELECT userid FROM devices WHERE mac_address = @macAddress",
        static (macAddress, p) => p.Add("@macAddress", macAddress),
        static row => row.Int32("userid"));

    private static readonly SqlStatement<DeviceRow> InsertDevice = new(
        """
        INSERT INTO devices (mac_address, userid, model, market, linked_at) VALUES (@macAddress, @userId, @model, @market, @linkedAt)
        ON CONFLICT (mac_address) DO NOTHING
        """,
        static (device, p) => p.Add("@macAddress", device.MacAddress).Add("@userId", device.UserId).Add("@model", device.Model)
            .Add("@market", device.Market).Add("@linkedAt", device.LinkedAt));

    private static readonly SqlQuery<int, DeviceRow> ListDevices = new(
        "SELECT mac_address, userid, model, market, linked_at FROM devices WHERE userid = @userId ORDER BY linked_at, mac_address",
        static (userId, p) => p.Add("@userId", userId),
        static row => new DeviceRow
        {
            MacAddress = row.Text("mac_address"),
            UserId = row.Int32("userid"),
            Model = row.Int32("model"),
            Market = row.Text("market"),
            LinkedAt = row.Int64("linked_at"),
        });

    public static Task<UserRow?> FindUserAsync(this StoreSession session, int userId) =>
        session.QueryFirstAsync(Find, userId);

    /// <summary>
    /// Reads the partner's user and, where writers run side by side, locks the row until the transaction ends: every
    /// change to the user's choices takes this lock first, so each one reads the previous choice only after the change
    /// before it has committed, and its audit event continues from that choice. Null when the user does not exist or
    /// is another partner's: the ownership is part of the condition, so a row of another partner's is never locked
    /// nor waited for, and "not yours" takes the time of "does not exist".
    /// </summary>
    public static Task<UserRow?> FindOwnUserForUpdateAsync(this StoreSession session, int userId, string clientId) =>
        session.QueryFirstAsync(FindOwnForUpdate, (userId, clientId));

    /// <summary>Adds a user of the partner; the userid the database gave it.</summary>
    public static Task<int> InsertUserAsync(this StoreSession session, string clientId, long now) =>
        session.QueryFirstAsync(Insert, (clientId, now));

    public static Task<int?> FindDeviceOwnerAsync(this StoreSession session, string macAddress) =>
        session.QueryFirstAsync(FindDeviceOwner, macAddress);

    /// <summary>Links the device; <see langword="false"/> when it is already linked (to anyone).</summary>
    public static async Task<bool> TryInsertDeviceAsync(this StoreSession session, DeviceRow device) =>
        await session.ExecuteAsync(InsertDevice, device).ConfigureAwait(false) == 1;

    public static Task<IReadOnlyList<DeviceRow>> ListDevicesAsync(this StoreSession session, int userId) =>
        session.QueryAsync(ListDevices, userId);

    private static UserRow MapUser(ISqlRow row) => new()
    {
        UserId = row.Int32("userid"),
        ClientId = row.Text("client_id"),
        CreatedAt = row.Int64("created_at"),
    };
}
