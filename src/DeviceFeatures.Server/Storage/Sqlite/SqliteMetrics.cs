using System.Diagnostics.Metrics;

namespace DeviceFeatures.Server.Storage.Sqlite;

/// <summary>What operators watch of the SQLite writer, on the server's meter: how many writes share a commit, and the log's restarts.</summary>
internal sealed class SqliteMetrics
{
    private readonly Histogram<int>? _groupSize;
    private readonly Counter<long>? _logRestarts;
    private int _logRestartCount;

    /// <param name="meters">None where the store runs without a host (tools): nothing is exported, the counts are kept.</param>
    public SqliteMetrics(IMeterFactory? meters)
    {
        if (meters?.Create(Observability.ServerMetrics.MeterName) is { } meter)
        {
            _groupSize = meter.CreateHistogram<int>("devicefeatures.sqlite.commit.writes", "{write}",
                "Writes that shared one SQLite commit (one sync of the log)", advice: new InstrumentAdvice<int> { HistogramBucketBoundaries = [1, 2, 4, 8, 16, 32, 64] });
            _logRestarts = meter.CreateCounter<long>("devicefeatures.sqlite.log.restarts", "{restart}",
                "Times the SQLite write-ahead log was copied in full and started again from its beginning");
        }
    }

    /// <summary>How many times the writer has had the log started again (for tests and diagnostics).</summary>
    public int LogRestarts => Volatile.Read(ref _logRestartCount);

    public void GroupCommitted(int writes) => _groupSize?.Record(writes);

    public void LogRestarted()
    {
        Interlocked.Increment(ref _logRestartCount);
        _logRestarts?.Add(1);
    }
}
