namespace DeviceFeatures.Server.Storage.Sqlite;

/// <summary>
/// Runs declared statements on the SQLite writer's connection, compiled once and run through SQLite's own interface
/// (<see cref="PreparedCommands"/>). SQLite's calls are synchronous, so every task it returns is already complete.
/// </summary>
internal sealed class PreparedSession(PreparedCommands prepared) : StoreSession
{
    internal override Task<int> ExecuteAsync<TArgs>(SqlStatement<TArgs> statement, TArgs args)
    {
        var command = prepared.Get(statement);
        statement.Bind(args, command);
        return Task.FromResult(command.Execute());
    }

    internal override Task<TRow?> QueryFirstAsync<TArgs, TRow>(SqlQuery<TArgs, TRow> query, TArgs args)
        where TRow : default
    {
        var command = prepared.Get(query);
        query.Bind(args, command);
        return Task.FromResult(command.ReadFirst(query.Map));
    }

    internal override Task<IReadOnlyList<TRow>> QueryAsync<TArgs, TRow>(SqlQuery<TArgs, TRow> query, TArgs args)
    {
        var command = prepared.Get(query);
        query.Bind(args, command);
        return Task.FromResult<IReadOnlyList<TRow>>(command.ReadAll(query.Map));
    }
}
