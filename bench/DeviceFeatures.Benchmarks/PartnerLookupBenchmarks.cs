using BenchmarkDotNet.Attributes;
using DeviceFeatures.Server.Partners;
using DeviceFeatures.Server.Storage;
using Microsoft.Data.Sqlite;

namespace DeviceFeatures.Benchmarks;

/// <summary>
/// What every signed request pays before its signature can be checked: finding the partner. The server's
/// <c>ReadAsync</c> opens a pooled SQLite connection and runs the partners' declared query as an ADO.NET command
/// (<see cref="NewConnectionPerLookup"/>, here with the writer's PRAGMAs too); the other two are reference points
/// for the same lookup on a connection kept open, and with the statement prepared once. The connection settings
/// mirror <c>SqliteConnectionFactory</c>.
/// </summary>
[MemoryDiagnoser]
public class PartnerLookupBenchmarks
{
    private const string Pragmas = "PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON; PRAGMA busy_timeout=5000;";
    private string _directory = "";
    private string _connectionString = "";
    private SqliteConnection _open = null!;
    private SqliteCommand _prepared = null!;

    [GlobalSetup]
    public void Setup()
    {
        _directory = Directory.CreateTempSubdirectory("devicefeatures-bench-").FullName;
        _connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = Path.Combine(_directory, "bench.db"),
            Pooling = true,
            DefaultTimeout = 30,
        }.ToString();

        _open = new SqliteConnection(_connectionString);
        _open.Open();
        using (var schema = _open.CreateCommand())
        {
            schema.CommandText = """
                PRAGMA journal_mode=WAL;
                CREATE TABLE partners (client_id TEXT PRIMARY KEY, name TEXT NOT NULL, client_secret TEXT NOT NULL,
                    suspended INTEGER NOT NULL DEFAULT 0, created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL,
                    previous_secret TEXT NULL, previous_secret_expires_at INTEGER NULL, rate_limit_per_minute INTEGER NULL);
                """;
            schema.ExecuteNonQuery();
        }

        for (var i = 0; i < 100; i++)
        {
            using var insert = _open.CreateCommand();
            insert.CommandText = "INSERT INTO partners VALUES ($id, 'partner', $secret, 0, 0, 0, NULL, NULL, NULL)";
            insert.Parameters.AddWithValue("$id", i == 0 ? Inputs.ClientId : Inputs.Hex(100 + i, 32));
            insert.Parameters.AddWithValue("$secret", Inputs.ClientSecret);
            insert.ExecuteNonQuery();
        }

        using (var pragmas = _open.CreateCommand())
        {
            pragmas.CommandText = Pragmas;
            pragmas.ExecuteNonQuery();
        }

        _prepared = _open.CreateCommand();
        _prepared.CommandText = "SELECT client_id, name, client_secret, suspended, created_at, updated_at FROM partners WHERE client_id = $clientId";
        _prepared.Parameters.Add("$clientId", SqliteType.Text);
        _prepared.Prepare();
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _prepared.Dispose();
        _open.Dispose();
        SqliteConnection.ClearAllPools();
        Directory.Delete(_directory, recursive: true);
    }

    [Benchmark(Baseline = true)]
    public async Task<string?> NewConnectionPerLookup()
    {
        await using var connection = new SqliteConnection(_connectionString);
        await connection.OpenAsync();
        await using (var pragmas = connection.CreateCommand())
        {
            pragmas.CommandText = Pragmas;
            await pragmas.ExecuteNonQueryAsync();
        }

        return (await new CommandSession(connection, null, SqlDialect.Sqlite, CancellationToken.None).FindPartnerAsync(Inputs.ClientId))?.ClientSecret;
    }

    [Benchmark]
    public async Task<string?> OpenConnection() => (await new CommandSession(_open, null, SqlDialect.Sqlite, CancellationToken.None).FindPartnerAsync(Inputs.ClientId))?.ClientSecret;

    [Benchmark]
    public string? PreparedStatement()
    {
        _prepared.Parameters[0].Value = Inputs.ClientId;
        using var reader = _prepared.ExecuteReader();
        return reader.Read() ? reader.GetString(2) : null;
    }
}
