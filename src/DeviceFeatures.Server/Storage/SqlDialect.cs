namespace DeviceFeatures.Server.Storage;

/// <summary>
/// The few clauses in which the providers' SQL differs. A statement that needs one declares its text as a function
/// of the dialect (<see cref="SqlStatement{TArgs}"/>); every other statement is written once for both.
/// </summary>
/// <param name="Name">The value of <c>Storage:Provider</c>.</param>
/// <param name="LockForUpdate">
/// Appended to a <c>SELECT</c> of one row that the transaction is about to base a write on. SQLite needs nothing:
/// its write transaction already holds the database's single write lock. PostgreSQL runs writers side by side, so
/// the row must be locked for the rest of the transaction.
/// </param>
/// <param name="CountTables">
/// Counts the tables named <c>@name</c> in the current schema. Asked before <c>CREATE TABLE IF NOT EXISTS</c>, which
/// PostgreSQL refuses to a role without the right to create even when the table exists.
/// </param>
internal sealed record SqlDialect(string Name, string LockForUpdate, string CountTables)
{
    public static SqlDialect Sqlite { get; } = new("sqlite", "",
        "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = @name");

    public static SqlDialect Postgres { get; } = new("postgres", " FOR UPDATE",
        "SELECT COUNT(*) FROM pg_catalog.pg_tables WHERE schemaname = current_schema() AND tablename = @name");
}
