namespace DeviceFeatures.Server.Storage.Sqlite;

/// <summary>
/// Copies the SQLite log into the database file in the background, every 100 ms. Left to the writer, a checkpoint
/// would run inside a commit now and then and hold every request of that group for as long as it takes.
/// </summary>
/// <remarks>
/// It starts once the store has migrated the database: before that the database (even its folder) may not exist
/// yet. With PostgreSQL, or SQLite in memory, it has nothing to do.
/// </remarks>
internal sealed partial class SqliteCheckpointer(IFeatureStore store, TimeProvider time, ILogger<SqliteCheckpointer> logger) : BackgroundService
{
    // Often enough that the tail the writer copies itself before a restart stays short.
    internal static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(100);

    private long _passes;

    /// <summary>Passes run so far, copied or not (for tests).</summary>
    internal long Passes => Interlocked.Read(ref _passes);

    protected override Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (store is not SqliteFeatureStore { Connections.IsInMemory: false } sqlite)
        {
            return Task.CompletedTask;
        }

        // A pass copies pages and syncs the database file: like the writer, it gets a thread of its own rather than
        // holding one of the thread pool's, which the requests need.
        return SqliteThread.Run("SQLite checkpointer", () => RunAsync(sqlite, stoppingToken));
    }

    // Every await here resumes on the checkpointer's thread: no ConfigureAwait(false) in this method.
    private async Task RunAsync(SqliteFeatureStore sqlite, CancellationToken stoppingToken)
    {
        try
        {
            await sqlite.Migrated.WaitAsync(stoppingToken);
            using var timer = new PeriodicTimer(Interval, time);
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                await CheckpointAsync(sqlite.Connections, stoppingToken);
                Interlocked.Increment(ref _passes);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    private async Task CheckpointAsync(SqliteConnectionFactory connections, CancellationToken cancellationToken)
    {
        try
        {
            // SQLite's "async" calls complete before they return: this runs on the checkpointer's thread throughout.
            await using var connection = await connections.OpenReaderAsync(cancellationToken);
            await using var checkpoint = connection.CreateCommand();

            // PASSIVE never waits for the writer or the readers: what it cannot copy now, it copies next time.
            checkpoint.CommandText = "PRAGMA wal_checkpoint(PASSIVE);";
            await checkpoint.ExecuteNonQueryAsync(cancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            LogCheckpointFailed(ex);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "A background checkpoint of the SQLite log failed; the next one will try again")]
    private partial void LogCheckpointFailed(Exception exception);
}
