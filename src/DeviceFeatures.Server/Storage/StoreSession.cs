namespace DeviceFeatures.Server.Storage;

/// <summary>
/// One connection and, for writes, one transaction, as <see cref="IFeatureStore"/> hands them to a capability. It
/// owns no SQL: each capability declares its statements (<see cref="SqlStatement{TArgs}"/>) next to the code that
/// uses them, with extension methods on this type, and the session runs them.
/// </summary>
internal abstract class StoreSession
{
    private protected StoreSession()
    {
    }

    /// <summary>
    /// Notes that the configuration of these devices has changed in this session's write transaction: once it has
    /// committed (never when it rolls back) the store wakes the devices waiting for a change on this instance. Ignored
    /// on a read session.
    /// </summary>
    internal virtual void DevicesChanged(IReadOnlyList<string> macAddresses)
    {
    }

    /// <summary>
    /// Runs <paramref name="action"/> once this session's write transaction has committed (never when it rolls back):
    /// how a write wakes work that must not run on its own path, such as the delivery of the change events it wrote.
    /// Ignored on a read session.
    /// </summary>
    internal virtual void AfterCommit(Action action)
    {
    }

    /// <summary>Runs a statement; the number of rows it changed.</summary>
    internal abstract Task<int> ExecuteAsync<TArgs>(SqlStatement<TArgs> statement, TArgs args);

    /// <summary>Runs a query and maps its first row; <see langword="default"/> when it returns none.</summary>
    internal abstract Task<TRow?> QueryFirstAsync<TArgs, TRow>(SqlQuery<TArgs, TRow> query, TArgs args);

    /// <summary>Runs a query and maps every row.</summary>
    internal abstract Task<IReadOnlyList<TRow>> QueryAsync<TArgs, TRow>(SqlQuery<TArgs, TRow> query, TArgs args);
}
