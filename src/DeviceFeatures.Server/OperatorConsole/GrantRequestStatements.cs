using DeviceFeatures.Server.Storage;

namespace DeviceFeatures.Server.OperatorConsole;

/// <summary>The states of a grant request; only <see cref="Pending"/> may change.</summary>
internal static class GrantRequestStates
{
    public const string Pending = "pending";
    public const string Approved = "approved";
    public const string Rejected = "rejected";
    public const string Expired = "expired";
    public const string Withdrawn = "withdrawn";
}

/// <summary>A request for a grant of a gated feature (<c>grant_requests</c>), with the partner's name for the page.</summary>
internal sealed class GrantRequestRow
{
    public long Id { get; set; }
    public string ClientId { get; set; } = "";
    public string PartnerName { get; set; } = "";
    public string FeatureName { get; set; } = "";
    public string Reason { get; set; } = "";
    public string RequestedBy { get; set; } = "";
    public long RequestedAt { get; set; }
    public long ExpiresAt { get; set; }
    public string State { get; set; } = "";
    public long Version { get; set; }
    public long? EditedAt { get; set; }
    public string? DecidedBy { get; set; }
    public long? DecidedAt { get; set; }
    public string? DecisionNote { get; set; }
}

/// <summary>A grant a partner holds, with the partner's name (the grants screen lists them all).</summary>
internal sealed record HeldGrant(string ClientId, string PartnerName, string FeatureName, long GrantedAt);

/// <summary>
/// The four-eyes requests: every change is a conditional update on the pending state (and, for a decision, on the
/// version the operator saw), so that two operators acting at once change a request once, and the loser is told.
/// </summary>
internal static class GrantRequestStatements
{
    private const string Columns =
        "r.id, r.client_id, p.name AS partner_name, r.feature_name, r.reason, r.requested_by, r.requested_at, r.expires_at, r.state, r.version, "
        + "r.edited_at, r.decided_by, r.decided_at, r.decision_note";

    private static readonly SqlQuery<long, GrantRequestRow> Find = new(
        $"SELECT {Columns} FROM grant_requests r JOIN partners p ON p.client_id = r.client_id WHERE r.id = @id",
        static (id, p) => p.Add("@id", id), Map);

    // Every pending request, the oldest first (the next to decide): a partner has at most one per gated feature, so
    // the list is as long as the work waiting, and a limit would hide some of it.
    private static readonly SqlQuery<int, GrantRequestRow> ListPending = new(
        $"SELECT {Columns} FROM grant_requests r JOIN partners p ON p.client_id = r.client_id WHERE r.state = 'pending' ORDER BY r.id",
        null, Map);

    // The history, the latest decision first; the caller asks one more than it shows, to know it is cut.
    private static readonly SqlQuery<int, GrantRequestRow> ListDecided = new(
        $"""
        SELECT {Columns} FROM grant_requests r JOIN partners p ON p.client_id = r.client_id
        WHERE r.state <> 'pending'
        ORDER BY COALESCE(r.decided_at, r.requested_at) DESC, r.id DESC
        LIMIT @limit
        """,
        static (limit, p) => p.Add("@limit", limit), Map);

    private static readonly SqlQuery<(string ClientId, string FeatureName), long> FindPending = new(
        "SELECT id FROM grant_requests WHERE client_id = @clientId AND feature_name = @featureName AND state = 'pending'",
        static (a, p) => p.Add("@clientId", a.ClientId).Add("@featureName", a.FeatureName),
        static row => row.Int64("id"));

    // Ordered by id, so that two transactions marking the same requests take their locks in the same order.
    private static readonly SqlQuery<(string ClientId, long Now), long> FindDue = new(
        "SELECT id FROM grant_requests WHERE state = 'pending' AND expires_at <= @now AND client_id = @clientId ORDER BY id",
        static (a, p) => p.Add("@clientId", a.ClientId).Add("@now", a.Now),
        static row => row.Int64("id"));

    // The partners with a request due to be marked expired: the expiry job takes them a batch at a time.
    private static readonly SqlQuery<(long Now, int Limit), string> FindDuePartners = new(
        "SELECT DISTINCT client_id FROM grant_requests WHERE state = 'pending' AND expires_at <= @now ORDER BY client_id LIMIT @limit",
        static (a, p) => p.Add("@now", a.Now).Add("@limit", a.Limit),
        static row => row.Text("client_id"));

    // The partner's row, locked on PostgreSQL for the rest of the transaction: the requests of one partner are
    // created and edited one at a time, so that the duplicate check before an insert is the truth.
    private static readonly SqlQuery<string, string> LockPartner = new(
        dialect => "SELECT client_id FROM partners WHERE client_id = @clientId" + dialect.LockForUpdate,
        static (clientId, p) => p.Add("@clientId", clientId),
        static row => row.Text("client_id"));

    private static readonly SqlQuery<GrantRequestRow, long> Insert = new(
        """
        INSERT INTO grant_requests (client_id, feature_name, reason, requested_by, requested_at, expires_at, state, version)
        VALUES (@clientId, @featureName, @reason, @requestedBy, @requestedAt, @expiresAt, 'pending', 1)
        RETURNING id
        """,
        static (r, p) => p.Add("@clientId", r.ClientId).Add("@featureName", r.FeatureName).Add("@reason", r.Reason)
            .Add("@requestedBy", r.RequestedBy).Add("@requestedAt", r.RequestedAt).Add("@expiresAt", r.ExpiresAt),
        static row => row.Int64("id"));

    private static readonly SqlStatement<(long Id, long Version, string By, string FeatureName, string Reason, long Now)> Edit = new(
        """
        UPDATE grant_requests SET feature_name = @featureName, reason = @reason, version = version + 1, edited_at = @now
        WHERE id = @id AND state = 'pending' AND version = @version AND requested_by = @by AND expires_at > @now
        """,
        static (a, p) => p.Add("@id", a.Id).Add("@version", a.Version).Add("@by", a.By).Add("@featureName", a.FeatureName)
            .Add("@reason", a.Reason).Add("@now", a.Now));

    // A decision by someone else than the requester, on the version the decider saw, before the expiry.
    private static readonly SqlStatement<(long Id, long Version, string State, string By, string? Note, long Now)> Decide = new(
        """
        UPDATE grant_requests SET state = @state, decided_by = @by, decided_at = @now, decision_note = @note
        WHERE id = @id AND state = 'pending' AND version = @version AND requested_by <> @by AND expires_at > @now
        """,
        static (a, p) => p.Add("@id", a.Id).Add("@version", a.Version).Add("@state", a.State).Add("@by", a.By).Add("@note", a.Note).Add("@now", a.Now));

    private static readonly SqlStatement<(long Id, string By, long Now)> Withdraw = new(
        """
        UPDATE grant_requests SET state = 'withdrawn', decided_by = @by, decided_at = @now
        WHERE id = @id AND state = 'pending' AND requested_by = @by
        """,
        static (a, p) => p.Add("@id", a.Id).Add("@by", a.By).Add("@now", a.Now));

    private static readonly SqlStatement<(long Id, long Now)> Expire = new(
        "UPDATE grant_requests SET state = 'expired', decided_at = expires_at WHERE id = @id AND state = 'pending' AND expires_at <= @now",
        static (a, p) => p.Add("@id", a.Id).Add("@now", a.Now));

    private static readonly SqlQuery<int, HeldGrant> Held = new(
        """
        SELECT e.client_id, p.name AS partner_name, e.feature_name, e.granted_at
        FROM entitlements e JOIN partners p ON p.client_id = e.client_id
        ORDER BY p.name, e.client_id, e.feature_name
        LIMIT @limit
        """,
        static (limit, p) => p.Add("@limit", limit),
        static row => new HeldGrant(row.Text("client_id"), row.Text("partner_name"), row.Text("feature_name"), row.Int64("granted_at")));

    private static GrantRequestRow Map(ISqlRow row) => new()
    {
        Id = row.Int64("id"),
        ClientId = row.Text("client_id"),
        PartnerName = row.Text("partner_name"),
        FeatureName = row.Text("feature_name"),
        Reason = row.Text("reason"),
        RequestedBy = row.Text("requested_by"),
        RequestedAt = row.Int64("requested_at"),
        ExpiresAt = row.Int64("expires_at"),
        State = row.Text("state"),
        Version = row.Int64("version"),
        EditedAt = row.NullableInt64("edited_at"),
        DecidedBy = row.NullableText("decided_by"),
        DecidedAt = row.NullableInt64("decided_at"),
        DecisionNote = row.NullableText("decision_note"),
    };

    public static Task<GrantRequestRow?> FindGrantRequestAsync(this StoreSession session, long id) => session.QueryFirstAsync(Find, id);

    /// <summary>Every pending request, the oldest first.</summary>
    public static Task<IReadOnlyList<GrantRequestRow>> ListPendingGrantRequestsAsync(this StoreSession session) => session.QueryAsync(ListPending, 0);

    /// <summary>At most <paramref name="limit"/> decided requests, the latest decision first.</summary>
    public static Task<IReadOnlyList<GrantRequestRow>> ListDecidedGrantRequestsAsync(this StoreSession session, int limit) => session.QueryAsync(ListDecided, limit);

    public static async Task<long?> FindPendingGrantRequestAsync(this StoreSession session, string clientId, string featureName) =>
        (await session.QueryAsync(FindPending, (clientId, featureName)).ConfigureAwait(false)) is [var id, ..] ? id : null;

    /// <summary>The partner's pending requests whose expiry has passed (at most one per gated feature).</summary>
    public static Task<IReadOnlyList<long>> FindDueGrantRequestsAsync(this StoreSession session, string clientId, long now) =>
        session.QueryAsync(FindDue, (clientId, now));

    /// <summary>At most <paramref name="limit"/> partners that have a pending request whose expiry has passed.</summary>
    public static Task<IReadOnlyList<string>> FindPartnersWithDueGrantRequestsAsync(this StoreSession session, long now, int limit) =>
        session.QueryAsync(FindDuePartners, (now, limit));

    /// <summary>Whether the partner exists; on PostgreSQL its row stays locked until the transaction ends.</summary>
    public static async Task<bool> LockPartnerForGrantRequestsAsync(this StoreSession session, string clientId) =>
        (await session.QueryAsync(LockPartner, clientId).ConfigureAwait(false)).Count > 0;

    public static Task<long> InsertGrantRequestAsync(this StoreSession session, GrantRequestRow row) => session.QueryFirstAsync(Insert, row);

    /// <summary>1 when edited; 0 when no longer pending, expired, of another version, or not the operator's own.</summary>
    public static Task<int> EditGrantRequestAsync(this StoreSession session, long id, long version, string by, string featureName, string reason, long now) =>
        session.ExecuteAsync(Edit, (id, version, by, featureName, reason, now));

    /// <summary>1 when decided; 0 when no longer pending, expired, of another version, or the decider's own.</summary>
    public static Task<int> DecideGrantRequestAsync(this StoreSession session, long id, long version, string state, string by, string? note, long now) =>
        session.ExecuteAsync(Decide, (id, version, state, by, note, now));

    public static Task<int> WithdrawGrantRequestAsync(this StoreSession session, long id, string by, long now) =>
        session.ExecuteAsync(Withdraw, (id, by, now));

    public static Task<int> ExpireGrantRequestAsync(this StoreSession session, long id, long now) => session.ExecuteAsync(Expire, (id, now));

    public static Task<IReadOnlyList<HeldGrant>> ListHeldGrantsAsync(this StoreSession session, int limit) => session.QueryAsync(Held, limit);
}
