using System.Collections.Concurrent;
using System.ComponentModel.DataAnnotations;
using DeviceFeatures.Protocol.Signing;
using DeviceFeatures.Server.Secrets;
using DeviceFeatures.Server.Observability;
using DeviceFeatures.Server.Storage;
using Microsoft.Extensions.Options;

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

/// <summary>Section <c>Partners</c>: how lookups of client ids this instance does not hold are kept in check.</summary>
internal sealed class PartnerDirectoryOptions
{
    public const string SectionName = "Partners";

    /// <summary>
    /// How many reads of client ids this instance does not hold (never seen, or known to be unknown) may be at the
    /// database at once. Client ids are sent by anyone; this bounds the connections they can take from the pool.
    /// </summary>
    [Range(1, 1000)]
    public int MaxConcurrentLookups { get; set; } = 4;

    /// <summary>How long such a lookup may wait for its turn before the request is answered 601.</summary>
    [Range(1, 60_000)]
    public int LookupWaitMilliseconds { get; set; } = 1000;
}

/// <summary>The outcome of a request's lookup: the partner, or null; <see cref="Busy"/> when it could not be looked up now.</summary>
internal readonly record struct PartnerLookup(PartnerCredentials? Partner, bool Busy);

/// <summary>
/// Partners as signed requests see them, decrypted and kept for a few seconds: every request needs its partner,
/// and a change made on another instance (suspension, rotation, rate limit) reaches this one within that time.
/// Changes made through this instance are seen at once.
/// </summary>
/// <remarks>
/// A client id is sent by anyone, before anything is checked, so that what it costs is bounded (see
/// docs/reliability.md, section 7): a client id found to be unknown is remembered for <see cref="UnknownFor"/> (at most
/// <see cref="MaxRememberedUnknown"/> of them); concurrent lookups of one client id share one read; and reads of client
/// ids this instance does not hold wait for one of <see cref="PartnerDirectoryOptions.MaxConcurrentLookups"/> turns,
/// so that they can never take the whole connection pool from the partners it does hold.
/// </remarks>
internal sealed class PartnerDirectory(
    IFeatureStore store,
    SecretProtector secrets,
    TimeProvider time,
    IOptions<PartnerDirectoryOptions> options,
    ServerMetrics metrics) : IDisposable
{
    internal static readonly TimeSpan CacheFor = TimeSpan.FromSeconds(5);

    /// <summary>
    /// How long a client id found unknown is answered as unknown without reading the database again. A partner
    /// created through this instance works at once (creation forgets it); one created through another instance works
    /// here within this time.
    /// </summary>
    internal static readonly TimeSpan UnknownFor = TimeSpan.FromSeconds(2);

    internal const int MaxRememberedUnknown = 10_000;

    // A refused signature reads the partner again only if the copy is older than this: a caller without the secret
    // must not be able to turn every request into a database read.
    internal static readonly TimeSpan RereadAfter = TimeSpan.FromSeconds(1);
    private readonly ConcurrentDictionary<string, (PartnerCredentials Partner, DateTimeOffset Until)> _cache = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, DateTimeOffset> _unknown = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, Task<PartnerLookup>> _inFlight = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _strangers = new(options.Value.MaxConcurrentLookups, options.Value.MaxConcurrentLookups);
    private readonly TimeSpan _strangerWait = TimeSpan.FromMilliseconds(options.Value.LookupWaitMilliseconds);

    // Bumped by Forget and ForgetAll (before they drop anything): a read that began before must not put back in the
    // cache what they dropped, such as the partner a restore just replaced.
    private long _generation;

    /// <summary>The partner, or null when the client id is unknown; for the server's own uses (never refused as busy).</summary>
    public async ValueTask<PartnerCredentials?> FindAsync(string clientId, CancellationToken cancellationToken) =>
        (await LookUpAsync(clientId, gated: false, cancellationToken).ConfigureAwait(false)).Partner;

    /// <summary>
    /// The partner of a request's client id. A client id this instance does not hold waits for a turn among
    /// <see cref="PartnerDirectoryOptions.MaxConcurrentLookups"/>; one that finds none in time is <see cref="PartnerLookup.Busy"/>.
    /// </summary>
    public ValueTask<PartnerLookup> FindForRequestAsync(string clientId, CancellationToken cancellationToken) =>
        LookUpAsync(clientId, gated: true, cancellationToken);

    private async ValueTask<PartnerLookup> LookUpAsync(string clientId, bool gated, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        if (_cache.TryGetValue(clientId, out var cached) && cached.Until > now)
        {
            return new PartnerLookup(cached.Partner, Busy: false);
        }

        if (_unknown.TryGetValue(clientId, out var unknownUntil))
        {
            if (unknownUntil > now)
            {
                metrics.PartnerLookup("remembered_unknown");
                return default;
            }

            _unknown.TryRemove(new KeyValuePair<string, DateTimeOffset>(clientId, unknownUntil));
        }

        // One read for every concurrent request of a client id; it belongs to none of them, so that a request that goes
        // away does not cancel the others' answer.
        var mine = new TaskCompletionSource<PartnerLookup>(TaskCreationOptions.RunContinuationsAsynchronously);
        var shared = _inFlight.GetOrAdd(clientId, mine.Task);
        if (shared == mine.Task)
        {
            _ = ReadSharedAsync(clientId, gated && cached.Partner is null, mine);
        }

        var lookup = await shared.WaitAsync(cancellationToken).ConfigureAwait(false);

        // The server's own lookups (a callback's secret, a bearer token's partner) are never shed: one that joined a
        // request's lookup which was shed reads for itself.
        return !gated && lookup.Busy
            ? new PartnerLookup(await ReadAsync(clientId, time.GetUtcNow(), cancellationToken).ConfigureAwait(false), Busy: false)
            : lookup;
    }

    private async Task ReadSharedAsync(string clientId, bool gated, TaskCompletionSource<PartnerLookup> result)
    {
        try
        {
            // A read that ended just before this one began has left its answer: no second read.
            var now = time.GetUtcNow();
            if (_unknown.TryGetValue(clientId, out var unknownUntil) && unknownUntil > now)
            {
                metrics.PartnerLookup("remembered_unknown");
                result.SetResult(default);
                return;
            }

            if (_cache.TryGetValue(clientId, out var cached) && cached.Until > now)
            {
                result.SetResult(new PartnerLookup(cached.Partner, Busy: false));
                return;
            }

            // A partner this instance holds (its copy expired) is read again at once; any other client id waits for a
            // turn, on the server's clock.
            if (gated && !await TakeTurnAsync().ConfigureAwait(false))
            {
                metrics.PartnerLookup("shed");
                result.SetResult(new PartnerLookup(null, Busy: true));
                return;
            }

            try
            {
                var partner = await ReadAsync(clientId, time.GetUtcNow(), CancellationToken.None).ConfigureAwait(false);
                metrics.PartnerLookup(partner is null ? "unknown" : "found");
                result.SetResult(new PartnerLookup(partner, Busy: false));
            }
            finally
            {
                if (gated)
                {
                    _strangers.Release();
                }
            }
        }
        catch (Exception exception)
        {
            result.SetException(exception);
        }
        finally
        {
            _inFlight.TryRemove(new KeyValuePair<string, Task<PartnerLookup>>(clientId, result.Task));
        }
    }

    private async Task<bool> TakeTurnAsync()
    {
        if (_strangers.Wait(0))
        {
            return true;
        }

        using var timeout = new CancellationTokenSource(_strangerWait, time);
        try
        {
            await _strangers.WaitAsync(timeout.Token).ConfigureAwait(false);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
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
        var generation = Interlocked.Read(ref _generation);
        var row = await store.ReadAsync(s => s.FindPartnerAsync(clientId), cancellationToken);
        if (row is null)
        {
            if (Interlocked.Read(ref _generation) == generation)
            {
                _cache.TryRemove(clientId, out _);
                Remember(clientId, now);
            }

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
        if (Interlocked.Read(ref _generation) != generation)
        {
            return partner;
        }

        // Written, then checked again: a Forget that began between the check and the write has bumped the generation
        // by now (it bumps before it drops), and the entry it may have missed goes.
        var entry = (partner, now + CacheFor);
        _cache[clientId] = entry;
        if (Interlocked.Read(ref _generation) != generation)
        {
            _cache.TryRemove(new KeyValuePair<string, (PartnerCredentials, DateTimeOffset)>(clientId, entry));
        }

        return partner;
    }

    // Bounded: when full, the expired entries go; if none has, the client id is not remembered (each of its requests then
    // waits for a turn like any other unknown one, which still bounds what it costs).
    private void Remember(string clientId, DateTimeOffset now)
    {
        if (_unknown.Count >= MaxRememberedUnknown)
        {
            foreach (var (id, until) in _unknown)
            {
                if (until <= now)
                {
                    _unknown.TryRemove(new KeyValuePair<string, DateTimeOffset>(id, until));
                }
            }

            if (_unknown.Count >= MaxRememberedUnknown)
            {
                return;
            }
        }

        _unknown[clientId] = now + UnknownFor;
    }

    public void Dispose() => _strangers.Dispose();

    /// <summary>Drops what this instance holds about the client id: after a change through it, or its creation.</summary>
    public void Forget(string clientId)
    {
        Interlocked.Increment(ref _generation);
        _cache.TryRemove(clientId, out _);
        _unknown.TryRemove(clientId, out _);
    }

    /// <summary>Drops what this instance holds about every client id: after the emulator replaced or reset the state.</summary>
    public void ForgetAll()
    {
        Interlocked.Increment(ref _generation);
        _cache.Clear();
        _unknown.Clear();
    }
}

internal static class PartnerServiceCollectionExtensions
{
    public static IServiceCollection AddPartners(this IServiceCollection services)
    {
        services.AddOptions<RateLimiting.RateLimitOptions>().BindConfiguration(RateLimiting.RateLimitOptions.SectionName)
            .ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<PartnerDirectoryOptions>().BindConfiguration(PartnerDirectoryOptions.SectionName)
            .ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<PartnerDirectory>();
        services.AddSingleton<RateLimiting.PartnerRateLimiter>();
        return services;
    }
}
