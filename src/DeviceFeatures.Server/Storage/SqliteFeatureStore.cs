using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Options;

namespace DeviceFeatures.Server.Storage;

/// <summary>
/// SQLite in WAL mode with <c>synchronous=FULL</c>: a committed transaction survives a process crash and a power
/// loss. SQLite admits one writer at a time, so writers queue on a gate here instead of spinning on SQLITE_BUSY.
/// </summary>
internal sealed partial class SqliteFeatureStore : IFeatureStore, IDisposable
{
    private readonly string _connectionString;
    private readonly TimeProvider _time;
    private readonly ILogger<SqliteFeatureStore> _logger;
    private readonly SemaphoreSlim _writeGate = new(1, 1);

    public SqliteFeatureStore(IOptions<StorageOptions> options, TimeProvider time, ILogger<SqliteFeatureStore> logger, IHostEnvironment? environment = null)
    {
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
        _time = time;
        _logger = logger;
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

    public async Task<T> WriteAsync<T>(Func<StoreSession, Task<T>> work, CancellationToken cancellationToken)
    {
        await _writeGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
            await using var transaction = (SqliteTransaction)await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
            var result = await work(new StoreSession(connection, transaction, SqlDialect.Sqlite, cancellationToken)).ConfigureAwait(false);

            // The commit must not be abandoned half-way because a client went away.
            await transaction.CommitAsync(CancellationToken.None).ConfigureAwait(false);
            return result;
        }
        finally
        {
            _writeGate.Release();
        }
    }

    public async Task<T> ReadAsync<T>(Func<StoreSession, Task<T>> work, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        return await work(new StoreSession(connection, null, SqlDialect.Sqlite, cancellationToken)).ConfigureAwait(false);
    }

    public bool IsUnavailable(Exception exception) =>
        exception is SqliteException { SqliteErrorCode: 5 or 6 or 10 or 13 or 14 } or TimeoutException;

    public void Dispose() => _writeGate.Dispose();

    [LoggerMessage(Level = LogLevel.Information, Message = "Applied {Count} schema migration(s) to the SQLite database {DataSource}")]
    private partial void LogMigrated(int count, string dataSource);

    private async Task<SqliteConnection> OpenAsync(CancellationToken cancellationToken)
    {
        var connection = new SqliteConnection(_connectionString);
        try
        {
            await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
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
