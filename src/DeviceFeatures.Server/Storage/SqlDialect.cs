namespace DeviceFeatures.Server.Storage;

/// <summary>
/// The few clauses in which the providers' SQL differs. Everything else in <see cref="StoreSession"/> is written
/// once for both.
/// </summary>
/// <param name="Name">The value of <c>Storage:Provider</c>.</param>
/// <param name="LockForUpdate">
/// Appended to a <c>SELECT</c> of one row that the transaction is about to base a write on. SQLite needs nothing:
/// its write transaction already holds the database's single write lock. PostgreSQL runs writers side by side, so
/// the row must be locked for the rest of the transaction.
/// </param>
public sealed record SqlDialect(string Name, string LockForUpdate)
{
    public static SqlDialect Sqlite { get; } = new("sqlite", "");

    public static SqlDialect Postgres { get; } = new("postgres", " FOR UPDATE");
}
