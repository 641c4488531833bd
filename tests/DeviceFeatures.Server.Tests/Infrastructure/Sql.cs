using System.Globalization;

namespace DeviceFeatures.Server.Tests.Infrastructure;

/// <summary>Looks straight into a test server's database, on either provider, to check what the API cannot show.</summary>
internal static class Sql
{
    public static long Scalar(ServerFactory server, string sql) => Scalar(server.Database, sql);

    public static long Scalar(TestDatabase database, string sql)
    {
        using var connection = database.Open();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return Convert.ToInt64(command.ExecuteScalar(), CultureInfo.InvariantCulture);
    }

    public static void Execute(TestDatabase database, string sql)
    {
        using var connection = database.Open();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    public static string Text(ServerFactory server, string sql)
    {
        using var connection = server.Database.Open();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return Convert.ToString(command.ExecuteScalar(), CultureInfo.InvariantCulture) ?? "";
    }

    /// <summary>The rows of a query, each as its values joined with '|', booleans as 0/1 on both providers.</summary>
    public static List<string> Rows(TestDatabase database, string sql)
    {
        using var connection = database.Open();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        using var reader = command.ExecuteReader();
        var rows = new List<string>();
        while (reader.Read())
        {
            var values = new object[reader.FieldCount];
            reader.GetValues(values);
            rows.Add(string.Join('|', values.Select(Format)));
        }

        return rows;
    }

    private static readonly string[] ChangeableTables = ["choices", "audit_events", "partners", "users", "devices", "entitlements"];

    /// <summary>A fingerprint of every stored row that a wire request could change.</summary>
    public static string Snapshot(ServerFactory server) =>
        string.Join('\n', ChangeableTables
            .SelectMany(table => Rows(server.Database, $"SELECT * FROM {table} ORDER BY 1, 2, 3").Select(row => table + ":" + row)));

    private static string? Format(object value) => value switch
    {
        DBNull => "null",
        byte[] bytes => Convert.ToHexString(bytes),
        bool b => b ? "1" : "0",
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString(),
    };
}
