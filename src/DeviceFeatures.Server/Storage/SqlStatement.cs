namespace DeviceFeatures.Server.Storage;

/// <summary>
/// A statement that changes rows, declared once by the capability that runs it: its SQL and how its arguments bind
/// to the statement's parameters, by name. A <see cref="StoreSession"/> runs it, as a prepared statement on the SQLite
/// writer and as an ADO.NET command everywhere else.
/// </summary>
/// <typeparam name="TArgs">The statement's arguments, usually a tuple or a row.</typeparam>
internal class SqlStatement<TArgs>
{
    private readonly string _sqlite;
    private readonly string _postgres;

    public SqlStatement(string sql, Action<TArgs, ISqlArguments>? bind = null)
        : this(_ => sql, bind)
    {
    }

    /// <param name="sql">The text for a dialect: only for a statement whose text differs between providers.</param>
    /// <param name="bind">Binds the arguments by parameter name; none when the statement has no parameters.</param>
    public SqlStatement(Func<SqlDialect, string> sql, Action<TArgs, ISqlArguments>? bind = null)
    {
        _sqlite = sql(SqlDialect.Sqlite);
        _postgres = sql(SqlDialect.Postgres);
        Bind = bind ?? (static (_, _) => { });
    }

    public Action<TArgs, ISqlArguments> Bind { get; }

    public string Text(SqlDialect dialect) => ReferenceEquals(dialect, SqlDialect.Postgres) ? _postgres : _sqlite;
}

/// <summary>A statement that returns rows, with how one row maps to a value, by column name.</summary>
internal sealed class SqlQuery<TArgs, TRow> : SqlStatement<TArgs>
{
    public SqlQuery(string sql, Action<TArgs, ISqlArguments>? bind, Func<ISqlRow, TRow> map)
        : base(sql, bind)
    {
        Map = map;
    }

    public SqlQuery(Func<SqlDialect, string> sql, Action<TArgs, ISqlArguments>? bind, Func<ISqlRow, TRow> map)
        : base(sql, bind)
    {
        Map = map;
    }

    public Func<ISqlRow, TRow> Map { get; }
}

/// <summary>Where a statement's arguments go, by parameter name (<c>@name</c>), each with its type.</summary>
internal interface ISqlArguments
{
    ISqlArguments Add(string name, int value);

    ISqlArguments Add(string name, int? value);

    ISqlArguments Add(string name, long value);

    ISqlArguments Add(string name, long? value);

    ISqlArguments Add(string name, bool value);

    ISqlArguments Add(string name, bool? value);

    ISqlArguments Add(string name, string? value);

    ISqlArguments Add(string name, byte[] value);
}

/// <summary>The current row of a query, read by column name.</summary>
internal interface ISqlRow
{
    bool IsNull(string column);

    long Int64(string column);

    int Int32(string column) => checked((int)Int64(column));

    bool Boolean(string column) => Int64(column) != 0;

    string Text(string column);

    byte[] Bytes(string column);

    long? NullableInt64(string column) => IsNull(column) ? null : Int64(column);

    int? NullableInt32(string column) => IsNull(column) ? null : Int32(column);

    bool? NullableBoolean(string column) => IsNull(column) ? null : Boolean(column);

    string? NullableText(string column) => IsNull(column) ? null : Text(column);
}
