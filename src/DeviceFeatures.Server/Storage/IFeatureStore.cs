namespace DeviceFeatures.Server.Storage;

/// <summary>
/// The server's durable state. Every change goes through <see cref="WriteAsync{T}"/>: one transaction, committed
/// before the method returns, so that an answer is only sent for a change that is on disk.
/// </summary>
internal interface IFeatureStore
{
    /// <summary>Creates the database if needed and applies the schema migrations it lacks.</summary>
    Task MigrateAsync(CancellationToken cancellationToken);

    /// <summary>Runs <paramref name="work"/> in one write transaction and commits it unless it throws.</summary>
    Task<T> WriteAsync<T>(Func<StoreSession, Task<T>> work, CancellationToken cancellationToken);

    /// <summary>
    /// Whether the database has the server's functions (PostgreSQL, migration 0013): each device call, and the shared
    /// quota's count, as one statement of its own, which <see cref="WriteStatementAsync{T}"/> sends in one round trip.
    /// SQLite runs the rules in the server, inside its group commit, where a round trip costs nothing.
    /// </summary>
    bool HasServerFunctions { get; }

    /// <summary>
    /// Runs <paramref name="work"/>, which runs exactly one statement, as that statement's own transaction: committed
    /// before the method returns, like <see cref="WriteAsync{T}"/>, without a BEGIN and a COMMIT of its own.
    /// </summary>
    Task<T> WriteStatementAsync<T>(Func<StoreSession, Task<T>> work, CancellationToken cancellationToken);

    /// <summary>Runs <paramref name="work"/> on a read-only view of committed state.</summary>
    Task<T> ReadAsync<T>(Func<StoreSession, Task<T>> work, CancellationToken cancellationToken);

    /// <summary>Whether <paramref name="exception"/> means the database is busy or unreachable rather than a bug.</summary>
    bool IsUnavailable(Exception exception);

    /// <summary>
    /// <see langword="null"/> when the store can commit a change now (a small write, at most once a second, see
    /// <see cref="WriteReadiness"/>); otherwise why not, in words for the readiness probe.
    /// </summary>
    Task<string?> CheckWritableAsync(CancellationToken cancellationToken);
}
