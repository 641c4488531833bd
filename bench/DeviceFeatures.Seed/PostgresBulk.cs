using Npgsql;
using NpgsqlTypes;

namespace DeviceFeatures.Seed;

/// <summary>PostgreSQL: binary COPY of users, devices and choices in one transaction, then fresh planner statistics.</summary>
public static class PostgresBulk
{
    /// <returns>The first userid of the range, or -1 when the range would not fit an int32.</returns>
    public static async Task<int> ReserveUserIdsAsync(string connectionString, int count, CancellationToken cancellationToken)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);

        // A user created by a server takes its id from the identity sequence while inserting, which the lock makes
        // wait until the sequence has been moved past the range.
        await ExecuteAsync(connection, "LOCK TABLE users IN EXCLUSIVE MODE", cancellationToken);
        await using var first = new NpgsqlCommand(
            """
            SELECT GREATEST(nextval(pg_get_serial_sequence('users', 'userid')), (SELECT COALESCE(MAX(userid), 0) + 1 FROM users))
            """, connection);
        var firstId = (long)(await first.ExecuteScalarAsync(cancellationToken))!;
        var lastId = firstId + count - 1;
        if (lastId > int.MaxValue)
        {
            return -1;
        }

        await using var reserve = new NpgsqlCommand("SELECT setval(pg_get_serial_sequence('users', 'userid'), $1)", connection);
        reserve.Parameters.Add(new NpgsqlParameter<long> { TypedValue = lastId });
        await reserve.ExecuteScalarAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return (int)firstId;
    }

    public static async Task LoadAsync(string connectionString, SeedRows rows, CancellationToken cancellationToken)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(cancellationToken);
        await using (var transaction = await connection.BeginTransactionAsync(cancellationToken))
        {
            await using (var users = await connection.BeginBinaryImportAsync("COPY users (userid, client_id, created_at) FROM STDIN (FORMAT BINARY)", cancellationToken))
            {
                foreach (var userId in rows.UserIds)
                {
                    await users.StartRowAsync(cancellationToken);
                    await users.WriteAsync(userId, NpgsqlDbType.Integer, cancellationToken);
                    await users.WriteAsync(rows.ClientId, NpgsqlDbType.Text, cancellationToken);
                    await users.WriteAsync(rows.Now, NpgsqlDbType.Bigint, cancellationToken);
                }

                await users.CompleteAsync(cancellationToken);
            }

            await using (var devices = await connection.BeginBinaryImportAsync(
                "COPY devices (mac_address, userid, model, market, linked_at) FROM STDIN (FORMAT BINARY)", cancellationToken))
            {
                foreach (var userId in rows.UserIds)
                {
                    await devices.StartRowAsync(cancellationToken);
                    await devices.WriteAsync(SeedRows.MacOf(userId), NpgsqlDbType.Text, cancellationToken);
                    await devices.WriteAsync(userId, NpgsqlDbType.Integer, cancellationToken);
                    await devices.WriteAsync(Seeder.Model, NpgsqlDbType.Integer, cancellationToken);
                    await devices.WriteAsync(Seeder.Market, NpgsqlDbType.Text, cancellationToken);
                    await devices.WriteAsync(rows.Now, NpgsqlDbType.Bigint, cancellationToken);
                }

                await devices.CompleteAsync(cancellationToken);
            }

            await using (var choices = await connection.BeginBinaryImportAsync(
                "COPY choices (userid, model, feature_name, active, updated_at) FROM STDIN (FORMAT BINARY)", cancellationToken))
            {
                foreach (var userId in rows.UserIds)
                {
                    foreach (var (feature, active) in rows.ChoicesOf(userId))
                    {
                        await choices.StartRowAsync(cancellationToken);
                        await choices.WriteAsync(userId, NpgsqlDbType.Integer, cancellationToken);
                        await choices.WriteAsync(Seeder.Model, NpgsqlDbType.Integer, cancellationToken);
                        await choices.WriteAsync(feature, NpgsqlDbType.Text, cancellationToken);
                        await choices.WriteAsync(active, NpgsqlDbType.Boolean, cancellationToken);
                        await choices.WriteAsync(rows.Now, NpgsqlDbType.Bigint, cancellationToken);
                    }
                }

                await choices.CompleteAsync(cancellationToken);
            }

            await transaction.CommitAsync(cancellationToken);
        }

        // The planner would otherwise keep the row counts of the empty tables until autovacuum comes by.
        await ExecuteAsync(connection, "ANALYZE users, devices, choices", cancellationToken);
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, string sql, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}
