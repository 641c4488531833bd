using System.Diagnostics.Metrics;
using System.Threading.Channels;
using DeviceFeatures.Server.Storage.Sqlite;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Options;

namespace DeviceFeatures.Server.Storage;

/// <summary>
/// SQLite in WAL mode with <c>synchronous=FULL</c>: a committed transaction survives a process crash and a power
/// loss. SQLite admits one writer at a time, so writes queue for a single writer, which commits them in groups:
/// the writes waiting when a transaction starts share it, each inside a savepoint of its own, and one commit (one
/// sync of the log) makes them all durable before any of them is answered. A write that fails is rolled back to
/// its savepoint alone; a commit that fails fails every write of its group. Reads use pooled connections of their
/// own, which WAL never makes wait for the writer.
/// </summary>
internal sealed partial class SqliteFeatureStore : IFeatureStore, IAsyncDisposable, IDisposable
{
    // Large enough to share one sync among every request in flight, small enough to keep a group's latency short.
    internal const int MaxGroup = 64;

    private static readonly TimeSpan CheckpointInterval = TimeSpan.FromMilliseconds(100);

    private readonly string _connectionString;
    private readonly TimeProvider _time;
    private readonly ILogger<SqliteFeatureStore> _logger;
    private readonly Channel<IQueuedWrite> _queue = Channel.CreateUnbounded<IQueuedWrite>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Task _writer;
    private readonly Task _checkpointer;
    private readonly CancellationTokenSource _stopping = new();
    private readonly int _restartPages;
    private volatile bool _restartWanted;
    private readonly Histogram<int>? _groupSize;
    private readonly Counter<long>? _logRestarts;
    private SqliteConnection? _writeConnection;
    private PreparedCommands? _prepared;

    public SqliteFeatureStore(
        IOptions<StorageOptions> options, TimeProvider time, ILogger<SqliteFeatureStore> logger, IHostEnvironment? environment = null, IMeterFactory? meters = null)
    {
        if (meters?.Create(Observability.ServerMetrics.MeterName) is { } meter)
        {
            _groupSize = meter.CreateHistogram<int>("devicefeatures.sqlite.commit.writes", "{write}",
                "Writes that shared one SQLite commit (one sync of the log)", advice: new InstrumentAdvice<int> { HistogramBucketBoundaries = [1, 2, 4, 8, 16, 32, 64] });
            _logRestarts = meter.CreateCounter<long>("devicefeatures.sqlite.log.restarts", "{restart}",
                "Times the SQLite write-ahead log was copied in full and started again from its beginning");
        }

        var builder = new SqliteConnectionStringBuilder(options.Value.ConnectionString)
        {
            Pooling = true,
            DefaultTimeout = 30,
        };

        // A relative file is kept beside the server's content, wherever the process was started from (tools that
        // use the store without a host resolve it from the current directory).
        if (builder.DataSource is { Length: > 0 } file && file != ":memory:" && !file.StartsWith("file:", StringComparison.Ordinal) && !Path.IsPathRooted(file))
        {
            builder.DataSource = Path.GetFullPath(Path.Combine(environment?.ContentRootPath ?? Directory.GetCurrentDirectory(), file));
        }

        _connectionString = builder.ToString();
        DataSource = builder.DataSource;
        _restartPages = options.Value.SqliteLogRestartPages;
        _time = time;
        _logger = logger;
        // SQLite's "async" calls run synchronously: the writer gets a thread of its own, so that its syncs block
        // neither the thread pool nor the requests it serves.
        _writer = Task.Factory.StartNew(WriteLoop, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        _checkpointer = Task.Factory.StartNew(CheckpointLoop, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
    }

    public string DataSource { get; }

    public async Task MigrateAsync(CancellationToken cancellationToken)
    {
        if (DataSource.Length > 0 && DataSource != ":memory:")
        {
            var directory = Path.GetDirectoryName(Path.GetFullPath(DataSource));
            if (!string.IsNullOrEmpty(directory))
            {
                Directory.CreateDirectory(directory);
            }
        }

        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using (var wal = connection.CreateCommand())
        {
            // WAL persists in the file: readers never wait for the writer.
            wal.CommandText = "PRAGMA journal_mode=WAL;";
            await wal.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        var applied = await Migrations.ApplyAsync(connection, SqlDialect.Sqlite, Migrations.Load("Sqlite"), _time.GetUtcNow().ToUnixTimeMilliseconds(), cancellationToken)
            .ConfigureAwait(false);
        if (applied > 0)
        {
            LogMigrated(applied, DataSource);
        }
    }

    public Task<T> WriteAsync<T>(Func<StoreSession, Task<T>> work, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var write = new QueuedWrite<T>(work, cancellationToken);
        return _queue.Writer.TryWrite(write)
            ? write.Task
            : Task.FromException<T>(new ObjectDisposedException(nameof(SqliteFeatureStore)));
    }

    private void WriteLoop()
    {
        var group = new List<IQueuedWrite>(MaxGroup);
        while (_queue.Reader.WaitToReadAsync().AsTask().GetAwaiter().GetResult())
        {
            group.Clear();
            while (group.Count < MaxGroup && _queue.Reader.TryRead(out var write))
            {
                group.Add(write);
            }

            // The work completes on this thread: every statement it awaits is a synchronous SQLite call.
            CommitGroupAsync(group).GetAwaiter().GetResult();
            if (_restartWanted)
            {
                RestartLog();
            }
        }
    }

    /// <summary>
    /// The background checkpoints copy the log while the writer goes on appending to it, so under steady writes
    /// they never catch up with its end, and SQLite starts the log again from its beginning only once every page
    /// of it is in the database. When the log has grown past <see cref="StorageOptions.SqliteLogRestartPages"/>,
    /// the writer therefore stops between two groups to copy what the last background pass left (a short tail)
    /// and waits for the readers of older pages to finish; its next commit then writes from the start of the log,
    /// into blocks the file already has.
    /// </summary>
    private void RestartLog()
    {
        _restartWanted = false;
        if (_writeConnection is null)
        {
            return;
        }

        try
        {
            using var command = _writeConnection.CreateCommand();

            // Readers hold older pages for well under a millisecond; the writer waits for them a little, not the
            // connection's full busy timeout. If they are not done, the next background pass asks again.
            command.CommandText = "PRAGMA busy_timeout=100;";
            command.ExecuteNonQuery();
            try
            {
                // Its row is (busy, pages in the log, pages copied); busy 0 means the next commit starts the log again.
                command.CommandText = "PRAGMA wal_checkpoint(RESTART);";
                using var reader = command.ExecuteReader();
                if (reader.Read() && reader.GetInt64(0) == 0)
                {
                    LogRestarts++;
                    _logRestarts?.Add(1);
                }
            }
            finally
            {
                command.CommandText = "PRAGMA busy_timeout=5000;";
                command.ExecuteNonQuery();
            }
        }
        catch (SqliteException ex)
        {
            LogCheckpointFailed(ex);
            DropWriteConnectionAsync().GetAwaiter().GetResult();
        }
    }

    /// <summary>How many times the writer has had the log started again (for tests and diagnostics).</summary>
    internal int LogRestarts { get; private set; }

    /// <summary>
    /// Copies the log into the database file in the background. Left to the writer, a checkpoint would run inside
    /// a commit now and then and hold every request of that group for as long as it takes.
    /// </summary>
    private void CheckpointLoop()
    {
        // A thread of its own, like the writer's: on a busy thread pool a timer could fall seconds behind, and the
        // log would grow meanwhile. Often enough that the tail the writer copies itself before a restart stays short.
        while (!_stopping.Token.WaitHandle.WaitOne(CheckpointInterval))
        {
            try
            {
                using var connection = new SqliteConnection(_connectionString);
                connection.Open();
                using var checkpoint = connection.CreateCommand();

                // PASSIVE never waits for the writer or the readers: what it cannot copy now, it copies next time.
                // Its row is (busy, pages in the log, pages copied).
                checkpoint.CommandText = "PRAGMA wal_checkpoint(PASSIVE);";
                using var reader = checkpoint.ExecuteReader();
                if (reader.Read() && reader.GetInt64(1) >= _restartPages)
                {
                    _restartWanted = true;
                }
            }
            catch (Exception ex)
            {
                LogCheckpointFailed(ex);
            }
        }
    }

    private async Task CommitGroupAsync(List<IQueuedWrite> group)
    {
        SqliteTransaction transaction;
        try
        {
            if (_writeConnection is null)
            {
                _writeConnection = await OpenAsync(CancellationToken.None).ConfigureAwait(false);
                await using var manual = _writeConnection.CreateCommand();

                // A log that was once long (a burst, a slow reader) is cut back when it starts again, so that the
                // disk it takes stays bounded; in steady use it stays under this size and is reused as it is.
                manual.CommandText = $"PRAGMA wal_autocheckpoint=0; PRAGMA journal_size_limit={(long)_restartPages * 4 * 4096};";
                await manual.ExecuteNonQueryAsync().ConfigureAwait(false);
                _prepared = new PreparedCommands(_writeConnection);
            }

            transaction = (SqliteTransaction)await _writeConnection.BeginTransactionAsync(CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            await DropWriteConnectionAsync().ConfigureAwait(false);
            group.ForEach(w => w.Fail(ex));
            return;
        }

        // A lone write needs no savepoint: if it fails, the whole transaction is rolled back.
        var savepoints = group.Count > 1;
        var done = new List<IQueuedWrite>(group.Count);
        await using (transaction.ConfigureAwait(false))
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
                    await write.RunAsync(new PreparedSession(_prepared!)).ConfigureAwait(false);
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
                        await DropWriteConnectionAsync().ConfigureAwait(false);
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
                    await transaction.RollbackAsync(CancellationToken.None).ConfigureAwait(false);
                    return;
                }

                await transaction.CommitAsync(CancellationToken.None).ConfigureAwait(false);
                _groupSize?.Record(done.Count);
            }
            catch (Exception ex)
            {
                await DropWriteConnectionAsync().ConfigureAwait(false);
                done.ForEach(w => w.Fail(ex));
                return;
            }
        }

        // Answers leave only now, with every change of the group on disk.
        done.ForEach(w => w.Complete());
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

    private async Task DropWriteConnectionAsync()
    {
        _prepared?.Dispose();
        _prepared = null;
        if (_writeConnection is not null)
        {
            await _writeConnection.DisposeAsync().ConfigureAwait(false);
            _writeConnection = null;
        }
    }

    public async Task<T> ReadAsync<T>(Func<StoreSession, Task<T>> work, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken, forWrites: false).ConfigureAwait(false);
        return await work(new CommandSession(connection, null, SqlDialect.Sqlite, cancellationToken)).ConfigureAwait(false);
    }

    public bool IsUnavailable(Exception exception) =>
        exception is SqliteException { SqliteErrorCode: 5 or 6 or 10 or 13 or 14 } or TimeoutException;

    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        await _writer.ConfigureAwait(false);
        await _stopping.CancelAsync().ConfigureAwait(false);
        await _checkpointer.ConfigureAwait(false);
        _stopping.Dispose();
        await DropWriteConnectionAsync().ConfigureAwait(false);
    }

    public void Dispose() => DisposeAsync().AsTask().GetAwaiter().GetResult();

    [LoggerMessage(Level = LogLevel.Warning, Message = "A background checkpoint of the SQLite log failed; the next one will try again")]
    private partial void LogCheckpointFailed(Exception exception);

    [LoggerMessage(Level = LogLevel.Information, Message = "Applied {Count} schema migration(s) to the SQLite database {DataSource}")]
    private partial void LogMigrated(int count, string dataSource);

    private async Task<SqliteConnection> OpenAsync(CancellationToken cancellationToken, bool forWrites = true)
    {
        var connection = new SqliteConnection(_connectionString);
        try
        {
            await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
            if (!forWrites)
            {
                return connection;
            }

            await using var pragmas = connection.CreateCommand();
            pragmas.CommandText = "PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON; PRAGMA busy_timeout=5000;";
            await pragmas.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            return connection;
        }
        catch
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }
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

    public async Task RunAsync(StoreSession session) => _result = await work(session).ConfigureAwait(false);

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
