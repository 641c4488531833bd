using System.Collections.Concurrent;
using System.ComponentModel.DataAnnotations;
using DeviceFeatures.Server.Partners;
using DeviceFeatures.Server.Storage;
using Microsoft.Extensions.Options;

namespace DeviceFeatures.Server.RateLimiting;

/// <summary>Section <c>RateLimit</c>.</summary>
internal sealed class RateLimitOptions
{
    public const string SectionName = "RateLimit";

    /// <summary>Whether partners' requests are counted at all (switch off for local load tests).</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>The quota of a partner without one of its own: signed requests per minute (0: unlimited).</summary>
    [Range(0, 10_000_000)]
    public int DefaultRequestsPerMinute { get; set; } = 120;

    /// <summary>
    /// Where the counts live: <c>memory</c> (one instance; the SQLite default) or <c>database</c> (shared by every
    /// instance on one PostgreSQL; the PostgreSQL default).
    /// </summary>
    [RegularExpression("^(?i)(auto|memory|database)$")]
    public string Store { get; set; } = "auto";
}

/// <summary>
/// A fixed window of one minute per partner: at most the quota of signed requests is accepted in each window, however
/// many arrive at once. Over the quota the request is refused with 601 and the seconds left in the window.
/// </summary>
internal sealed class PartnerRateLimiter(IOptions<RateLimitOptions> options, IOptions<StorageOptions> storage, IFeatureStore store, TimeProvider time)
{
    private const long WindowMilliseconds = 60_000;
    private readonly ConcurrentDictionary<string, Window> _windows = new(StringComparer.Ordinal);

    // When each partner was last refused, by this instance: the console's overview shows who is being held back.
    private readonly ConcurrentDictionary<string, long> _lastRefused = new(StringComparer.Ordinal);
    private readonly bool _shared = options.Value.Store.Equals("database", StringComparison.OrdinalIgnoreCase)
        || (options.Value.Store.Equals("auto", StringComparison.OrdinalIgnoreCase) && storage.Value.IsPostgres);

    /// <summary>Counts the request; returns null when it is within the quota, else how long to wait.</summary>
    public async ValueTask<int?> TryAcquireAsync(PartnerCredentials partner, CancellationToken cancellationToken)
    {
        var limit = partner.RequestsPerMinute ?? options.Value.DefaultRequestsPerMinute;
        if (!options.Value.Enabled || limit == 0)
        {
            return null;
        }

        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        var windowStart = now - (now % WindowMilliseconds);
        var count = !_shared ? _windows.AddOrUpdate(partner.ClientId, _ => new Window(windowStart), (_, w) => w).Increment(windowStart)
            : store.HasServerFunctions ? await store.WriteStatementAsync(s => s.CountRequestQuicklyAsync(partner.ClientId, windowStart), cancellationToken)
            : await store.WriteAsync(s => s.CountRequestAsync(partner.ClientId, windowStart), cancellationToken);
        if (count <= limit)
        {
            return null;
        }

        _lastRefused[partner.ClientId] = now;
        return (int)Math.Ceiling((windowStart + WindowMilliseconds - now) / 1000.0);
    }

    /// <summary>The partners this instance refused over their quota since <paramref name="sinceMs"/>, with the last refusal's time.</summary>
    public IReadOnlyList<(string ClientId, long LastRefusedAt)> RefusedSince(long sinceMs) =>
        _lastRefused.Where(p => p.Value >= sinceMs).Select(p => (p.Key, p.Value)).OrderBy(p => p.Key, StringComparer.Ordinal).ToArray();

    /// <summary>Forgets this instance's counts of one partner, or of all with null: the emulator reset their state.</summary>
    public void Forget(string? clientId)
    {
        if (clientId is null)
        {
            _windows.Clear();
            _lastRefused.Clear();
            return;
        }

        _windows.TryRemove(clientId, out _);
        _lastRefused.TryRemove(clientId, out _);
    }

    private sealed class Window(long start)
    {
        private readonly Lock _lock = new();
        private long _start = start;
        private int _count;

        public int Increment(long windowStart)
        {
            lock (_lock)
            {
                if (windowStart != _start)
                {
                    _start = windowStart;
                    _count = 0;
                }

                return ++_count;
            }
        }
    }
}
