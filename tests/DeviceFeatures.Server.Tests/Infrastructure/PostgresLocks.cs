using System.Data.Common;

namespace DeviceFeatures.Server.Tests.Infrastructure;

/// <summary>Holding a PostgreSQL lock while a call of the server's runs into it, for tests of what happens then.</summary>
public static class PostgresLocks
{
    public static void Execute(DbConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    /// <summary>The server's session that waits on a lock of <paramref name="connection"/>'s; waits until there is one.</summary>
    /// <param name="connection">The connection that holds the lock (its own session is left out).</param>
    /// <param name="call">The call expected to wait: it must not end before it does.</param>
    /// <param name="transaction">The connection's open transaction, if the lock is held in one (Npgsql wants it named).</param>
    public static async Task<int> WaitForSessionWaitingOnALockAsync(DbConnection connection, Task call, DbTransaction? transaction = null)
    {
        // Within a transaction PostgreSQL keeps its first snapshot of pg_stat_activity until told to take a new one.
        using var clear = connection.CreateCommand();
        clear.Transaction = transaction;
        clear.CommandText = "SELECT pg_stat_clear_snapshot()";
        using var query = connection.CreateCommand();
        query.Transaction = transaction;
        query.CommandText = """
            SELECT pid FROM pg_stat_activity
            WHERE datname = current_database() AND pid <> pg_backend_pid() AND wait_event_type = 'Lock'
            """;
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(30));
        while (true)
        {
            Assert.False(call.IsCompleted, "The call ended before it reached the lock.");
            await clear.ExecuteNonQueryAsync(timeout.Token);
            if (await query.ExecuteScalarAsync(timeout.Token) is int pid)
            {
                return pid;
            }

            // A condition polled, not a timing assumed: the call reaches the lock within milliseconds.
            await Task.Delay(10, timeout.Token);
        }
    }
}
