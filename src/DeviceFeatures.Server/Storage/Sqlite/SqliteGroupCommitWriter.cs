using System.Threading.Channels;
using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace DeviceFeatures.Server.Storage.Sqlite;

/// <summary>
/// The single SQLite writer. SQLite admits one writer at a time, so writes queue for one loop with one connection,
/// which commits them in groups: the writes waiting when a transaction starts share it, each inside a savepoint of
/// its own, and one commit (one sync of the log) makes them all durable before any of them is answered. A write
/// that fails is rolled back to its savepoint alone; a commit that fails fails every write of its group.
/// </summary>
/// <remarks>
/// The loop starts with the first write, on a thread of its own (<see cref="SqliteThread"/>), and ends when the
/// store is disposed, after the writes already queued.
/// </remarks>
internal sealed partial class SqliteGroupCommitWriter(
    SqliteConnectionFactory connections, SqliteMetrics metrics, int restartPages, ILogger logger, SqliteFiles? files = null)
    : IAsyncDisposable
{
    // Large enough to share one sync among every request in flight, small enough to keep a group's latency short.
    internal const int MaxGroup = 64;

    private readonly Channel<IQueuedWrite> _queue = Channel.CreateUnbounded<IQueuedWrite>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Lock _start = new();
    private Task? _loop;
    private bool _disposed;

    // Used on the writer's thread only.
    private SqliteConnection? _connection;
    private PreparedCommands? _prepared;
    private PreparedSession? _session;
    private long _pagesSinceRestart;
    private long _restartAt = restartPages;

    public Task<T> WriteAsync<T>(Func<StoreSession, Task<T>> work, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var write = new QueuedWrite<T>(work, cancellationToken);
        if (!_queue.Writer.TryWrite(write))
        {
            return Task.FromException<T>(new ObjectDisposedException(nameof(SqliteFeatureStore)));
        }

        if (Volatile.Read(ref _loop) is null)
        {
            Start();
        }

        return write.Task;
    }

    private void Start()
    {
        lock (_start)
        {
            if (_loop is null && !_disposed)
            {
                _loop = SqliteThread.Run("SQLite writer", RunAsync);
            }
        }
    }

    // Every await here resumes on the writer's thread: no ConfigureAwait(false) in this class.
    private async Task RunAsync()
    {
        var group = new List<IQueuedWrite>(MaxGroup);
        while (await _queue.Reader.WaitToReadAsync())
        {
            group.Clear();
            while (group.Count < MaxGroup && _queue.Reader.TryRead(out var write))
            {
                group.Add(write);
            }

            await CommitGroupAsync(group);
            if (_pagesSinceRestart >= _restartAt)
            {
                await RestartLogAsync();
            }
        }

        await DropConnectionAsync();
    }

    private async Task CommitGroupAsync(List<IQueuedWrite> group)
    {
        SqliteTransaction transaction;
        try
        {
            if (_connection is null)
            {
                await OpenAsync();
            }

            transaction = _connection!.BeginTransaction();
        }
        catch (Exception ex)
        {
            await DropConnectionAsync();
            group.ForEach(w => w.Fail(ex));
            return;
        }

        // A lone write needs no savepoint: if it fails, the whole transaction is rolled back.
        var savepoints = group.Count > 1;
        var done = new List<IQueuedWrite>(group.Count);
        using (transaction)
        {
            foreach (var write in group)
            {
                if (write.CancellationToken.IsCancellationRequested)
                {
                    write.Fail(new OperationCanceledException(write.CancellationToken));
                    continue;
                }

                if (savepoints)
                {
                    _prepared!.Get("SAVEPOINT w").Execute();
                }

                try
                {
                    await write.RunAsync(_session!);
                    if (savepoints)
                    {
                        _prepared!.Get("RELEASE w").Execute();
                    }

                    done.Add(write);
                }
                catch (Exception ex)
                {
                    if (savepoints && !TryUndo(_prepared!))
                    {
                        // The connection is in no state to go on: nothing of this group is kept.
                        await DropConnectionAsync();
                        write.Fail(ex);
                        done.ForEach(w => w.Fail(ex));
                        group.SkipWhile(w => w != write).Skip(1).ToList().ForEach(w => w.Fail(ex));
                        return;
                    }

                    write.Fail(ex);
                }
            }

            try
            {
                if (done.Count == 0 && !savepoints)
                {
                    transaction.Rollback();
                    return;
                }

                // The one place every change passes before it is committed, and so before it is answered.
                files?.EnsureUnchanged();
                transaction.Commit();
            }
            catch (DatabaseFilesChangedException ex)
            {
                // Rolled back when disposed. The connection stays open: closing the last one would make SQLite copy
                // the log into the deleted file and remove whatever file now has the log's name.
                done.ForEach(w => w.Fail(ex));
                return;
            }
            catch (Exception ex)
            {
                await DropConnectionAsync();
                done.ForEach(w => w.Fail(ex));
                return;
            }
        }

        // Answers leave only now, with every change of the group on disk.
        done.ForEach(w => w.Complete());
        metrics.GroupCommitted(done.Count);
        _pagesSinceRestart += PagesWritten();
    }

    private async Task OpenAsync()
    {
        _connection = await connections.OpenWriterAsync(CancellationToken.None);
        using (var manual = _connection.CreateCommand())
        {
            // The background checkpoints copy the log (SqliteCheckpointer), not the commits. A log that was once long
            // (a burst, a slow reader) is cut back when it starts again, so that the disk it takes stays bounded; in
            // steady use it stays under this size and is reused as it is.
            manual.CommandText = $"PRAGMA wal_autocheckpoint=0; PRAGMA journal_size_limit={(long)restartPages * 4 * 4096};";
            manual.ExecuteNonQuery();

            // A read opens the log, whose identity the commits then check.
            manual.CommandText = "PRAGMA schema_version;";
            manual.ExecuteScalar();
        }

        files?.LogOpened();

        _prepared = new PreparedCommands(_connection);
        _session = new PreparedSession(_prepared);
        PagesWritten();
    }

    /// <summary>The pages this connection has written to the log since the last call.</summary>
    private long PagesWritten()
    {
        raw.sqlite3_db_status(_connection!.Handle, raw.SQLITE_DBSTATUS_CACHE_WRITE, out var written, out _, 1);
        return written;
    }

    /// <summary>
    /// The background checkpoints copy the log while the writer goes on appending to it, so under steady writes
    /// they never catch up with its end, and SQLite starts the log again from its beginning only once every page
    /// of it is in the database. Once it has written <see cref="StorageOptions.SqliteLogRestartPages"/> pages since
    /// the log last started again, the writer therefore stops between two groups to copy what the background passes
    /// left (a short tail) and waits for the readers of older pages to finish; its next commit then writes from the
    /// start of the log, into blocks the file already has.
    /// </summary>
    private async Task RestartLogAsync()
    {
        try
        {
            using var command = _connection!.CreateCommand();

            // Readers hold older pages for well under a millisecond; the writer waits for them a little, not the
            // connection's full busy timeout. If they are not done, it asks again a quarter of the way later.
            command.CommandText = "PRAGMA busy_timeout=100;";
            command.ExecuteNonQuery();
            try
            {
                // Its row is (busy, pages in the log, pages copied); busy 0 means the next commit starts the log again.
                command.CommandText = "PRAGMA wal_checkpoint(RESTART);";
                using var reader = command.ExecuteReader();
                if (reader.Read() && reader.GetInt64(0) == 0)
                {
                    _pagesSinceRestart = 0;
                    _restartAt = restartPages;
                    metrics.LogRestarted();
                }
                else
                {
                    _restartAt = _pagesSinceRestart + Math.Max(1, restartPages / 4);
                }
            }
            finally
            {
                command.CommandText = "PRAGMA busy_timeout=5000;";
                command.ExecuteNonQuery();
            }
        }
        catch (Exception ex)
        {
            // Whatever went wrong, the loop goes on: the writes queued behind it must still be served.
            LogRestartFailed(logger, ex);
            _restartAt = _pagesSinceRestart + Math.Max(1, restartPages / 4);
            await DropConnectionAsync();
        }
    }

    private static bool TryUndo(PreparedCommands prepared)
    {
        try
        {
            prepared.Get("ROLLBACK TO w").Execute();
            prepared.Get("RELEASE w").Execute();
            return true;
        }
        catch (SqliteException)
        {
            return false;
        }
    }

    private async Task DropConnectionAsync()
    {
        _prepared?.Dispose();
        _prepared = null;
        _session = null;
        if (_connection is not null)
        {
            await _connection.DisposeAsync();
            _connection = null;
        }
    }

    /// <summary>Ends the loop once the writes already queued are done, and closes its connection.</summary>
    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        Task? loop;
        lock (_start)
        {
            _disposed = true;
            loop = _loop;
        }

        if (loop is not null)
        {
            await loop.ConfigureAwait(false);
            return;
        }

        while (_queue.Reader.TryRead(out var write))
        {
            write.Fail(new ObjectDisposedException(nameof(SqliteFeatureStore)));
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Starting the SQLite log again failed; the writer will try again")]
    private static partial void LogRestartFailed(ILogger logger, Exception exception);
}

internal interface IQueuedWrite
{
    CancellationToken CancellationToken { get; }

    Task RunAsync(StoreSession session);

    void Complete();

    void Fail(Exception exception);
}

internal sealed class QueuedWrite<T>(Func<StoreSession, Task<T>> work, CancellationToken cancellationToken) : IQueuedWrite
{
    private readonly TaskCompletionSource<T> _answer = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private T? _result;

    public Task<T> Task => _answer.Task;

    public CancellationToken CancellationToken => cancellationToken;

    // No ConfigureAwait(false): the work goes on on the writer's thread, whatever it awaits.
    public async Task RunAsync(StoreSession session) => _result = await work(session);

    public void Complete() => _answer.TrySetResult(_result!);

    public void Fail(Exception exception)
    {
        if (exception is OperationCanceledException && cancellationToken.IsCancellationRequested)
        {
            _answer.TrySetCanceled(cancellationToken);
        }
        else
        {
            _answer.TrySetException(exception);
        }
    }
}
