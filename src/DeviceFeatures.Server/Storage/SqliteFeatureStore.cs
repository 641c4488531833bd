using System.Diagnostics.Metrics;
using DeviceFeatures.Server.Storage.Sqlite;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Options;
using SQLitePCL;

namespace DeviceFeatures.Server.Storage;

/// <summary>
/// SQLite in WAL mode with <c>synchronous=FULL</c>: a committed transaction survives a process crash and a power
/// loss. Writes go through one group-commit writer (<see cref="SqliteGroupCommitWriter"/>); reads use pooled
/// connections of their own, which WAL never makes wait for the writer; <see cref="SqliteCheckpointer"/> copies the
/// log into the database in the background. The database file is locked against other server processes from the
/// migration on (<see cref="SqliteFileLock"/>).
/// </summary>
internal sealed partial class SqliteFeatureStore : IFeatureStore, IAsyncDisposable
{
    private const int SqliteReadOnly = 8;
    private const int SqliteCantOpen = 14;
    private const int SqliteFull = 13;

    private readonly TimeProvider _time;
    private readonly ILogger<SqliteFeatureStore> _logger;
    private readonly SqliteMetrics _metrics;
    private readonly SqliteGroupCommitWriter _writer;
    private readonly SqliteFiles? _files;
    private readonly WriteReadiness _readiness;
    private readonly TaskCompletionSource _migrated = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private SqliteFileLock? _lock;

    public SqliteFeatureStore(
        IOptions<StorageOptions> options, TimeProvider time, ILogger<SqliteFeatureStore> logger, IHostEnvironment? environment = null, IMeterFactory? meters = null,
        Device.DeviceSignals? signals = null)
    {
        Signals = signals ?? new Device.DeviceSignals();
        Connections = new SqliteConnectionFactory(options.Value.ConnectionString, environment);
        _metrics = new SqliteMetrics(meters);
        _files = Connections.IsFile ? new SqliteFiles(Connections.DataSource, logger) : null;
        _writer = new SqliteGroupCommitWriter(Connections, _metrics, options.Value.SqliteLogRestartPages, logger, _files);
        _readiness = new WriteReadiness(time, ReasonNotWritable);
        _time = time;
        _logger = logger;
    }

    /// <summary>The database file (a full path), or <c>:memory:</c>.</summary>
    public string DataSource => Connections.DataSource;

    internal SqliteConnectionFactory Connections { get; }

    /// <summary>The devices of this instance waiting for a change of their configuration.</summary>
    internal Device.DeviceSignals Signals { get; }

    /// <summary>Completes once <see cref="MigrateAsync"/> has created and migrated the database.</summary>
    internal Task Migrated => _migrated.Task;

    /// <summary>How many times the writer has had the log started again (for tests and diagnostics).</summary>
    internal int LogRestarts => _metrics.LogRestarts;

    /// <summary>
    /// Creates the folder and the database when missing, takes the lock against other server processes, puts the
    /// database in WAL mode and applies the migrations it lacks.
    /// </summary>
    /// <exception cref="Hosting.StartupFailureException">
    /// The folder or the database cannot be created or written, or another server process uses the database.
    /// </exception>
    public async Task MigrateAsync(CancellationToken cancellationToken)
    {
        if (Connections.IsFile)
        {
            SqliteStartupChecks.CreateFolder(DataSource);
            _lock ??= SqliteFileLock.Acquire(DataSource);
        }

        try
        {
            await using var connection = await Connections.OpenWriterAsync(cancellationToken).ConfigureAwait(false);

            // SQLite opens a file it may not write read-only, without a word; the first write would fail much later.
            if (Connections.IsFile && raw.sqlite3_db_readonly(connection.Handle, "main") == 1)
            {
                throw SqliteStartupChecks.CannotWriteDatabase(DataSource, null);
            }

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
        catch (Exception ex)
        {
            // A store that could not start holds nothing: another attempt, in this process or another, may lock.
            _lock?.Dispose();
            _lock = null;
            if (ex is SqliteException { SqliteErrorCode: SqliteReadOnly or SqliteCantOpen } && Connections.IsFile)
            {
                throw SqliteStartupChecks.CannotWriteDatabase(DataSource, ex);
            }

            throw;
        }

        // From now on the database must be the file just migrated: a connection opened later never creates an empty
        // one in its place, and every commit checks that the files are still there.
        Connections.FileExists();
        _files?.DatabaseOpened();
        _migrated.TrySetResult();
    }

    public bool HasServerFunctions => false;

    public Task<T> WriteStatementAsync<T>(Func<StoreSession, Task<T>> work, CancellationToken cancellationToken) => WriteAsync(work, cancellationToken);

    public async Task<T> WriteAsync<T>(Func<StoreSession, Task<T>> work, CancellationToken cancellationToken)
    {
        try
        {
            return await CommittedSession.WriteAsync(w => _writer.WriteAsync(w, cancellationToken), work, Signals.Changed).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            _readiness.Observe(ex);
            throw;
        }
    }

    public Task<string?> CheckWritableAsync(CancellationToken cancellationToken) => _readiness.CheckAsync(this, cancellationToken);

    public async Task<T> ReadAsync<T>(Func<StoreSession, Task<T>> work, CancellationToken cancellationToken)
    {
        await using var connection = await Connections.OpenReaderAsync(cancellationToken).ConfigureAwait(false);
        return await work(new CommandSession(connection, null, SqlDialect.Sqlite, cancellationToken)).ConfigureAwait(false);
    }

    public bool IsUnavailable(Exception exception) =>
        exception is SqliteException { SqliteErrorCode: 5 or 6 or 10 or 13 or 14 } or TimeoutException or DatabaseFilesChangedException;

    // Why no change can be committed, for a failure that stops every change rather than one.
    private static string? ReasonNotWritable(Exception exception) => exception switch
    {
        SqliteException { SqliteErrorCode: SqliteFull } => "the disk is full: changes are refused",
        DatabaseFilesChangedException => "the database file was deleted or replaced while the server ran: changes are refused until a restart",
        _ => null,
    };

    public async ValueTask DisposeAsync()
    {
        await _writer.DisposeAsync().ConfigureAwait(false);
        _lock?.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Applied {Count} schema migration(s) to the SQLite database {DataSource}")]
    private partial void LogMigrated(int count, string dataSource);
}
