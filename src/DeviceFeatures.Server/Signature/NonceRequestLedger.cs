using System.Collections.Concurrent;
using DeviceFeatures.Server.RateLimiting;
using Microsoft.Extensions.Options;

namespace DeviceFeatures.Server.Signature;

/// <summary>
/// How many nonces each signed <c>getnonce</c> request has been given on this instance. Withings' signature covers only
/// <c>getnonce</c>, <c>client_id</c> and <c>timestamp</c>, so a request captured on the way can be sent again, unchanged,
/// for as long as its timestamp is in the window: each signed request gets at most
/// <see cref="SignatureOptions.NoncesPerSignedRequest"/> nonces, or a second's share of its partner's quota when that
/// is more. That is plenty for a partner's workers that sign in the same second, and bounds what a replay gets (nonces
/// that are of no use without the secret anyway). Counted in memory, without a database write; an entry is dropped once
/// its timestamp has left the window.
/// </summary>
/// <remarks>
/// The refusal is a 601, so <c>RateLimit:Enabled=false</c> (which promises that 601 is never sent) lifts this limit too,
/// and so does an unlimited quota (0).
/// </remarks>
internal sealed class NonceRequestLedger(IOptions<SignatureOptions> options, IOptions<RateLimitOptions> rateLimits, TimeProvider time)
{
    /// <summary>The most signed requests held at once; beyond it (every one still in its window), requests are not counted.</summary>
    internal const int MaxEntries = 100_000;

    private readonly ConcurrentDictionary<string, Entry> _entries = new(StringComparer.Ordinal);
    private readonly int _perRequest = options.Value.NoncesPerSignedRequest;
    private readonly bool _enabled = rateLimits.Value.Enabled;
    private readonly int _defaultQuota = rateLimits.Value.DefaultRequestsPerMinute;
    private readonly int _toleranceSeconds = options.Value.TimestampToleranceSeconds;
    private long _nextSweep;

    // Kept apart from the dictionary: its Count takes every one of its locks, on the path of every new request.
    private int _count;

    /// <summary>
    /// How many nonces one signed request of a partner with this quota gets: <see cref="SignatureOptions.NoncesPerSignedRequest"/>,
    /// or the calls the quota allows in a second when that is more (a client signs with the current second, and may
    /// spend its quota at that pace); null when nothing bounds it.
    /// </summary>
    public int? LimitFor(int? requestsPerMinute)
    {
        var quota = requestsPerMinute ?? _defaultQuota;
        return !_enabled || quota == 0 ? null : Math.Max(_perRequest, (quota + 59) / 60);
    }

    /// <summary>
    /// Counts one more nonce for this signed request (whose signature and timestamp window have been checked); false
    /// when it has had its <paramref name="limit"/>.
    /// </summary>
    public bool TryTake(string clientId, string timestampText, long timestamp, string signature, int limit)
    {
        var now = time.GetUtcNow().ToUnixTimeSeconds();
        Sweep(now);

        // The signature is accepted in either case: in lower case, so that changing the case of its letters does not
        // make a new request of an old one. The client id and the timestamp are signed exactly as sent.
        var key = string.Create(clientId.Length + timestampText.Length + signature.Length + 2, (clientId, timestampText, signature), static (span, parts) =>
        {
            parts.clientId.CopyTo(span);
            span[parts.clientId.Length] = '\n';
            var rest = span[(parts.clientId.Length + 1)..];
            parts.timestampText.CopyTo(rest);
            rest[parts.timestampText.Length] = '\n';
            parts.signature.AsSpan().ToLowerInvariant(rest[(parts.timestampText.Length + 1)..]);
        });

        if (!_entries.TryGetValue(key, out var entry))
        {
            if (Volatile.Read(ref _count) >= MaxEntries)
            {
                return true;
            }

            // Kept until the timestamp leaves the window: until then the same request would be accepted.
            var fresh = new Entry(timestamp + _toleranceSeconds);
            if (_entries.TryAdd(key, fresh))
            {
                Interlocked.Increment(ref _count);
                entry = fresh;
            }
            else if (!_entries.TryGetValue(key, out entry))
            {
                // Added by another request and swept at once: only an entry whose window has passed is swept.
                return true;
            }
        }

        return Interlocked.Increment(ref entry.Count) <= limit;
    }

    // At most once a second, by whichever request comes first.
    private void Sweep(long now)
    {
        var next = Interlocked.Read(ref _nextSweep);
        if (now < next || Interlocked.CompareExchange(ref _nextSweep, now + 1, next) != next)
        {
            return;
        }

        foreach (var (key, entry) in _entries)
        {
            if (entry.Until < now && _entries.TryRemove(new KeyValuePair<string, Entry>(key, entry)))
            {
                Interlocked.Decrement(ref _count);
            }
        }
    }

    private sealed class Entry(long until)
    {
        public readonly long Until = until;
        public int Count;
    }
}
