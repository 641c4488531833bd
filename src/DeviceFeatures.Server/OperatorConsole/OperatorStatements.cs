using DeviceFeatures.Server.Storage;

namespace DeviceFeatures.Server.OperatorConsole;

/// <summary>An operator of the console (<c>operators</c>): a person with a role and a password hash.</summary>
internal sealed class OperatorRow
{
    public string Name { get; set; } = "";
    public string Role { get; set; } = "";
    public string PasswordHash { get; set; } = "";
    public int FailedAttempts { get; set; }
    public long? LockedUntil { get; set; }
    public long CreatedAt { get; set; }
    public long UpdatedAt { get; set; }
    public long? DisabledAt { get; set; }

    /// <summary>Random; replaced at every change of the account, so that the sessions opened before it end.</summary>
    public string SecurityStamp { get; set; } = "";
}

/// <summary>The operators' accounts: created by the admin API, the first start or an administrator; read at every sign-in.</summary>
internal static class OperatorStatements
{
    private const string Columns = "name, role, password_hash, failed_attempts, locked_until, created_at, updated_at, disabled_at, security_stamp";

    private static readonly SqlQuery<string, OperatorRow> Find = new(
        $"SELECT {Columns} FROM operators WHERE name = @name",
        static (name, p) => p.Add("@name", name),
        Map);

    private static readonly SqlQuery<ValueTuple, OperatorRow> List = new(
        $"SELECT {Columns} FROM operators ORDER BY name", null, Map);

    private static readonly SqlQuery<ValueTuple, int> Count = new(
        "SELECT COUNT(*) AS count FROM operators", null, static row => row.Int32("count"));

    // The name is the key: a second creation of a name changes nothing, and its caller sees 0 rows.
    private static readonly SqlStatement<OperatorRow> Insert = new(
        """
        INSERT INTO operators (name, role, password_hash, failed_attempts, locked_until, created_at, updated_at, disabled_at, security_stamp)
        VALUES (@name, @role, @passwordHash, 0, NULL, @createdAt, @createdAt, NULL, @securityStamp)
        ON CONFLICT (name) DO NOTHING
        """,
        static (o, p) => p.Add("@name", o.Name).Add("@role", o.Role).Add("@passwordHash", o.PasswordHash).Add("@createdAt", o.CreatedAt)
            .Add("@securityStamp", o.SecurityStamp));

    // A sign-in is counted as a failure BEFORE its password is checked, in one statement that only an unlocked
    // account passes: concurrent sign-ins each take one of the attempts left, so that no burst checks more passwords
    // than the limit allows; the attempt that reaches the limit locks the account and starts the count again. A right
    // password then gives the attempt back (RecordSuccess). 0 rows: unknown, or locked.
    private static readonly SqlStatement<(string Name, int MaxFailures, long LockedUntil, long Now)> RecordFailure = new(
        """
        UPDATE operators SET
            failed_attempts = CASE WHEN failed_attempts + 1 >= @maxFailures THEN 0 ELSE failed_attempts + 1 END,
            locked_until = CASE WHEN failed_attempts + 1 >= @maxFailures THEN @lockedUntil ELSE locked_until END,
            updated_at = @now
        WHERE name = @name AND (locked_until IS NULL OR locked_until <= @now)
        """,
        static (a, p) => p.Add("@name", a.Name).Add("@maxFailures", a.MaxFailures).Add("@lockedUntil", a.LockedUntil).Add("@now", a.Now));

    private static readonly SqlStatement<(string Name, long Now)> RecordSuccess = new(
        "UPDATE operators SET failed_attempts = 0, locked_until = NULL, updated_at = @now WHERE name = @name",
        static (a, p) => p.Add("@name", a.Name).Add("@now", a.Now));

    // The password hashed again in a newer format, only while the hash is still the one the password was checked
    // against: a sign-in that overlaps a reset must not put the old password back.
    private static readonly SqlStatement<(string Name, string OldHash, string NewHash)> Rehash = new(
        "UPDATE operators SET password_hash = @newHash WHERE name = @name AND password_hash = @oldHash",
        static (a, p) => p.Add("@name", a.Name).Add("@oldHash", a.OldHash).Add("@newHash", a.NewHash));

    // Every enabled administrator, locked for the rest of the transaction (PostgreSQL; SQLite's writer holds the
    // database): two transactions that each disable a different administrator wait for each other here, and the second
    // one counts what the first left, so that the last enabled administrator cannot be lost to write skew.
    private static readonly SqlQuery<ValueTuple, string> LockAdministrators = new(
        dialect => $"SELECT name FROM operators WHERE role = '{OperatorRoles.Administrator}' AND disabled_at IS NULL ORDER BY name" + dialect.LockForUpdate,
        null, static row => row.Text("name"));

    private static readonly SqlStatement<(string Name, string Role, long? DisabledAt, string Stamp, long Now)> Update = new(
        "UPDATE operators SET role = @role, disabled_at = @disabledAt, security_stamp = @stamp, updated_at = @now WHERE name = @name",
        static (a, p) => p.Add("@name", a.Name).Add("@role", a.Role).Add("@disabledAt", a.DisabledAt).Add("@stamp", a.Stamp).Add("@now", a.Now));

    private static readonly SqlStatement<(string Name, long Now)> Unlock = new(
        "UPDATE operators SET failed_attempts = 0, locked_until = NULL, updated_at = @now WHERE name = @name",
        static (a, p) => p.Add("@name", a.Name).Add("@now", a.Now));

    // A new password also clears the lockout: the operator it was reset for can sign in at once.
    private static readonly SqlStatement<(string Name, string Hash, string Stamp, long Now)> SetPassword = new(
        "UPDATE operators SET password_hash = @hash, security_stamp = @stamp, failed_attempts = 0, locked_until = NULL, updated_at = @now WHERE name = @name",
        static (a, p) => p.Add("@name", a.Name).Add("@hash", a.Hash).Add("@stamp", a.Stamp).Add("@now", a.Now));

    private static readonly SqlStatement<string> Delete = new(
        "DELETE FROM operators WHERE name = @name", static (name, p) => p.Add("@name", name));

    private static OperatorRow Map(ISqlRow row) => new()
    {
        Name = row.Text("name"),
        Role = row.Text("role"),
        PasswordHash = row.Text("password_hash"),
        FailedAttempts = row.Int32("failed_attempts"),
        LockedUntil = row.NullableInt64("locked_until"),
        CreatedAt = row.Int64("created_at"),
        UpdatedAt = row.Int64("updated_at"),
        DisabledAt = row.NullableInt64("disabled_at"),
        SecurityStamp = row.Text("security_stamp"),
    };

    public static Task<OperatorRow?> FindOperatorAsync(this StoreSession session, string name) => session.QueryFirstAsync(Find, name);

    public static Task<IReadOnlyList<OperatorRow>> ListOperatorsAsync(this StoreSession session) => session.QueryAsync(List, default);

    public static Task<int> CountOperatorsAsync(this StoreSession session) => session.QueryFirstAsync(Count, default);

    /// <summary>1 when created, 0 when the name is taken.</summary>
    public static Task<int> InsertOperatorAsync(this StoreSession session, OperatorRow row) => session.ExecuteAsync(Insert, row);

    public static Task<int> RecordOperatorFailureAsync(this StoreSession session, string name, int maxFailures, long lockedUntil, long now) =>
        session.ExecuteAsync(RecordFailure, (name, maxFailures, lockedUntil, now));

    /// <summary>Clears the failures and any lock.</summary>
    public static Task<int> RecordOperatorSuccessAsync(this StoreSession session, string name, long now) =>
        session.ExecuteAsync(RecordSuccess, (name, now));

    /// <summary>Stores the password hashed again (a newer format) if its hash is still <paramref name="oldHash"/>; 0 rows when it was reset meanwhile.</summary>
    public static Task<int> RehashOperatorPasswordAsync(this StoreSession session, string name, string oldHash, string newHash) =>
        session.ExecuteAsync(Rehash, (name, oldHash, newHash));

    /// <summary>The names of the enabled administrators, each locked until the transaction ends.</summary>
    public static Task<IReadOnlyList<string>> LockEnabledAdministratorsAsync(this StoreSession session) => session.QueryAsync(LockAdministrators, default);

    public static Task<int> UpdateOperatorAsync(this StoreSession session, string name, string role, long? disabledAt, string stamp, long now) =>
        session.ExecuteAsync(Update, (name, role, disabledAt, stamp, now));

    public static Task<int> UnlockOperatorAsync(this StoreSession session, string name, long now) => session.ExecuteAsync(Unlock, (name, now));

    public static Task<int> SetOperatorPasswordAsync(this StoreSession session, string name, string hash, string stamp, long now) =>
        session.ExecuteAsync(SetPassword, (name, hash, stamp, now));

    public static Task<int> DeleteOperatorAsync(this StoreSession session, string name) => session.ExecuteAsync(Delete, name);
}
