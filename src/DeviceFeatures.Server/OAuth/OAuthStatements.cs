using DeviceFeatures.Server.Storage;

namespace DeviceFeatures.Server.OAuth;

/// <summary>An authorization code as kept (<c>oauth_codes</c>): its SHA-256 only.</summary>
internal sealed record CodeRow(string ClientId, int UserId, string? RedirectUri, long ExpiresAt, long? UsedAt);

/// <summary>An access or refresh token as kept (<c>oauth_tokens</c>): its SHA-256 only.</summary>
internal sealed record TokenRow(string Kind, string ClientId, int UserId, long ExpiresAt);

/// <summary>
/// Authorization codes and tokens. A code is spent by a conditional update whose row count decides, and a refresh
/// token by its deletion: two concurrent exchanges of one code or one refresh token, on any instance, get one answer.
/// </summary>
internal static class OAuthStatements
{
    public const string AccessKind = "access";
    public const string RefreshKind = "refresh";

    private static readonly SqlStatement<(byte[] Hash, string ClientId, int UserId, string? RedirectUri, long ExpiresAt)> InsertCode = new(
        "INSERT INTO oauth_codes (code_sha256, client_id, userid, redirect_uri, expires_at) VALUES (@hash, @clientId, @userId, @redirectUri, @expiresAt)",
        static (a, p) => p.Add("@hash", a.Hash).Add("@clientId", a.ClientId).Add("@userId", a.UserId).Add("@redirectUri", a.RedirectUri)
            .Add("@expiresAt", a.ExpiresAt));

    private static readonly SqlStatement<long> DeleteExpiredCodes = new(
        "DELETE FROM oauth_codes WHERE expires_at <= @now",
        static (now, p) => p.Add("@now", now));

    private static readonly SqlStatement<long> DeleteExpiredTokens = new(
        "DELETE FROM oauth_tokens WHERE expires_at <= @now",
        static (now, p) => p.Add("@now", now));

    private static readonly SqlStatement<(int UserId, long Now)> DeleteExpiredCodesOfUser = new(
        "DELETE FROM oauth_codes WHERE userid = @userId AND expires_at <= @now",
        static (a, p) => p.Add("@userId", a.UserId).Add("@now", a.Now));

    private static readonly SqlQuery<(byte[] Hash, string ClientId, string? RedirectUri, long Now), int?> SpendCode = new(
        """
        UPDATE oauth_codes SET used_at = @now
        WHERE code_sha256 = @hash AND client_id = @clientId AND used_at IS NULL AND expires_at > @now
          AND (redirect_uri IS NULL OR redirect_uri = @redirectUri)
        RETURNING userid
        """,
        static (a, p) => p.Add("@hash", a.Hash).Add("@clientId", a.ClientId).Add("@redirectUri", a.RedirectUri).Add("@now", a.Now),
        static row => (int?)row.Int32("userid"));

    private static readonly SqlQuery<byte[], CodeRow> FindCode = new(
        "SELECT client_id, userid, redirect_uri, expires_at, used_at FROM oauth_codes WHERE code_sha256 = @hash",
        static (hash, p) => p.Add("@hash", hash),
        static row => new CodeRow(row.Text("client_id"), row.Int32("userid"), row.NullableText("redirect_uri"), row.Int64("expires_at"),
            row.NullableInt64("used_at")));

    private static readonly SqlStatement<(byte[] Hash, string Kind, string ClientId, int UserId, long Now, long ExpiresAt)> InsertToken = new(
        """
        INSERT INTO oauth_tokens (token_sha256, kind, client_id, userid, created_at, expires_at)
        VALUES (@hash, @kind, @clientId, @userId, @now, @expiresAt)
        """,
        static (a, p) => p.Add("@hash", a.Hash).Add("@kind", a.Kind).Add("@clientId", a.ClientId).Add("@userId", a.UserId).Add("@now", a.Now)
            .Add("@expiresAt", a.ExpiresAt));

    private static readonly SqlQuery<(byte[] Hash, string ClientId, long Now), int?> SpendRefreshToken = new(
        $"""
        DELETE FROM oauth_tokens
        WHERE token_sha256 = @hash AND kind = '{RefreshKind}' AND client_id = @clientId AND expires_at > @now
        RETURNING userid
        """,
        static (a, p) => p.Add("@hash", a.Hash).Add("@clientId", a.ClientId).Add("@now", a.Now),
        static row => (int?)row.Int32("userid"));

    private static readonly SqlQuery<byte[], TokenRow> FindToken = new(
        "SELECT kind, client_id, userid, expires_at FROM oauth_tokens WHERE token_sha256 = @hash",
        static (hash, p) => p.Add("@hash", hash),
        static row => new TokenRow(row.Text("kind"), row.Text("client_id"), row.Int32("userid"), row.Int64("expires_at")));

    private static readonly SqlStatement<(int UserId, long Now)> DeleteExpiredTokensOfUser = new(
        "DELETE FROM oauth_tokens WHERE userid = @userId AND expires_at <= @now",
        static (a, p) => p.Add("@userId", a.UserId).Add("@now", a.Now));

    /// <summary>Deletes every code and token expired for longer than <see cref="OAuthSecrets.KeepExpiredFor"/>; the rows deleted.</summary>
    public static async Task<int> DeleteExpiredCodesAndTokensAsync(this StoreSession session, long now) =>
        await session.ExecuteAsync(DeleteExpiredCodes, Forgettable(now)).ConfigureAwait(false)
        + await session.ExecuteAsync(DeleteExpiredTokens, Forgettable(now)).ConfigureAwait(false);

    // Codes and tokens that expired before this time are deleted.
    private static long Forgettable(long now) => now - (long)OAuthSecrets.KeepExpiredFor.TotalMilliseconds;

    /// <summary>
    /// Keeps a new code of the user, and drops its long-expired ones so that they do not pile up. Codes given before stay
    /// valid until they expire: a partner that lost an answer and activated again may still hold the first one.
    /// </summary>
    public static async Task InsertCodeAsync(this StoreSession session, byte[] hash, string clientId, int userId, string? redirectUri, long now, long expiresAt)
    {
        await session.ExecuteAsync(DeleteExpiredCodesOfUser, (userId, Forgettable(now))).ConfigureAwait(false);
        await session.ExecuteAsync(InsertCode, (hash, clientId, userId, redirectUri, expiresAt)).ConfigureAwait(false);
    }

    /// <summary>
    /// Marks the code used if it is the partner's, unused, unexpired, and the redirect URI matches; the user it was
    /// given for, or null. The row count decides: a concurrent exchange waits for this one and finds it used.
    /// </summary>
    public static Task<int?> TrySpendCodeAsync(this StoreSession session, byte[] hash, string clientId, string? redirectUri, long now) =>
        session.QueryFirstAsync(SpendCode, (hash, clientId, redirectUri, now));

    public static Task<CodeRow?> FindCodeAsync(this StoreSession session, byte[] hash) =>
        session.QueryFirstAsync(FindCode, hash);

    /// <summary>Keeps a new token, and drops the user's long-expired tokens so that they do not pile up.</summary>
    public static async Task InsertTokenAsync(this StoreSession session, byte[] hash, string kind, string clientId, int userId, long now, long expiresAt)
    {
        await session.ExecuteAsync(DeleteExpiredTokensOfUser, (userId, Forgettable(now))).ConfigureAwait(false);
        await session.ExecuteAsync(InsertToken, (hash, kind, clientId, userId, now, expiresAt)).ConfigureAwait(false);
    }

    /// <summary>Deletes the refresh token if it is the partner's and unexpired; the user it was for, or null.</summary>
    public static Task<int?> TrySpendRefreshTokenAsync(this StoreSession session, byte[] hash, string clientId, long now) =>
        session.QueryFirstAsync(SpendRefreshToken, (hash, clientId, now));

    public static Task<TokenRow?> FindTokenAsync(this StoreSession session, byte[] hash) =>
        session.QueryFirstAsync(FindToken, hash);
}
