using DeviceFeatures.Protocol.Admin;
using DeviceFeatures.Server.Storage;

namespace DeviceFeatures.Server.ChangeEvents;

/// <summary>One change event of the outbox (<c>change_events</c>). Times are Unix milliseconds.</summary>
internal sealed class ChangeEventRow
{
    public string EventId { get; set; } = "";
    public string ClientId { get; set; } = "";
    public string Type { get; set; } = "";
    public int? UserId { get; set; }
    public int? Model { get; set; }
    public string? FeatureName { get; set; }
    public bool? Active { get; set; }
    public string? MacAddress { get; set; }
    public long? Version { get; set; }
    public string? Reason { get; set; }

    /// <summary><c>feature.changed</c>: the devices it bumped, a JSON array of <c>{mac_address, version}</c>.</summary>
    public string? Devices { get; set; }

    public long CreatedAt { get; set; }
    public string State { get; set; } = ChangeEventStates.Pending;
    public int Attempts { get; set; }
    public long NextAttemptAt { get; set; }
    public long? ClaimedUntil { get; set; }
    public string? LastError { get; set; }
    public long? DeliveredAt { get; set; }
}

/// <summary>A report a device owes for a feature since a user's choice bumped its version (<c>owed_reports</c>).</summary>
internal sealed class OwedReportRow
{
    public string MacAddress { get; set; } = "";
    public string FeatureName { get; set; } = "";
    public long Version { get; set; }
    public string ClientId { get; set; } = "";
    public int UserId { get; set; }
    public int Model { get; set; }
    public bool Active { get; set; }
}

/// <summary>
/// The outbox of change events and the reports devices owe. Events are inserted in the transaction of the change that
/// causes them; the dispatcher claims the due ones with a lease (on PostgreSQL with <c>FOR UPDATE SKIP LOCKED</c>, so
/// that instances claiming together never take the same row), delivers them outside any transaction, and records the
/// outcome only while the row is still pending (an operator may have parked or replayed it meanwhile).
/// </summary>
internal static class ChangeEventStatements
{
    private const string Columns =
        "event_id, client_id, type, userid, model, feature_name, active, mac_address, version, reason, devices, created_at, state, attempts, "
        + "next_attempt_at, claimed_until, last_error, delivered_at";

    private static readonly SqlStatement<ChangeEventRow> Insert = new(
        $"""
        INSERT INTO change_events ({Columns})
        VALUES (@eventId, @clientId, @type, @userId, @model, @featureName, @active, @macAddress, @version, @reason, @devices, @createdAt, @state, 0,
            @nextAttemptAt, NULL, NULL, NULL)
        """,
        static (e, p) => p.Add("@eventId", e.EventId).Add("@clientId", e.ClientId).Add("@type", e.Type).Add("@userId", e.UserId).Add("@model", e.Model)
            .Add("@featureName", e.FeatureName).Add("@active", e.Active).Add("@macAddress", e.MacAddress).Add("@version", e.Version)
            .Add("@reason", e.Reason).Add("@devices", e.Devices).Add("@createdAt", e.CreatedAt).Add("@state", e.State)
            .Add("@nextAttemptAt", e.NextAttemptAt));

    // SQLite has one instance and one writer: the lease alone keeps a row from being claimed twice.
    private static readonly SqlQuery<(long Now, long Until, int Limit), ChangeEventRow> Claim = new(
        dialect => $"""
            UPDATE change_events SET claimed_until = @until
            WHERE event_id IN (
                SELECT event_id FROM change_events
                WHERE state = 'pending' AND next_attempt_at <= @now AND (claimed_until IS NULL OR claimed_until <= @now)
                ORDER BY next_attempt_at, seq LIMIT @limit{(ReferenceEquals(dialect, SqlDialect.Postgres) ? " FOR UPDATE SKIP LOCKED" : "")})
            RETURNING {Columns}
            """,
        static (a, p) => p.Add("@now", a.Now).Add("@until", a.Until).Add("@limit", a.Limit),
        Map);

    private static readonly SqlStatement<(string EventId, long Claim, long Now)> Delivered = new(
        """
        UPDATE change_events SET state = 'delivered', attempts = attempts + 1, delivered_at = @now, claimed_until = NULL, last_error = NULL
        WHERE event_id = @eventId AND state = 'pending' AND claimed_until = @claim
        """,
        static (a, p) => p.Add("@eventId", a.EventId).Add("@claim", a.Claim).Add("@now", a.Now));

    private static readonly SqlStatement<(string EventId, long Claim, string State, long NextAttemptAt, string Error)> Failed = new(
        """
        UPDATE change_events SET state = @state, attempts = attempts + 1, next_attempt_at = @nextAttemptAt, claimed_until = NULL, last_error = @error
        WHERE event_id = @eventId AND state = 'pending' AND claimed_until = @claim
        """,
        static (a, p) => p.Add("@eventId", a.EventId).Add("@claim", a.Claim).Add("@state", a.State).Add("@nextAttemptAt", a.NextAttemptAt)
            .Add("@error", a.Error));

    // SQLite only, when the dispatcher starts: the one instance that could hold these claims is this one, before it ran.
    private static readonly SqlStatement<bool> ReleaseClaims = new(
        "UPDATE change_events SET claimed_until = NULL WHERE state = 'pending' AND claimed_until IS NOT NULL");

    private static readonly SqlStatement<(string ClientId, string Error)> ParkPending = new(
        "UPDATE change_events SET state = 'parked', claimed_until = NULL, last_error = @error WHERE client_id = @clientId AND state = 'pending'",
        static (a, p) => p.Add("@clientId", a.ClientId).Add("@error", a.Error));

    private static readonly SqlStatement<(string EventId, long Now)> Replay = new(
        """
        UPDATE change_events SET state = 'pending', attempts = 0, next_attempt_at = @now, claimed_until = NULL
        WHERE event_id = @eventId AND state = 'parked'
        """,
        static (a, p) => p.Add("@eventId", a.EventId).Add("@now", a.Now));

    private static readonly SqlQuery<string, ChangeEventRow> Find = new(
        $"SELECT {Columns} FROM change_events WHERE event_id = @eventId",
        static (id, p) => p.Add("@eventId", id),
        Map);

    private static readonly SqlQuery<(string? ClientId, string? State, string? After, int Limit), ChangeEventRow> List = new(
        $"""
        SELECT {Columns} FROM change_events
        WHERE (@clientId IS NULL OR client_id = @clientId) AND (@state IS NULL OR state = @state)
          AND (@after IS NULL OR seq > (SELECT seq FROM change_events WHERE event_id = @after))
        ORDER BY seq LIMIT @limit
        """,
        static (a, p) => p.Add("@clientId", a.ClientId).Add("@state", a.State).Add("@after", a.After).Add("@limit", a.Limit),
        Map);

    private static readonly SqlStatement<OwedReportRow> Owe = new(
        """
        INSERT INTO owed_reports (mac_address, feature_name, version, client_id, userid, model, active)
        VALUES (@mac, @featureName, @version, @clientId, @userId, @model, @active)
        ON CONFLICT (mac_address, feature_name) DO UPDATE SET version = excluded.version, client_id = excluded.client_id, userid = excluded.userid,
            model = excluded.model, active = excluded.active
        """,
        static (o, p) => p.Add("@mac", o.MacAddress).Add("@featureName", o.FeatureName).Add("@version", o.Version).Add("@clientId", o.ClientId)
            .Add("@userId", o.UserId).Add("@model", o.Model).Add("@active", o.Active));

    // One statement finds and removes it: of two reports recorded together, one takes the row.
    private static readonly SqlQuery<(string Mac, string FeatureName, long Version), OwedReportRow> TakeOwed = new(
        """
        DELETE FROM owed_reports WHERE mac_address = @mac AND feature_name = @featureName AND version <= @version
        RETURNING mac_address, feature_name, version, client_id, userid, model, active
        """,
        static (a, p) => p.Add("@mac", a.Mac).Add("@featureName", a.FeatureName).Add("@version", a.Version),
        static row => new OwedReportRow
        {
            MacAddress = row.Text("mac_address"),
            FeatureName = row.Text("feature_name"),
            Version = row.Int64("version"),
            ClientId = row.Text("client_id"),
            UserId = row.Int32("userid"),
            Model = row.Int32("model"),
            Active = row.Boolean("active"),
        });

    public static Task<int> InsertChangeEventAsync(this StoreSession session, ChangeEventRow row) => session.ExecuteAsync(Insert, row);

    /// <summary>Leases up to <paramref name="limit"/> due pending events until <paramref name="until"/>.</summary>
    public static Task<IReadOnlyList<ChangeEventRow>> ClaimDueChangeEventsAsync(this StoreSession session, long now, long until, int limit) =>
        session.QueryAsync(Claim, (now, until, limit));

    /// <summary>
    /// Records a delivery made under the claim that ended at <paramref name="claim"/>; 0 rows when the event is no
    /// longer pending under that claim (parked, replayed, or claimed again after the lease ended).
    /// </summary>
    public static Task<int> ChangeEventDeliveredAsync(this StoreSession session, string eventId, long claim, long now) =>
        session.ExecuteAsync(Delivered, (eventId, claim, now));

    /// <summary>
    /// Records a failed attempt made under the claim <paramref name="claim"/>: pending again at
    /// <paramref name="nextAttemptAt"/>, or parked; 0 rows when the event is no longer pending under that claim.
    /// </summary>
    public static Task<int> ChangeEventFailedAsync(this StoreSession session, string eventId, long claim, bool park, long nextAttemptAt, string error) =>
        session.ExecuteAsync(Failed, (eventId, claim, park ? ChangeEventStates.Parked : ChangeEventStates.Pending, nextAttemptAt, error));

    /// <summary>Clears the claims of every pending event (SQLite, at the dispatcher's start); the number released.</summary>
    public static Task<int> ReleaseChangeEventClaimsAsync(this StoreSession session) => session.ExecuteAsync(ReleaseClaims, true);

    /// <summary>Parks every pending event of the partner; the number parked.</summary>
    public static Task<int> ParkPendingChangeEventsAsync(this StoreSession session, string clientId, string error) =>
        session.ExecuteAsync(ParkPending, (clientId, error));

    /// <summary>Makes a parked event pending again, due now, with its attempts reset; 0 rows when it is not parked.</summary>
    public static Task<int> ReplayChangeEventAsync(this StoreSession session, string eventId, long now) =>
        session.ExecuteAsync(Replay, (eventId, now));

    public static Task<ChangeEventRow?> FindChangeEventAsync(this StoreSession session, string eventId) => session.QueryFirstAsync(Find, eventId);

    /// <summary>Events in the order they were written, after the event <paramref name="after"/> (the last of the previous page).</summary>
    public static Task<IReadOnlyList<ChangeEventRow>> ListChangeEventsAsync(
        this StoreSession session, string? clientId, string? state, string? after, int limit) =>
        session.QueryAsync(List, (clientId, state, after, limit));

    public static Task<int> OweReportAsync(this StoreSession session, OwedReportRow row) => session.ExecuteAsync(Owe, row);

    /// <summary>Removes and returns the report owed for the feature if a report of <paramref name="version"/> covers it.</summary>
    public static Task<OwedReportRow?> TakeOwedReportAsync(this StoreSession session, string macAddress, string featureName, long version) =>
        session.QueryFirstAsync(TakeOwed, (macAddress, featureName, version));

    private static ChangeEventRow Map(ISqlRow row) => new()
    {
        EventId = row.Text("event_id"),
        ClientId = row.Text("client_id"),
        Type = row.Text("type"),
        UserId = row.NullableInt32("userid"),
        Model = row.NullableInt32("model"),
        FeatureName = row.NullableText("feature_name"),
        Active = row.NullableBoolean("active"),
        MacAddress = row.NullableText("mac_address"),
        Version = row.NullableInt64("version"),
        Reason = row.NullableText("reason"),
        Devices = row.NullableText("devices"),
        CreatedAt = row.Int64("created_at"),
        State = row.Text("state"),
        Attempts = row.Int32("attempts"),
        NextAttemptAt = row.Int64("next_attempt_at"),
        ClaimedUntil = row.NullableInt64("claimed_until"),
        LastError = row.NullableText("last_error"),
        DeliveredAt = row.NullableInt64("delivered_at"),
    };
}
