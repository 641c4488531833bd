using System.Data;
using System.Data.Common;

namespace DeviceFeatures.Server.Storage;

/// <summary>
/// Runs declared statements as ADO.NET commands: PostgreSQL's reads and writes, and SQLite's reads. Parameters carry
/// their types, so that PostgreSQL knows the type of a null as well as of a value.
/// </summary>
internal sealed class CommandSession(DbConnection connection, DbTransaction? transaction, SqlDialect dialect, CancellationToken cancellationToken)
    : StoreSession
{
    internal override async Task<int> ExecuteAsync<TArgs>(SqlStatement<TArgs> statement, TArgs args)
    {
        await using var command = Create(statement, args);
        return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    internal override async Task<TRow?> QueryFirstAsync<TArgs, TRow>(SqlQuery<TArgs, TRow> query, TArgs args)
        where TRow : default
    {
        await using var command = Create(query, args);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        return await reader.ReadAsync(cancellationToken).ConfigureAwait(false) ? query.Map(new ReaderRow(reader)) : default;
    }

    internal override async Task<IReadOnlyList<TRow>> QueryAsync<TArgs, TRow>(SqlQuery<TArgs, TRow> query, TArgs args)
    {
        await using var command = Create(query, args);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        var row = new ReaderRow(reader);
        var rows = new List<TRow>();
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            rows.Add(query.Map(row));
        }

        return rows;
    }

    private DbCommand Create<TArgs>(SqlStatement<TArgs> statement, TArgs args)
    {
        var command = connection.CreateCommand();
        command.CommandText = statement.Text(dialect);
        command.Transaction = transaction;
        statement.Bind(args, new CommandArguments(command));
        return command;
    }

    private sealed class CommandArguments(DbCommand command) : ISqlArguments
    {
        public ISqlArguments Add(string name, int value) => Add(name, DbType.Int32, value);

        public ISqlArguments Add(string name, int? value) => Add(name, DbType.Int32, value);

        public ISqlArguments Add(string name, long value) => Add(name, DbType.Int64, value);

        public ISqlArguments Add(string name, long? value) => Add(name, DbType.Int64, value);

        public ISqlArguments Add(string name, bool value) => Add(name, DbType.Boolean, value);

        public ISqlArguments Add(string name, bool? value) => Add(name, DbType.Boolean, value);

        public ISqlArguments Add(string name, string? value) => Add(name, DbType.String, value);

        public ISqlArguments Add(string name, byte[] value) => Add(name, DbType.Binary, value);

        private CommandArguments Add(string name, DbType type, object? value)
        {
            var parameter = command.CreateParameter();
            parameter.ParameterName = name;
            parameter.DbType = type;
            parameter.Value = value ?? DBNull.Value;
            command.Parameters.Add(parameter);
            return this;
        }
    }

    /// <summary>Columns by name; each name's ordinal is looked up once per query.</summary>
    private sealed class ReaderRow(DbDataReader reader) : ISqlRow
    {
        private readonly Dictionary<string, int> _ordinals = new(StringComparer.Ordinal);

        public bool IsNull(string column) => reader.IsDBNull(Ordinal(column));

        public long Int64(string column) => reader.GetInt64(Ordinal(column));

        public int Int32(string column) => reader.GetInt32(Ordinal(column));

        public bool Boolean(string column) => reader.GetBoolean(Ordinal(column));

        public string Text(string column) => reader.GetString(Ordinal(column));

        public byte[] Bytes(string column) => reader.GetFieldValue<byte[]>(Ordinal(column));

        private int Ordinal(string column)
        {
            if (!_ordinals.TryGetValue(column, out var ordinal))
            {
                ordinal = reader.GetOrdinal(column);
                _ordinals[column] = ordinal;
            }

            return ordinal;
        }
    }
}
