using System.Data.Common;

namespace DeviceFeatures.Server.Storage;

/// <summary>
/// Commands compiled once and kept on one long-lived connection (the SQLite writer's), for the statements every
/// signed call runs: SQLite otherwise parses and plans each statement again on every call.
/// </summary>
public sealed class PreparedCommands(DbConnection connection) : IDisposable
{
    private readonly Dictionary<string, DbCommand> _commands = new(StringComparer.Ordinal);

    public DbCommand Get(string sql, DbTransaction? transaction, params (string Name, object? Value)[] arguments)
    {
        if (!_commands.TryGetValue(sql, out var command))
        {
            command = connection.CreateCommand();
            command.CommandText = sql;
            foreach (var (name, _) in arguments)
            {
                var parameter = command.CreateParameter();
                parameter.ParameterName = "@" + name;
                command.Parameters.Add(parameter);
            }

            command.Prepare();
            _commands[sql] = command;
        }

        command.Transaction = transaction;
        for (var i = 0; i < arguments.Length; i++)
        {
            command.Parameters[i].Value = arguments[i].Value ?? DBNull.Value;
        }

        return command;
    }

    public void Dispose()
    {
        foreach (var command in _commands.Values)
        {
            command.Dispose();
        }

        _commands.Clear();
    }
}
