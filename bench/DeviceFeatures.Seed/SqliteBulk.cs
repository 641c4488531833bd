using Microsoft.Data.Sqlite;

namespace DeviceFeatures.Seed;

/// <summary>
/// SQLite: three prepared INSERT commands, re-bound for every row, in transactions of many users each. One write
/// transaction per batch keeps the journal small and lets a running server write between batches.
/// </summary>
public static class SqliteBulk
{
    /// <returns>The first userid of the range, or -1 when the range would not fit an int32.</returns>
    public static async Task<int> ReserveUserIdsAsync(string connectionString, int count, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(connectionString, cancellationToken);
        await using var transaction = (SqliteTransaction)await connection.BeginTransactionAsync(cancellationToken);
        await using var read = connection.CreateCommand();

        // AUTOINCREMENT hands out max(rowid, sqlite_sequence.seq) + 1: moving seq past the range reserves it.
        read.CommandText = """
            SELECT MAX(COALESCE((SELECT MAX(userid) FROM users), 0), COALESCE((SELECT seq FROM sqlite_sequence WHERE name = 'users'), 0)) + 1
            """;
        var first = (long)(await read.ExecuteScalarAsync(cancellationToken))!;
        var last = first + count - 1;
        if (last > int.MaxValue)
        {
            return -1;
        }

        await using var reserve = connection.CreateCommand();
        reserve.CommandText = """
            UPDATE sqlite_sequence SET seq = $last WHERE name = 'users';
            INSERT INTO sqlite_sequence (name, seq) SELECT 'users', $last WHERE NOT EXISTS (SELECT 1 FROM sqlite_sequence WHERE name = 'users');
            """;
        reserve.Parameters.AddWithValue("$last", last);
        await reserve.ExecuteNonQueryAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return (int)first;
    }

    public static async Task LoadAsync(string connectionString, SeedRows rows, int batch, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(connectionString, cancellationToken);

        await using var user = Prepare(connection, "INSERT INTO users (userid, client_id, created_at) VALUES ($userid, $client, $now)",
            ("$userid", SqliteType.Integer), ("$client", SqliteType.Text), ("$now", SqliteType.Integer));
        await using var device = Prepare(connection,
            "INSERT INTO devices (mac_address, userid, model, market, linked_at) VALUES ($mac, $userid, $model, $market, $now)",
            ("$mac", SqliteType.Text), ("$userid", SqliteType.Integer), ("$model", SqliteType.Integer), ("$market", SqliteType.Text), ("$now", SqliteType.Integer));
        await using var choice = Prepare(connection,
            "INSERT INTO choices (userid, model, feature_name, active, updated_at) VALUES ($userid, $model, $feature, $active, $now)",
            ("$userid", SqliteType.Integer), ("$model", SqliteType.Integer), ("$feature", SqliteType.Text), ("$active", SqliteType.Integer), ("$now", SqliteType.Integer));

        foreach (var chunk in rows.UserIds.Chunk(batch))
        {
            await using var transaction = (SqliteTransaction)await connection.BeginTransactionAsync(cancellationToken);
            user.Transaction = device.Transaction = choice.Transaction = transaction;
            foreach (var userId in chunk)
            {
                Bind(user, userId, rows.ClientId, rows.Now);
                user.ExecuteNonQuery();

                Bind(device, SeedRows.MacOf(userId), userId, Seeder.Model, Seeder.Market, rows.Now);
                device.ExecuteNonQuery();

                foreach (var (feature, active) in rows.ChoicesOf(userId))
                {
                    Bind(choice, userId, Seeder.Model, feature, active ? 1 : 0, rows.Now);
                    choice.ExecuteNonQuery();
                }
            }

            await transaction.CommitAsync(cancellationToken);
        }

        await using var analyze = connection.CreateCommand();
        analyze.CommandText = "ANALYZE";
        await analyze.ExecuteNonQueryAsync(cancellationToken);
    }

    private static async Task<SqliteConnection> OpenAsync(string connectionString, CancellationToken cancellationToken)
    {
        var connection = new SqliteConnection(connectionString);
        await connection.OpenAsync(cancellationToken);
        await using var pragmas = connection.CreateCommand();

        // NORMAL rather than the server's FULL: in WAL mode a power loss may lose the last batches of a seed, which
        // is then run again, but never corrupts the file.
        pragmas.CommandText = "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON; PRAGMA busy_timeout=5000;";
        await pragmas.ExecuteNonQueryAsync(cancellationToken);
        return connection;
    }

    private static SqliteCommand Prepare(SqliteConnection connection, string sql, params (string Name, SqliteType Type)[] parameters)
    {
        var command = connection.CreateCommand();
        command.CommandText = sql;
        foreach (var (name, type) in parameters)
        {
            command.Parameters.Add(name, type);
        }

        command.Prepare();
        return command;
    }

    // The rows run through the synchronous ExecuteNonQuery on purpose: SQLite does no I/O asynchronously, and the
    // async wrapper would only add its overhead to each of millions of rows.
    private static void Bind(SqliteCommand command, params object[] values)
    {
        for (var i = 0; i < values.Length; i++)
        {
            command.Parameters[i].Value = values[i];
        }
    }
}
