using DeviceFeatures.Server.Storage;

namespace DeviceFeatures.Server.Device;

/// <summary>A device's configuration version and what it last said it runs (<c>device_sync</c>).</summary>
internal sealed class DeviceSyncRow
{
    public string MacAddress { get; set; } = "";
    public long Version { get; set; }
    public long ChangedAt { get; set; }
    public long? ReportedVersion { get; set; }
    public long? ReportedAt { get; set; }
    public long? LastSeenAt { get; set; }
}

/// <summary>The latest report of one feature of a device (<c>device_reports</c>).</summary>
internal sealed class DeviceReportRow
{
    public string FeatureName { get; set; } = "";
    public long Version { get; set; }
    public bool Applied { get; set; }
    public string? Reason { get; set; }
    public long ReportedAt { get; set; }

    /// <summary>The state the device runs the feature in, when it said so or reported its current version; else null.</summary>
    public bool? Active { get; set; }
}

/// <summary>
/// The configuration versions of devices and their reports. Every statement that may change a device's effective
/// configuration (a choice, a programme choice, a grant, a programme state, a link, an assignment) calls
/// <see cref="ConfigurationChangedAsync"/> in its own transaction: the version grows with the change or not at all,
/// and waiting devices are woken once it has committed (<see cref="DeviceSignals"/>; on PostgreSQL the other instances'
/// too, through a <c>NOTIFY</c> sent right after the commit by <see cref="Storage.PostgresChangeNotifier"/>).
/// </summary>
internal static class DeviceSyncStatements
{
    /// <summary>The channel of <c>NOTIFY</c>; the payload is the MAC address.</summary>
    public const string Channel = "devicefeatures_config";

    // One statement per scope: it bumps every device of the scope and returns their MAC addresses with their new versions. SQLite needs the
    // "WHERE true" to read ON CONFLICT as the upsert's and not as a join's (PostgreSQL takes it too). The other instances hear of
    // the change after the commit (Storage/PostgresChangeNotifier), not from a NOTIFY in this transaction.
    private static SqlQuery<(string? Mac, int? UserId, string? ClientId, int? Model, long Now), (string Mac, long Version)> Bump(
        string source, Action<(string? Mac, int? UserId, string? ClientId, int? Model, long Now), ISqlArguments> bind) => new(
        $"""
        INSERT INTO device_sync (mac_address, version, changed_at)
        SELECT DISTINCT s.mac_address, 1, @now FROM ({source}) s WHERE true
        ON CONFLICT (mac_address) DO UPDATE SET version = device_sync.version + 1, changed_at = excluded.changed_at
        RETURNING mac_address, version
        """,
        (a, p) => bind(a, p.Add("@now", a.Now)),
        static row => (row.Text("mac_address"), row.Int64("version")));

    private static readonly SqlQuery<(string? Mac, int? UserId, string? ClientId, int? Model, long Now), (string Mac, long Version)> BumpDevice =
        Bump("SELECT mac_address FROM device_inventory WHERE mac_address = @mac UNION SELECT mac_address FROM devices WHERE mac_address = @mac",
        static (a, p) => p.Add("@mac", a.Mac));

    private static readonly SqlQuery<(string? Mac, int? UserId, string? ClientId, int? Model, long Now), (string Mac, long Version)> BumpUser =
        Bump("SELECT mac_address FROM devices WHERE userid = @userId AND (@model IS NULL OR model = @model)",
        static (a, p) => p.Add("@userId", a.UserId).Add("@model", a.Model));

    private static readonly SqlQuery<(string? Mac, int? UserId, string? ClientId, int? Model, long Now), (string Mac, long Version)> BumpPartner = Bump(
        """
        SELECT mac_address FROM device_inventory WHERE client_id = @clientId AND (@model IS NULL OR model = @model)
        UNION SELECT d.mac_address FROM devices d JOIN users u ON u.userid = d.userid WHERE u.client_id = @clientId AND (@model IS NULL OR d.model = @model)
        """,
        static (a, p) => p.Add("@clientId", a.ClientId).Add("@model", a.Model));

    private static readonly SqlQuery<string, DeviceSyncRow> Find = new(
        "SELECT mac_address, version, changed_at, reported_version, reported_at, last_seen_at FROM device_sync WHERE mac_address = @mac",
        static (mac, p) => p.Add("@mac", mac),
        static row => new DeviceSyncRow
        {
            MacAddress = row.Text("mac_address"),
            Version = row.Int64("version"),
            ChangedAt = row.Int64("changed_at"),
            ReportedVersion = row.NullableInt64("reported_version"),
            ReportedAt = row.NullableInt64("reported_at"),
            LastSeenAt = row.NullableInt64("last_seen_at"),
        });

    private static readonly SqlStatement<(string Mac, long Now)> Seen = new(
        """
        INSERT INTO device_sync (mac_address, version, changed_at, last_seen_at) VALUES (@mac, 0, @now, @now)
        ON CONFLICT (mac_address) DO UPDATE SET last_seen_at = excluded.last_seen_at
        """,
        static (a, p) => p.Add("@mac", a.Mac).Add("@now", a.Now));

    // The condition is the database's, so that of two reports racing the newer one is kept whatever the order.
    private static readonly SqlStatement<(string Mac, long Version, long Now)> Reported = new(
        """
        INSERT INTO device_sync (mac_address, version, changed_at, reported_version, reported_at, last_seen_at) VALUES (@mac, 0, @now, @version, @now, @now)
        ON CONFLICT (mac_address) DO UPDATE SET reported_version = excluded.reported_version, reported_at = excluded.reported_at, last_seen_at = excluded.last_seen_at
        WHERE device_sync.reported_version IS NULL OR device_sync.reported_version <= excluded.reported_version
        """,
        static (a, p) => p.Add("@mac", a.Mac).Add("@version", a.Version).Add("@now", a.Now));

    private static readonly SqlStatement<(string Mac, DeviceReportRow Report)> Report = new(
        """
        INSERT INTO device_reports (mac_address, feature_name, version, applied, reason, reported_at, active)
        VALUES (@mac, @featureName, @version, @applied, @reason, @now, @active)
        ON CONFLICT (mac_address, feature_name) DO UPDATE SET version = excluded.version, applied = excluded.applied, reason = excluded.reason,
            reported_at = excluded.reported_at, active = excluded.active
        WHERE device_reports.version <= excluded.version
        """,
        static (a, p) => p.Add("@mac", a.Mac).Add("@featureName", a.Report.FeatureName).Add("@version", a.Report.Version)
            .Add("@applied", a.Report.Applied).Add("@reason", a.Report.Reason).Add("@now", a.Report.ReportedAt).Add("@active", a.Report.Active));

    private static readonly SqlQuery<string, DeviceReportRow> Reports = new(
        "SELECT feature_name, version, applied, reason, reported_at, active FROM device_reports WHERE mac_address = @mac ORDER BY feature_name",
        static (mac, p) => p.Add("@mac", mac),
        static row => new DeviceReportRow
        {
            FeatureName = row.Text("feature_name"),
            Version = row.Int64("version"),
            Applied = row.Boolean("applied"),
            Reason = row.NullableText("reason"),
            ReportedAt = row.Int64("reported_at"),
            Active = row.NullableBoolean("active"),
        });

    /// <summary>Bumps the version of one device (a link, an assignment, a programme state).</summary>
    public static Task DeviceConfigurationChangedAsync(this StoreSession session, string macAddress, long now) =>
        session.ConfigurationChangedAsync(BumpDevice, (macAddress, null, null, null, now));

    /// <summary>Bumps the versions of the user's devices, of one model or (null) of all (a choice); each device with its new version.</summary>
    public static Task<IReadOnlyList<(string Mac, long Version)>> UserConfigurationChangedAsync(this StoreSession session, int userId, int? model, long now) =>
        session.ConfigurationChangedAsync(BumpUser, (null, userId, null, model, now));

    /// <summary>Bumps the versions of the partner's devices, of one model or (null) of all (a programme choice, a grant).</summary>
    public static Task PartnerConfigurationChangedAsync(this StoreSession session, string clientId, int? model, long now) =>
        session.ConfigurationChangedAsync(BumpPartner, (null, null, clientId, model, now));

    private static async Task<IReadOnlyList<(string Mac, long Version)>> ConfigurationChangedAsync(
        this StoreSession session, SqlQuery<(string? Mac, int? UserId, string? ClientId, int? Model, long Now), (string Mac, long Version)> bump,
        (string? Mac, int? UserId, string? ClientId, int? Model, long Now) args)
    {
        var bumped = await session.QueryAsync(bump, args).ConfigureAwait(false);
        if (bumped.Count > 0)
        {
            session.DevicesChanged(bumped.Select(b => b.Mac).ToArray());
        }

        return bumped;
    }

    public static Task<DeviceSyncRow?> FindDeviceSyncAsync(this StoreSession session, string macAddress) =>
        session.QueryFirstAsync(Find, macAddress);

    public static Task<int> DeviceSeenAsync(this StoreSession session, string macAddress, long now) =>
        session.ExecuteAsync(Seen, (macAddress, now));

    /// <summary>Records the version a device reports; <see langword="false"/> when a newer report is already stored.</summary>
    public static async Task<bool> TryRecordReportedVersionAsync(this StoreSession session, string macAddress, long version, long now) =>
        await session.ExecuteAsync(Reported, (macAddress, version, now)).ConfigureAwait(false) == 1;

    /// <summary>Stores the feature's report unless one for a newer version is stored.</summary>
    public static Task<int> RecordFeatureReportAsync(this StoreSession session, string macAddress, DeviceReportRow report) =>
        session.ExecuteAsync(Report, (macAddress, report));

    public static Task<IReadOnlyList<DeviceReportRow>> ListDeviceReportsAsync(this StoreSession session, string macAddress) =>
        session.QueryAsync(Reports, macAddress);
}
