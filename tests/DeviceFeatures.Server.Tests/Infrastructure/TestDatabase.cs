using System.Data.Common;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace DeviceFeatures.Server.Tests.Infrastructure;

/// <summary>
/// A database of a test's own, empty until a server migrates it. Give two servers the same database to see state
/// survive a restart, or to run two instances side by side.
/// </summary>
public abstract class TestDatabase : IDisposable
{
    /// <summary>The value of <c>Storage:Provider</c>.</summary>
    public abstract string Provider { get; }

    /// <summary>The value of <c>Storage:ConnectionString</c>.</summary>
    public abstract string ConnectionString { get; }

    /// <summary>A connection of the test's own, outside every pool, to look at what the API cannot show.</summary>
    public abstract DbConnection Open();

    /// <summary>Removes the database.</summary>
    public void Dispose()
    {
        Drop();
        GC.SuppressFinalize(this);
    }

    protected abstract void Drop();
}

/// <summary>
/// A fresh SQLite file in a directory of its own directly under the temporary directory (created by the server that
/// first opens it), so that dropping the directory leaves nothing behind.
/// </summary>
public sealed class SqliteTestDatabase : TestDatabase
{
    public string Path { get; } =
        System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"devicefeatures-tests-{Guid.NewGuid():n}", "test.db");

    public override string Provider => "sqlite";

    public override string ConnectionString => $"Data Source={Path}";

    public override DbConnection Open()
    {
        var connection = new SqliteConnection($"Data Source={Path};Pooling=False");
        connection.Open();
        return connection;
    }

    protected override void Drop()
    {
        SqliteConnection.ClearAllPools();
        try
        {
            Directory.Delete(System.IO.Path.GetDirectoryName(Path)!, recursive: true);
        }
        catch (IOException)
        {
            // A file still open elsewhere stays behind in the temporary directory; it harms nothing.
        }
    }
}

/// <summary>
/// A fresh database <c>df_test_&lt;guid&gt;</c> on the PostgreSQL server named by
/// <see cref="Variable"/>, created when first used and dropped on dispose.
/// </summary>
public sealed class PostgresTestDatabase : TestDatabase
{
    public const string Variable = "DEVICEFEATURES_TEST_POSTGRES";

    public static readonly string SkipReason =
        $"PostgreSQL tests need {Variable}: an Npgsql connection string to a server where the tests may create " +
        "databases (.ci/run starts a throwaway one and sets it). It is not set, so the PostgreSQL tests did not run.";

    private readonly string _server;
    private readonly string _name = "df_test_" + Guid.NewGuid().ToString("n");
    private readonly Lazy<string> _connectionString;

    /// <param name="serverConnectionString">The server to create the database on; by default the one of <see cref="Variable"/>.</param>
    public PostgresTestDatabase(string? serverConnectionString = null)
    {
        _server = serverConnectionString ?? Environment.GetEnvironmentVariable(Variable) ?? "";

        // Servers of one test may start side by side; the database is created once, by the first.
        _connectionString = new(Create, LazyThreadSafetyMode.ExecutionAndPublication);
    }

    public static bool IsConfigured => !string.IsNullOrWhiteSpace(Environment.GetEnvironmentVariable(Variable));

    /// <summary>Skips the calling test, with the reason, when no PostgreSQL server is configured.</summary>
    public static void SkipUnlessConfigured() => Assert.SkipUnless(IsConfigured, SkipReason);

    public override string Provider => "postgres";

    public override string ConnectionString => _connectionString.Value;

    /// <summary>Extra settings for the servers' connection string, e.g. short timeouts.</summary>
    public string ConnectionSettings { get; init; } = "";

    public override DbConnection Open()
    {
        var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(ConnectionString) { Pooling = false }.ConnectionString);
        connection.Open();
        return connection;
    }

    protected override void Drop()
    {
        if (!_connectionString.IsValueCreated)
        {
            return;
        }

        using var connection = OpenServer();
        using var command = connection.CreateCommand();

        // FORCE ends whatever sessions a server under test left behind.
        command.CommandText = $"DROP DATABASE IF EXISTS {_name} WITH (FORCE)";
        command.ExecuteNonQuery();
    }

    private string Create()
    {
        SkipUnlessConfigured();
        using (var connection = OpenServer())
        using (var command = connection.CreateCommand())
        {
            command.CommandText = $"CREATE DATABASE {_name}";
            command.ExecuteNonQuery();
        }

        var builder = new NpgsqlConnectionStringBuilder(_server + ";" + ConnectionSettings) { Database = _name };
        return builder.ConnectionString;
    }

    private NpgsqlConnection OpenServer()
    {
        var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(_server) { Pooling = false }.ConnectionString);
        connection.Open();
        return connection;
    }
}
