namespace DeviceFeatures.Server.Storage;

/// <summary>
/// One write's view of its transaction's session: it runs the statements on the shared session and keeps what the
/// write changed (<see cref="StoreSession.DevicesChanged"/>), which the store tells once the commit is done. On SQLite
/// one session serves a whole group of writes, so this cannot live on it.
/// </summary>
internal sealed class CommittedSession(StoreSession inner) : StoreSession
{
    private HashSet<string>? _devices;
    private List<Action>? _afterCommit;

    /// <summary>Runs <paramref name="work"/> in the store's transaction, then, after the commit, tells <paramref name="changed"/> the changed devices.</summary>
    public static async Task<T> WriteAsync<T>(
        Func<Func<StoreSession, Task<T>>, Task<T>> write, Func<StoreSession, Task<T>> work, Action<IReadOnlyCollection<string>> changed)
    {
        CommittedSession? last = null;
        var result = await write(s => work(last = new CommittedSession(s))).ConfigureAwait(false);

        // A group that failed is run again write by write: only the attempt that committed counts.
        if (last?._devices is { } devices)
        {
            changed(devices);
        }

        last?._afterCommit?.ForEach(a => a());
        return result;
    }

    internal override void DevicesChanged(IReadOnlyList<string> macAddresses) => (_devices ??= new(StringComparer.Ordinal)).UnionWith(macAddresses);

    internal override void AfterCommit(Action action) => (_afterCommit ??= []).Add(action);

    internal override Task<int> ExecuteAsync<TArgs>(SqlStatement<TArgs> statement, TArgs args) => inner.ExecuteAsync(statement, args);

    internal override Task<TRow?> QueryFirstAsync<TArgs, TRow>(SqlQuery<TArgs, TRow> query, TArgs args)
        where TRow : default => inner.QueryFirstAsync(query, args);

    internal override Task<IReadOnlyList<TRow>> QueryAsync<TArgs, TRow>(SqlQuery<TArgs, TRow> query, TArgs args) => inner.QueryAsync(query, args);
}
