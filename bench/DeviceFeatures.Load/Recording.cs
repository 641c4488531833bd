using System.Collections.Concurrent;
using System.Diagnostics;

namespace DeviceFeatures.Load;

/// <summary>
/// Latencies of one kind of request, kept exactly (Stopwatch ticks) by one worker: no lock on the hot path, and
/// percentiles come from the merged, sorted values rather than from buckets.
/// </summary>
internal sealed class LatencyRecorder
{
    private long[] _values = new long[4096];

    public int Count { get; private set; }

    public void Record(long ticks)
    {
        if (Count == _values.Length)
        {
            Array.Resize(ref _values, _values.Length * 2);
        }

        _values[Count++] = ticks;
    }

    public ReadOnlySpan<long> Values => _values.AsSpan(0, Count);

    public static LatencySummary Summarize(IEnumerable<LatencyRecorder> recorders)
    {
        var all = recorders.ToArray();
        var merged = new long[all.Sum(r => r.Count)];
        var offset = 0;
        foreach (var recorder in all)
        {
            recorder.Values.CopyTo(merged.AsSpan(offset));
            offset += recorder.Count;
        }

        Array.Sort(merged);
        return new LatencySummary(merged.Length, Percentile(merged, 0.50), Percentile(merged, 0.99), Percentile(merged, 0.999),
            merged.Length == 0 ? 0 : ToMilliseconds(merged[^1]));
    }

    // Nearest rank: the smallest value with at least p of the values at or below it.
    private static double Percentile(long[] sorted, double p)
    {
        if (sorted.Length == 0)
        {
            return double.NaN;
        }

        var rank = (int)Math.Ceiling(p * sorted.Length);
        return ToMilliseconds(sorted[Math.Clamp(rank - 1, 0, sorted.Length - 1)]);
    }

    private static double ToMilliseconds(long ticks) => ticks * 1000.0 / Stopwatch.Frequency;
}

internal readonly record struct LatencySummary(int Count, double P50, double P99, double P999, double Max);

/// <summary>Errors by kind, shared by the workers of one phase; only the first kinds are kept by name.</summary>
internal sealed class ErrorTally
{
    private const int MaxKinds = 16;
    private readonly ConcurrentDictionary<string, int> _kinds = new(StringComparer.Ordinal);
    private long _total;

    public long Total => Interlocked.Read(ref _total);

    public void Add(string kind)
    {
        Interlocked.Increment(ref _total);
        var key = kind.Length <= 160 ? kind : string.Concat(kind.AsSpan(0, 160), "...");
        if (_kinds.Count >= MaxKinds && !_kinds.ContainsKey(key))
        {
            key = "(other kinds)";
        }

        _kinds.AddOrUpdate(key, 1, static (_, n) => n + 1);
    }

    public IReadOnlyList<KeyValuePair<string, int>> Kinds => _kinds.OrderByDescending(k => k.Value).ToArray();
}
