using DeviceFeatures.Server.Storage;
using Microsoft.Data.Sqlite;

namespace DeviceFeatures.Server.Tests.Storage;

/// <summary>The writer's compiled statements: values bound by name, rows read, errors raised as SQLite's, reuse after either.</summary>
public sealed class PreparedCommandsTests
{
    [Fact]
    public void Statements_BindRunReadAndAreReused()
    {
        using var connection = InMemory("CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT NOT NULL, flag INTEGER, data BLOB)");

        using var prepared = new PreparedCommands(connection);
        const string Insert = "INSERT INTO t (id, name, flag, data) VALUES (@id, @name, @flag, @data) ON CONFLICT (id) DO NOTHING";
        Assert.Equal(1, prepared.Get(Insert).Bind("@id", 1).Bind("@name", "é-first").Bind("@flag", (bool?)true).Bind("@data", [1, 2]).Execute());
        Assert.Equal(1, prepared.Get(Insert).Bind("@id", 2).Bind("@name", new string('n', 2000)).Bind("@flag", (bool?)null).Bind("@data", [3]).Execute());
        Assert.Equal(0, prepared.Get(Insert).Bind("@id", 1).Bind("@name", "again").Bind("@flag", (bool?)false).Bind("@data", []).Execute());

        const string Select = "SELECT id, name, flag FROM t WHERE id >= @from ORDER BY id";
        var rows = prepared.Get(Select).Bind("@from", 1).ReadAll(static row => (row.Number(0), row.Text(1), row.IsNull(2)));
        Assert.Equal([(1L, "é-first", false), (2L, new string('n', 2000), true)], rows);
        Assert.Equal("é-first", prepared.Get(Select).Bind("@from", 0).ReadFirst(static row => row.Text(1)));
        Assert.Null(prepared.Get(Select).Bind("@from", 3).ReadFirst(static row => row.Text(1)));
    }

    [Fact]
    public void AFailingStatement_RaisesSqlitesError_AndCanRunAgain()
    {
        using var connection = InMemory("CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT NOT NULL)");

        using var prepared = new PreparedCommands(connection);
        const string Insert = "INSERT INTO t (id, name) VALUES (@id, @name)";
        var error = Assert.Throws<SqliteException>(() => prepared.Get(Insert).Bind("@id", 1).Bind("@name", (string?)null).Execute());
        Assert.Equal(19, error.SqliteErrorCode); // SQLITE_CONSTRAINT

        Assert.Equal(1, prepared.Get(Insert).Bind("@id", 1).Bind("@name", "kept").Execute());
        Assert.Throws<ArgumentException>(() => prepared.Get(Insert).Bind("@nope", 1));
        Assert.Throws<SqliteException>(() => prepared.Get("SELECT * FROM missing"));
    }

    private static SqliteConnection InMemory(string schema)
    {
        var connection = new SqliteConnection("Data Source=:memory:");
        connection.Open();
        using var create = connection.CreateCommand();
        create.CommandText = schema;
        create.ExecuteNonQuery();
        return connection;
    }
}
