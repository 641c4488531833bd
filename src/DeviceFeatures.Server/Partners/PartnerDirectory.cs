using System.Collections.Concurrent;
using DeviceFeatures.Protocol.Signing;
using DeviceFeatures.Server.Secrets;
using DeviceFeatures.Server.Storage;

namespace DeviceFeatures.Server.Partners;

/// <summary>What a signed request needs to know of its partner, with the secrets decrypted.</summary>
internal sealed record PartnerCredentials(
    string ClientId,
    string Secret,
    string? PreviousSecret,
    DateTimeOffset? PreviousSecretExpiresAt,
    bool Suspended,
    int? RequestsPerMinute,
    DateTimeOffset ReadAt)
{
    /// <summary>
    /// Checks a signature against the current secret and, during a rotation's overlap window, the previous one.
    /// Both comparisons are constant-time.
    /// </summary>
    public bool Verify(string first, string second, string third, string signature, DateTimeOffset now) =>
        Signer.Verify(first, second, third, signature)
        || (PreviousSecret is not null && now < PreviousSecretExpiresAt
            && PreviousSigner!.Verify(first, second, third, signature));

    /// <summary>
    /// Checks a client secret presented in clear (<c>/v2/oauth2 requesttoken</c>) against the current secret and, during
    /// a rotation's overlap window, the previous one. The SHA-256 of each side is compared in constant time, so neither
    /// the content nor the length of the secret shows in the timing.
    /// </summary>
    public bool VerifySecret(string presented, DateTimeOffset now)
    {
        Span<byte> given = stackalloc byte[32];
        System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(presented), given);
        var current = SecretMatches(Secret, given);
        var previous = PreviousSecret is not null && now < PreviousSecretExpiresAt && SecretMatches(PreviousSecret, given);
        return current | previous;
    }

    private static bool SecretMatches(string secret, ReadOnlySpan<byte> givenHash)
    {
        Span<byte> expected = stackalloc byte[32];
        System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(secret), expected);
        return System.Security.Cryptography.CryptographicOperations.FixedTimeEquals(expected, givenHash);
    }

    // Keyed once per secret, and carried over when the partner is read again with the same secrets.
    private WithingsSigner? _signer;
    private WithingsSigner? _previousSigner;

    private WithingsSigner Signer => _signer ??= new WithingsSigner(Secret);

    private WithingsSigner? PreviousSigner => PreviousSecret is null ? null : _previousSigner ??= new WithingsSigner(PreviousSecret);

    internal PartnerCredentials KeepSignersOf(PartnerCredentials? earlier)
    {
        if (earlier is not null)
        {
            _signer = earlier.Secret == Secret ? earlier._signer : null;
            _previousSigner = earlier.PreviousSecret == PreviousSecret ? earlier._previousSigner : null;
        }

        return this;
    }
}

/// <summary>
/// Partners as signed requests see them, decrypted and kept for a few seconds: every request needs its partner,
/// and a change made on another instance (suspension, rotation, rate limit) reaches this one within that time.
/// Changes made through this instance are seen at once.
/// </summary>
internal sealed class PartnerDirectory(IFeatureStore store, SecretProtector secrets, TimeProvider time)
{
    internal static readonly TimeSpan CacheFor = TimeSpan.FromSeconds(5);

    // A refused signature reads the partner again only if the copy is older than this: a caller without the secret
    // must not be able to turn every request into a database read.
    internal static readonly TimeSpan RereadAfter = TimeSpan.FromSeconds(1);
    private readonly ConcurrentDictionary<string, (PartnerCredentials Partner, DateTimeOffset Until)> _cache = new(StringComparer.Ordinal);

    public async ValueTask<PartnerCredentials?> FindAsync(string clientId, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        if (_cache.TryGetValue(clientId, out var cached) && cached.Until > now)
        {
            return cached.Partner;
        }

        return await ReadAsync(clientId, now, cancellationToken);
    }

    /// <summary>
    /// Checks a signature against the partner; when the kept copy refuses it, reads the partner again once before
    /// saying no, so that a secret rotated through another instance works here at once.
    /// </summary>
    public async ValueTask<bool> VerifyAsync(
        PartnerCredentials partner, string first, string second, string third, string signature, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        if (partner.Verify(first, second, third, signature, now))
        {
            return true;
        }

        if (now - partner.ReadAt < RereadAfter)
        {
            return false;
        }

        var fresh = await ReadAsync(partner.ClientId, now, cancellationToken);
        return fresh is not null && fresh.Secret != partner.Secret && fresh.Verify(first, second, third, signature, now);
    }

    /// <summary>
    /// Checks a client secret presented in clear; like <see cref="VerifyAsync"/>, a refused secret reads the partner
    /// again once (at most every second) before saying no, so that a rotation made on another instance works here at once.
    /// </summary>
    public async ValueTask<bool> VerifySecretAsync(PartnerCredentials partner, string presented, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        if (partner.VerifySecret(presented, now))
        {
            return true;
        }

        if (now - partner.ReadAt < RereadAfter)
        {
            return false;
        }

        var fresh = await ReadAsync(partner.ClientId, now, cancellationToken);
        return fresh is not null && fresh.Secret != partner.Secret && fresh.VerifySecret(presented, now);
    }

    private async ValueTask<PartnerCredentials?> ReadAsync(string clientId, DateTimeOffset now, CancellationToken cancellationToken)
    {
        // Unknown client ids are not kept: a partner created on another instance must work at once.
        var row = await store.ReadAsync(s => s.FindPartnerAsync(clientId), cancellationToken);
        if (row is null)
        {
            _cache.TryRemove(clientId, out _);
            return null;
        }

        var partner = new PartnerCredentials(
            row.ClientId,
            secrets.Unprotect(row.ClientId, row.ClientSecret),
            row.PreviousSecret is null ? null : secrets.Unprotect(row.ClientId, row.PreviousSecret),
            row.PreviousSecretExpiresAt is { } ms ? DateTimeOffset.FromUnixTimeMilliseconds(ms) : null,
            row.Suspended,
            row.RateLimitPerMinute,
            now).KeepSignersOf(_cache.TryGetValue(clientId, out var earlier) ? earlier.Partner : null);
        _cache[clientId] = (partner, now + CacheFor);
        return partner;
    }

    public void Forget(string clientId) => _cache.TryRemove(clientId, out _);
}

internal static class PartnerServiceCollectionExtensions
{
    public static IServiceCollection AddPartners(this IServiceCollection services)
    {
        services.AddOptions<RateLimiting.RateLimitOptions>().BindConfiguration(RateLimiting.RateLimitOptions.SectionName)
            .ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<PartnerDirectory>();
        services.AddSingleton<RateLimiting.PartnerRateLimiter>();
        return services;
    }
}
