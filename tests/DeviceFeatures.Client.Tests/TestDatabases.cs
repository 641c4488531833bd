using DeviceFeatures.Testing;
using Npgsql;

namespace DeviceFeatures.Client.Tests;

/// <summary>A test server on SQLite, or on a throwaway database of the test run's PostgreSQL server.</summary>
internal sealed class ProviderServer : IAsyncDisposable
{
    private const string PostgresVariable = "DEVICEFEATURES_TEST_POSTGRES";
    private string? _postgres;
    private string? _database;

    public DeviceFeaturesTestServer Server { get; private set; } = null!;

    /// <summary>SQLite always; PostgreSQL when the test run has one (CI always does).</summary>
    public static TheoryData<string> Providers()
    {
        var providers = new TheoryData<string> { "sqlite" };
        if (!string.IsNullOrEmpty(Environment.GetEnvironmentVariable(PostgresVariable)))
        {
            providers.Add("postgres");
        }

        return providers;
    }

    public static async Task<ProviderServer> StartAsync(string provider, DeviceFeaturesTestServerOptions options, CancellationToken cancellationToken)
    {
        var started = new ProviderServer();
        if (provider == "postgres")
        {
            started._postgres = Environment.GetEnvironmentVariable(PostgresVariable)!;
            started._database = "tests_" + Guid.NewGuid().ToString("n");
            await started.RunAsync($"CREATE DATABASE {started._database}");
            options.Settings["Storage:Provider"] = "postgres";
            options.Settings["Storage:ConnectionString"] = new NpgsqlConnectionStringBuilder(started._postgres) { Database = started._database }.ConnectionString;
        }

        try
        {
            started.Server = await DeviceFeaturesTestServer.StartAsync(options, cancellationToken);
        }
        catch
        {
            await started.DisposeAsync();
            throw;
        }

        return started;
    }

    public async ValueTask DisposeAsync()
    {
        if (Server is not null)
        {
            await Server.DisposeAsync();
        }

        if (_database is not null)
        {
            NpgsqlConnection.ClearAllPools();
            await RunAsync($"DROP DATABASE IF EXISTS {_database} WITH (FORCE)");
        }
    }

    private async Task RunAsync(string sql)
    {
        await using var connection = new NpgsqlConnection(_postgres);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }
}
