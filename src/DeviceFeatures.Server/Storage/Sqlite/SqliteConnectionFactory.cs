using Microsoft.Data.Sqlite;

namespace DeviceFeatures.Server.Storage.Sqlite;

/// <summary>
/// Where the SQLite database is and how its connections are opened: pooled connections for reads, and for the
/// writer connections with <c>synchronous=FULL</c> (every commit synced to disk), foreign keys and a busy timeout.
/// </summary>
internal sealed class SqliteConnectionFactory
{
    private string _connectionString;

    public SqliteConnectionFactory(string connectionString, IHostEnvironment? environment)
    {
        var builder = new SqliteConnectionStringBuilder(connectionString)
        {
            Pooling = true,
            DefaultTimeout = 30,
        };

        IsInMemory = builder.Mode == SqliteOpenMode.Memory || builder.DataSource is "" or ":memory:";
        IsFile = !IsInMemory && !builder.DataSource.StartsWith("file:", StringComparison.Ordinal);

        // A relative file is kept beside the server's content, wherever the process was started from (tools that
        // use the store without a host resolve it from the current directory).
        if (IsFile && !Path.IsPathRooted(builder.DataSource))
        {
            builder.DataSource = Path.GetFullPath(Path.Combine(environment?.ContentRootPath ?? Directory.GetCurrentDirectory(), builder.DataSource));
        }

        _connectionString = builder.ToString();
        DataSource = builder.DataSource;
    }

    /// <summary>The database: a full path when it is a file.</summary>
    public string DataSource { get; }

    /// <summary>A database that lives in memory: nothing on disk to create, lock or checkpoint.</summary>
    public bool IsInMemory { get; }

    /// <summary>A database named by a plain path (not a <c>file:</c> URI): its folder can be created and checked.</summary>
    public bool IsFile { get; }

    /// <summary>
    /// The database exists from now on: a connection opened later fails (as the database being unavailable) rather
    /// than create an empty database where the file was deleted.
    /// </summary>
    public void FileExists()
    {
        if (IsFile)
        {
            _connectionString = new SqliteConnectionStringBuilder(_connectionString) { Mode = SqliteOpenMode.ReadWrite }.ToString();
        }
    }

    public Task<SqliteConnection> OpenReaderAsync(CancellationToken cancellationToken) => OpenAsync(forWrites: false, cancellationToken);

    public Task<SqliteConnection> OpenWriterAsync(CancellationToken cancellationToken) => OpenAsync(forWrites: true, cancellationToken);

    private async Task<SqliteConnection> OpenAsync(bool forWrites, CancellationToken cancellationToken)
    {
        var connection = new SqliteConnection(_connectionString);
        try
        {
            await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
            if (!forWrites)
            {
                return connection;
            }

            // temp_store=MEMORY keeps the statement journal of each write's savepoint in memory: with the default, a
            // group of writes whose journal grew past 64 KiB opened, wrote and deleted a temporary file before its
            // commit (seen with perf trace: one file in four commits). That journal only serves to roll a savepoint
            // back inside its transaction; no recovery after a crash ever reads it.
            await using var pragmas = connection.CreateCommand();
            pragmas.CommandText = "PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON; PRAGMA busy_timeout=5000; PRAGMA temp_store=MEMORY;";
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
