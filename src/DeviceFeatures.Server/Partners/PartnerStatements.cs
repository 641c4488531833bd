using DeviceFeatures.Server.Storage;

namespace DeviceFeatures.Server.Partners;

/// <summary>A partner as stored (<c>partners</c>). Times are Unix milliseconds; secrets are encrypted.</summary>
internal sealed class PartnerRow
{
    public string ClientId { get; set; } = "";
    public string Name { get; set; } = "";
    public string ClientSecret { get; set; } = "";
    public bool Suspended { get; set; }
    public long CreatedAt { get; set; }
    public long UpdatedAt { get; set; }
    public string? PreviousSecret { get; set; }
    public long? PreviousSecretExpiresAt { get; set; }
    public int? RateLimitPerMinute { get; set; }

    /// <summary>Where change events are delivered; null: the partner receives none (docs/protocol.md, "Change events").</summary>
    public string? CallbackUrl { get; set; }
}

/// <summary>The partners: created and changed by the admin API, read by every signed request (through the cache).</summary>
internal static class PartnerStatements
{
    private const string Columns =
        "client_id, name, client_secret, suspended, created_at, updated_at, previous_secret, previous_secret_expires_at, rate_limit_per_minute, callback_url";

    private static readonly SqlQuery<string, PartnerRow> Find = new(
        $"SELECT {Columns} FROM partners WHERE client_id = @clientId",
        static (clientId, p) => p.Add("@clientId", clientId),
        Map);

    private static readonly SqlQuery<ValueTuple, PartnerRow> List = new(
        $"SELECT {Columns} FROM partners ORDER BY created_at, client_id", null, Map);

    private static readonly SqlQuery<ValueTuple, int> Count = new(
        "SELECT COUNT(*) AS count FROM partners", null, static row => row.Int32("count"));

    private static readonly SqlStatement<PartnerRow> Insert = new(
        "INSERT INTO partners (client_id, name, client_secret, suspended, created_at, updated_at) VALUES (@clientId, @name, @clientSecret, @suspended, @createdAt, @updatedAt)",
        static (partner, p) => p.Add("@clientId", partner.ClientId).Add("@name", partner.Name).Add("@clientSecret", partner.ClientSecret)
            .Add("@suspended", partner.Suspended).Add("@createdAt", partner.CreatedAt).Add("@updatedAt", partner.UpdatedAt));

    private static readonly SqlStatement<(string ClientId, string NewSecret, long? PreviousExpiresAt, long Now)> RotateSecret = new(
        """
        UPDATE partners SET
            previous_secret = CASE WHEN @previousExpiresAt IS NULL THEN NULL ELSE client_secret END,
            previous_secret_expires_at = @previousExpiresAt,
            client_secret = @newSecret,
            updated_at = @now
        WHERE client_id = @clientId
        """,
        static (a, p) => p.Add("@clientId", a.ClientId).Add("@newSecret", a.NewSecret).Add("@previousExpiresAt", a.PreviousExpiresAt).Add("@now", a.Now));

    private static readonly SqlStatement<(string ClientId, string Plain, string Encrypted)> ReplacePlainSecret = new(
        "UPDATE partners SET client_secret = @encrypted WHERE client_id = @clientId AND client_secret = @plain",
        static (a, p) => p.Add("@clientId", a.ClientId).Add("@plain", a.Plain).Add("@encrypted", a.Encrypted));

    private static readonly SqlStatement<(string ClientId, int? RequestsPerMinute, long Now)> SetRateLimit = new(
        """
        UPDATE partners SET rate_limit_per_minute = @requestsPerMinute, updated_at = @now
        WHERE client_id = @clientId AND rate_limit_per_minute IS DISTINCT FROM @requestsPerMinute
        """,
        static (a, p) => p.Add("@clientId", a.ClientId).Add("@requestsPerMinute", a.RequestsPerMinute).Add("@now", a.Now));

    private static readonly SqlStatement<(string ClientId, bool Suspended, long Now)> SetSuspended = new(
        "UPDATE partners SET suspended = @suspended, updated_at = @now WHERE client_id = @clientId AND suspended <> @suspended",
        static (a, p) => p.Add("@clientId", a.ClientId).Add("@suspended", a.Suspended).Add("@now", a.Now));

    private static readonly SqlStatement<(string ClientId, string? Url, long Now)> SetCallbackUrl = new(
        "UPDATE partners SET callback_url = @url, updated_at = @now WHERE client_id = @clientId AND callback_url IS DISTINCT FROM @url",
        static (a, p) => p.Add("@clientId", a.ClientId).Add("@url", a.Url).Add("@now", a.Now));

    public static Task<PartnerRow?> FindPartnerAsync(this StoreSession session, string clientId) =>
        session.QueryFirstAsync(Find, clientId);

    public static Task<IReadOnlyList<PartnerRow>> ListPartnersAsync(this StoreSession session) =>
        session.QueryAsync(List, default);

    public static Task<int> CountPartnersAsync(this StoreSession session) =>
        session.QueryFirstAsync(Count, default);

    public static Task<int> InsertPartnerAsync(this StoreSession session, PartnerRow partner) =>
        session.ExecuteAsync(Insert, partner);

    /// <summary>
    /// Makes <paramref name="newSecret"/> the partner's secret. With <paramref name="previousExpiresAt"/>, the secret it
    /// replaces stays valid until then; without, it stops at once.
    /// </summary>
    public static Task<int> RotatePartnerSecretAsync(this StoreSession session, string clientId, string newSecret, long? previousExpiresAt, long now) =>
        session.ExecuteAsync(RotateSecret, (clientId, newSecret, previousExpiresAt, now));

    /// <summary>Encrypts a secret stored in clear by an earlier version, unless it changed meanwhile.</summary>
    public static Task<int> ReplacePlainSecretAsync(this StoreSession session, string clientId, string plain, string encrypted) =>
        session.ExecuteAsync(ReplacePlainSecret, (clientId, plain, encrypted));

    /// <summary>Sets the partner's quota; the count of changed rows is 0 when it already had that quota (or no such partner).</summary>
    public static Task<int> SetPartnerRateLimitAsync(this StoreSession session, string clientId, int? requestsPerMinute, long now) =>
        session.ExecuteAsync(SetRateLimit, (clientId, requestsPerMinute, now));

    public static Task<int> SetPartnerSuspendedAsync(this StoreSession session, string clientId, bool suspended, long now) =>
        session.ExecuteAsync(SetSuspended, (clientId, suspended, now));

    /// <summary>Sets (or with null clears) the partner's callback URL; 0 rows when it already had it (or no such partner).</summary>
    public static Task<int> SetPartnerCallbackUrlAsync(this StoreSession session, string clientId, string? url, long now) =>
        session.ExecuteAsync(SetCallbackUrl, (clientId, url, now));

    private static PartnerRow Map(ISqlRow row) => new()
    {
        ClientId = row.Text("client_id"),
        Name = row.Text("name"),
        ClientSecret = row.Text("client_secret"),
        Suspended = row.Boolean("suspended"),
        CreatedAt = row.Int64("created_at"),
        UpdatedAt = row.Int64("updated_at"),
        PreviousSecret = row.NullableText("previous_secret"),
        PreviousSecretExpiresAt = row.NullableInt64("previous_secret_expires_at"),
        RateLimitPerMinute = row.NullableInt32("rate_limit_per_minute"),
        CallbackUrl = row.NullableText("callback_url"),
    };
}
