using Microsoft.Data.Sqlite;

namespace DeviceFeatures.Server.Tests.Infrastructure;

/// <summary>Looks straight into a test server's database, to check what the API cannot show.</summary>
internal static class Sql
{
    public static long Scalar(ServerFactory server, string sql)
    {
        using var connection = new SqliteConnection($"Data Source={server.DatabasePath};Mode=ReadOnly;Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return Convert.ToInt64(command.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>A fingerprint of every stored row that a wire request could change.</summary>
    public static string Snapshot(ServerFactory server)
    {
        using var connection = new SqliteConnection($"Data Source={server.DatabasePath};Mode=ReadOnly;Pooling=False");
        connection.Open();
        var parts = new List<string>();
        foreach (var table in new[] { "choices", "audit_events", "partners", "users", "devices", "entitlements" })
        {
            using var command = connection.CreateCommand();
            command.CommandText = $"SELECT * FROM {table} ORDER BY 1, 2, 3";
            using var reader = command.ExecuteReader();
            while (reader.Read())
            {
                var values = new object[reader.FieldCount];
                reader.GetValues(values);
                parts.Add(table + ":" + string.Join('|', values.Select(v => v is byte[] b ? Convert.ToHexString(b) : v?.ToString())));
            }
        }

        return string.Join('\n', parts);
    }
}
