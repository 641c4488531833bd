using DeviceFeatures.Server.Storage;

namespace DeviceFeatures.Server.Signature;

/// <summary>
/// The record of used nonces (<c>used_nonces</c>). Its primary key is what makes a nonce single-use: a second insert
/// of the same nonce changes no row.
/// </summary>
internal static class NonceStatements
{
    private static readonly SqlStatement<(byte[] Nonce, string ClientId, long ExpiresAt)> Use = new(
        "INSERT INTO used_nonces (nonce, client_id, expires_at) VALUES (@nonce, @clientId, @expiresAt) ON CONFLICT (nonce) DO NOTHING",
        static (a, p) => p.Add("@nonce", a.Nonce).Add("@clientId", a.ClientId).Add("@expiresAt", a.ExpiresAt));

    private static readonly SqlStatement<long> DeleteExpired = new(
        "DELETE FROM used_nonces WHERE expires_at < @now",
        static (now, p) => p.Add("@now", now));

    /// <summary>Records the use of a nonce; <see langword="false"/> when it was already used.</summary>
    public static async Task<bool> TryUseNonceAsync(this StoreSession session, byte[] nonce, string clientId, long expiresAt) =>
        await session.ExecuteAsync(Use, (nonce, clientId, expiresAt)).ConfigureAwait(false) == 1;

    public static Task<int> DeleteExpiredNoncesAsync(this StoreSession session, long now) =>
        session.ExecuteAsync(DeleteExpired, now);
}
