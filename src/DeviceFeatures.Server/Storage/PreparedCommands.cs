using System.Text;
using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace DeviceFeatures.Server.Storage;

/// <summary>
/// The statements the SQLite writer runs, compiled once on its connection and run through SQLite's own interface.
/// SQLite would otherwise parse and plan each statement again on every call, and an ADO.NET command allocates a
/// reader, a record, an enumerator and a binder per parameter on every execution; here a statement is bound,
/// stepped and reset, allocating nothing but the values it reads.
/// </summary>
/// <remarks>Used by one thread at a time (the writer's), inside the writer's transaction.</remarks>
internal sealed class PreparedCommands(SqliteConnection connection) : IDisposable
{
    private readonly sqlite3 _db = connection.Handle ?? throw new InvalidOperationException("The connection is not open.");
    private readonly Dictionary<string, PreparedStatement> _statements = new(StringComparer.Ordinal);

    // Declared statements are found by reference: no hashing of their text on every call.
    private readonly Dictionary<object, PreparedStatement> _declared = new(ReferenceEqualityComparer.Instance);

    /// <summary>The compiled form of a declared statement, reset and with no values bound.</summary>
    internal PreparedStatement Get<TArgs>(SqlStatement<TArgs> statement)
    {
        if (!_declared.TryGetValue(statement, out var prepared))
        {
            prepared = Get(statement.Text(SqlDialect.Sqlite));
            _declared[statement] = prepared;
        }

        return prepared;
    }

    /// <summary>The statement for <paramref name="sql"/>, reset and with no values bound.</summary>
    public PreparedStatement Get(string sql)
    {
        if (!_statements.TryGetValue(sql, out var statement))
        {
            statement = new PreparedStatement(_db, sql);
            _statements[sql] = statement;
        }

        return statement;
    }

    public void Dispose()
    {
        foreach (var statement in _statements.Values)
        {
            statement.Dispose();
        }

        _statements.Clear();
    }
}

/// <summary>
/// One compiled statement: bind by parameter name, then <see cref="Execute"/>, <see cref="ReadFirst{T}"/> or
/// <see cref="ReadAll{T}"/>, each of which resets it when done.
/// </summary>
internal sealed class PreparedStatement : IDisposable, ISqlArguments, ISqlRow
{
    private readonly sqlite3 _db;
    private readonly sqlite3_stmt _statement;
    private readonly Dictionary<string, int> _indexes = new(StringComparer.Ordinal);

    // For each column, the name (as the caller spelled it) last found at that position: the declarations pass the
    // same string literals on every call, so after the first row a column is found by comparing references.
    private string?[]? _columns;

    internal PreparedStatement(sqlite3 db, string sql)
    {
        _db = db;
        var rc = raw.sqlite3_prepare_v2(db, sql, out _statement);
        if (rc != raw.SQLITE_OK)
        {
            SqliteException.ThrowExceptionForRC(rc, db);
        }
    }

    public PreparedStatement Bind(string name, long value) => Check(raw.sqlite3_bind_int64(_statement, Index(name), value));

    public PreparedStatement Bind(string name, long? value) =>
        value is { } v ? Bind(name, v) : Check(raw.sqlite3_bind_null(_statement, Index(name)));

    public PreparedStatement Bind(string name, bool? value) => Bind(name, value is null ? null : value.Value ? 1L : 0L);

    public PreparedStatement Bind(string name, string? value)
    {
        var index = Index(name);
        if (value is null)
        {
            return Check(raw.sqlite3_bind_null(_statement, index));
        }

        // SQLite copies the text (SQLITE_TRANSIENT), so a buffer on the stack will do for short values.
        var length = Encoding.UTF8.GetMaxByteCount(value.Length);
        var buffer = length <= 512 ? stackalloc byte[512] : new byte[length];
        var written = Encoding.UTF8.GetBytes(value, buffer);
        return Check(raw.sqlite3_bind_text(_statement, index, buffer[..written]));
    }

    public PreparedStatement Bind(string name, ReadOnlySpan<byte> value) => Check(raw.sqlite3_bind_blob(_statement, Index(name), value));

    /// <summary>Runs a statement that returns no rows; the number of rows it changed.</summary>
    public int Execute()
    {
        try
        {
            while (Step())
            {
            }

            return raw.sqlite3_changes(_db);
        }
        finally
        {
            Reset();
        }
    }

    /// <summary>Runs a query and maps its first row; <see langword="default"/> when it has none.</summary>
    public T? ReadFirst<T>(Func<PreparedStatement, T> map)
    {
        try
        {
            return Step() ? map(this) : default;
        }
        finally
        {
            Reset();
        }
    }

    /// <summary>Runs a query and maps every row.</summary>
    public List<T> ReadAll<T>(Func<PreparedStatement, T> map)
    {
        var rows = new List<T>();
        try
        {
            while (Step())
            {
                rows.Add(map(this));
            }

            return rows;
        }
        finally
        {
            Reset();
        }
    }

    public bool IsNull(int column) => raw.sqlite3_column_type(_statement, column) == raw.SQLITE_NULL;

    public long Number(int column) => raw.sqlite3_column_int64(_statement, column);

    public string Text(int column) => raw.sqlite3_column_text(_statement, column).utf8_to_string();

    public byte[] Bytes(int column) => raw.sqlite3_column_blob(_statement, column).ToArray();

    /// <summary>The position of the column named <paramref name="name"/> in the statement's result.</summary>
    public int Ordinal(string name)
    {
        var columns = _columns ??= new string?[raw.sqlite3_column_count(_statement)];
        for (var i = 0; i < columns.Length; i++)
        {
            if (ReferenceEquals(columns[i], name))
            {
                return i;
            }
        }

        for (var i = 0; i < columns.Length; i++)
        {
            if (string.Equals(raw.sqlite3_column_name(_statement, i).utf8_to_string(), name, StringComparison.OrdinalIgnoreCase))
            {
                columns[i] = name;
                return i;
            }
        }

        throw new ArgumentException($"The statement has no column {name}.", nameof(name));
    }

    ISqlArguments ISqlArguments.Add(string name, int value) => Bind(name, value);

    ISqlArguments ISqlArguments.Add(string name, int? value) => Bind(name, (long?)value);

    ISqlArguments ISqlArguments.Add(string name, long value) => Bind(name, value);

    ISqlArguments ISqlArguments.Add(string name, long? value) => Bind(name, value);

    ISqlArguments ISqlArguments.Add(string name, bool value) => Bind(name, value ? 1L : 0L);

    ISqlArguments ISqlArguments.Add(string name, bool? value) => Bind(name, value);

    ISqlArguments ISqlArguments.Add(string name, string? value) => Bind(name, value);

    ISqlArguments ISqlArguments.Add(string name, byte[] value) => Bind(name, value.AsSpan());

    bool ISqlRow.IsNull(string column) => IsNull(Ordinal(column));

    long ISqlRow.Int64(string column) => Number(Ordinal(column));

    string ISqlRow.Text(string column) => Text(Ordinal(column));

    byte[] ISqlRow.Bytes(string column) => Bytes(Ordinal(column));

    /// <summary>Ends a run of the statement and clears its values, so that it holds no lock and no stale value.</summary>
    private void Reset()
    {
        raw.sqlite3_reset(_statement);
        raw.sqlite3_clear_bindings(_statement);
    }

    public void Dispose() => _statement.Dispose();

    private bool Step()
    {
        var rc = raw.sqlite3_step(_statement);
        if (rc == raw.SQLITE_ROW)
        {
            return true;
        }

        if (rc == raw.SQLITE_DONE)
        {
            return false;
        }

        SqliteException.ThrowExceptionForRC(rc, _db);
        return false;
    }

    private int Index(string name)
    {
        if (!_indexes.TryGetValue(name, out var index))
        {
            index = raw.sqlite3_bind_parameter_index(_statement, name);
            if (index == 0)
            {
                throw new ArgumentException($"The statement has no parameter {name}.", nameof(name));
            }

            _indexes[name] = index;
        }

        return index;
    }

    private PreparedStatement Check(int rc)
    {
        if (rc != raw.SQLITE_OK)
        {
            SqliteException.ThrowExceptionForRC(rc, _db);
        }

        return this;
    }
}
