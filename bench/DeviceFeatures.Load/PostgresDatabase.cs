using System.Security.Cryptography;
using Npgsql;

namespace DeviceFeatures.Load;

/// <summary>
/// A throwaway PostgreSQL database for one run: created on the server named by <c>--postgres</c> and dropped at the
/// end, so that a run never touches existing data.
/// </summary>
internal sealed class PostgresDatabase : IAsyncDisposable
{
    private readonly string _adminConnectionString;
    private readonly bool _owned;

    private PostgresDatabase(string adminConnectionString, string name, bool owned)
    {
        _adminConnectionString = adminConnectionString;
        _owned = owned;
        Name = name;
        ConnectionString = new NpgsqlConnectionStringBuilder(adminConnectionString) { Database = name }.ConnectionString;
    }

    public string Name { get; }

    /// <summary>The connection string the server is given: <c>--postgres</c> with the database replaced.</summary>
    public string ConnectionString { get; }

    public bool Keep { get; set; }

    public static async Task<PostgresDatabase> CreateAsync(string connectionString, CancellationToken cancellationToken)
    {
        var name = "devicefeatures_load_" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(6));
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var command = new NpgsqlCommand($"CREATE DATABASE \"{name}\"", connection);
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        return new PostgresDatabase(connectionString, name, owned: true);
    }

    /// <summary>An existing, pre-seeded database on the same server, used as it is and never dropped.</summary>
    public static PostgresDatabase Existing(string connectionString, string name) => new(connectionString, name, owned: false);

    public async ValueTask DisposeAsync()
    {
        if (!_owned || Keep)
        {
            return;
        }

        NpgsqlConnection.ClearAllPools();
        await using var connection = new NpgsqlConnection(_adminConnectionString);
        await connection.OpenAsync().ConfigureAwait(false);
        await using var command = new NpgsqlCommand($"DROP DATABASE IF EXISTS \"{Name}\" WITH (FORCE)", connection);
        await command.ExecuteNonQueryAsync().ConfigureAwait(false);
    }
}
