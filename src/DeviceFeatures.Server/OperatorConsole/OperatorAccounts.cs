using System.Security.Cryptography;
using System.Text.RegularExpressions;
using DeviceFeatures.Protocol.Admin;
using DeviceFeatures.Server.Admin;
using DeviceFeatures.Server.Audit;
using DeviceFeatures.Server.Storage;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Options;

namespace DeviceFeatures.Server.OperatorConsole;

/// <summary>The three roles of the console, from the most to the least powerful.</summary>
internal static class OperatorRoles
{
    /// <summary>Everything, including the partners' credentials and the operators.</summary>
    public const string Administrator = "administrator";

    /// <summary>Partners' programmes, grants, programme choices and the device inventory.</summary>
    public const string CustomerSuccess = "customer_success";

    /// <summary>Reads and looks up; changes nothing.</summary>
    public const string Support = "support";

    public static readonly IReadOnlyList<string> All = [Administrator, CustomerSuccess, Support];

    public static string Label(string role) => role switch
    {
        Administrator => "Administrator",
        CustomerSuccess => "Customer success",
        Support => "Support",
        _ => role,
    };
}

/// <summary>Section <c>Console</c>.</summary>
internal sealed class ConsoleOptions
{
    public const string SectionName = "Console";

    /// <summary>Wrong passwords in a row that lock an operator's account.</summary>
    [System.ComponentModel.DataAnnotations.Range(1, 1000)]
    public int MaxFailedSignIns { get; set; } = 5;

    /// <summary>How long a locked account refuses every sign-in, the right password included.</summary>
    [System.ComponentModel.DataAnnotations.Range(1, 7 * 24 * 60)]
    public int LockoutMinutes { get; set; } = 15;

    /// <summary>How long a session lasts without a request (it slides with each request).</summary>
    [System.ComponentModel.DataAnnotations.Range(1, 7 * 24 * 60)]
    public int SessionMinutes { get; set; } = 8 * 60;

    /// <summary>
    /// Whether a server that starts with no operator creates the administrator <c>admin</c> and prints its password
    /// once (false: create the first one with <c>devfeat admin operators create</c>).
    /// </summary>
    public bool CreateFirstAdministrator { get; set; } = true;

    /// <summary>Days a grant request stays open for approval; after them it can no longer be approved.</summary>
    [System.ComponentModel.DataAnnotations.Range(1, 365)]
    public int GrantRequestDays { get; set; } = 7;
}

/// <summary>What a sign-in attempt came to; only <see cref="Operator"/> is set on success.</summary>
internal sealed record SignInOutcome(OperatorRow? Operator, string? Refusal, DateTimeOffset? LockedUntil = null);

/// <summary>
/// The console's accounts: creation (admin API, first start, an administrator), and sign-in with its lockout. The
/// password is kept only as ASP.NET Core Identity's hash (PBKDF2 with a salt and a version marker).
/// </summary>
internal sealed partial class OperatorAccounts(IFeatureStore store, TimeProvider time, IOptions<ConsoleOptions> options)
{
    public const int MinPasswordLength = 12;
    public const int MaxPasswordLength = 256;
    internal const string WrongCredentials = "Wrong name or password.";

    private static readonly PasswordHasher<OperatorRow> Hasher = new();

    // Compared against when the name is unknown, so that an unknown name costs the same time as a wrong password.
    private static readonly Lazy<string> DummyHash = new(() => Hasher.HashPassword(new OperatorRow(), "not a password of anyone"));

    /// <summary>
    /// Creates an operator. Without a password, one is generated and returned (the only time it is seen); the audit
    /// event names the role, never the password. With no origin (the first start's administrator, like the generated
    /// admin key) nothing is audited.
    /// </summary>
    public async Task<(CreatedOperator? Created, AdminError? Error)> CreateAsync(
        string? name, string? role, string? password, AuditOrigin? origin, CancellationToken cancellationToken)
    {
        name = name?.Trim();
        if (name is null || !NamePattern().IsMatch(name))
        {
            return (null, AdminError.Invalid("'name' must be 1 to 64 characters: lowercase letters, digits, '.', '_' or '-', starting with a letter or digit."));
        }

        if (role is null || !OperatorRoles.All.Contains(role))
        {
            return (null, AdminError.Invalid($"'role' must be one of {string.Join(", ", OperatorRoles.All)}."));
        }

        var generated = password is null ? NewPassword() : null;
        password ??= generated!;
        if (password.Length is < MinPasswordLength or > MaxPasswordLength)
        {
            return (null, AdminError.Invalid($"'password' must be {MinPasswordLength} to {MaxPasswordLength} characters long; leave it out to have one generated."));
        }

        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        var row = new OperatorRow { Name = name, Role = role, CreatedAt = now, UpdatedAt = now, SecurityStamp = NewSecurityStamp() };
        row.PasswordHash = Hasher.HashPassword(row, password);
        var created = await store.WriteAsync(async s =>
        {
            if (await s.InsertOperatorAsync(row) == 0)
            {
                return false;
            }

            if (origin is { } by)
            {
                await s.AppendAuditAsync(new AuditRow
                {
                    OccurredAt = now,
                    Kind = AuditKinds.OperatorCreated,
                    Actor = by.Actor,
                    RequestId = by.RequestId,
                    Detail = $"{name} ({role})",
                });
            }

            return true;
        }, cancellationToken);
        return created
            ? (new CreatedOperator(name, role, generated), null)
            : (null, new AdminError(StatusCodes.Status409Conflict, AdminProblemCodes.OperatorExists, $"An operator is already named '{name}'."));
    }

    /// <summary>
    /// Checks a name and password. Every refusal but the lockout's says the same thing, and an unknown name takes the
    /// same steps as a known one (a read, the counting write, a hash, a read), so that neither the answer nor its time
    /// tells which names exist; a disabled operator is refused like an unknown one.
    /// </summary>
    /// <remarks>
    /// The attempt is counted before the password is checked, by a write that only an unlocked account passes: a burst
    /// of concurrent sign-ins checks at most <see cref="ConsoleOptions.MaxFailedSignIns"/> passwords before the lock
    /// holds, and a right password gives its attempt back.
    /// </remarks>
    public async Task<SignInOutcome> SignInAsync(string? name, string? password, CancellationToken cancellationToken)
    {
        name = name?.Trim().ToLowerInvariant() ?? "";
        password ??= "";
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        if (name.Length is 0 or > 64)
        {
            Hasher.VerifyHashedPassword(new OperatorRow(), DummyHash.Value, password);
            return new SignInOutcome(null, WrongCredentials);
        }

        var row = await store.ReadAsync(s => s.FindOperatorAsync(name), cancellationToken);
        var lockedUntil = now + (options.Value.LockoutMinutes * 60_000L);
        var counted = await store.WriteAsync(s => s.RecordOperatorFailureAsync(name, options.Value.MaxFailedSignIns, lockedUntil, now), cancellationToken);
        if (row is null || row.DisabledAt is not null)
        {
            Hasher.VerifyHashedPassword(new OperatorRow(), DummyHash.Value, password);
            await store.ReadAsync(s => s.FindOperatorAsync(name), cancellationToken);
            return new SignInOutcome(null, WrongCredentials);
        }

        if (counted == 0)
        {
            var current = await store.ReadAsync(s => s.FindOperatorAsync(name), cancellationToken);
            return current?.LockedUntil is { } until && until > now ? Locked(until) : new SignInOutcome(null, WrongCredentials);
        }

        var verdict = password.Length is > 0 and <= MaxPasswordLength
            ? Hasher.VerifyHashedPassword(row, row.PasswordHash, password)
            : PasswordVerificationResult.Failed;
        if (verdict == PasswordVerificationResult.Failed)
        {
            var after = await store.ReadAsync(s => s.FindOperatorAsync(name), cancellationToken);
            return after?.LockedUntil is { } locked && locked > now ? Locked(locked) : new SignInOutcome(null, WrongCredentials);
        }

        var rehashed = verdict == PasswordVerificationResult.SuccessRehashNeeded ? Hasher.HashPassword(row, password) : null;
        var oldHash = row.PasswordHash;
        await store.WriteAsync(async s =>
        {
            await s.RecordOperatorSuccessAsync(name, now);
            return rehashed is null ? 0 : await s.RehashOperatorPasswordAsync(name, oldHash, rehashed);
        }, cancellationToken);
        return new SignInOutcome(row, null);
    }

    /// <summary>The operator a session names, if it may still act: not removed, not disabled.</summary>
    public async Task<OperatorRow?> FindActiveAsync(string name, CancellationToken cancellationToken)
    {
        var row = await store.ReadAsync(s => s.FindOperatorAsync(name), cancellationToken);
        return row is { DisabledAt: null } ? row : null;
    }

    public Task<IReadOnlyList<OperatorRow>> ListAsync(CancellationToken cancellationToken) =>
        store.ReadAsync(s => s.ListOperatorsAsync(), cancellationToken);

    public async Task<(OperatorRow? Row, AdminError? Error)> GetAsync(string name, CancellationToken cancellationToken) =>
        await store.ReadAsync(s => s.FindOperatorAsync(name), cancellationToken) is { } row ? (row, null) : (null, NotFound(name));

    /// <summary>
    /// Changes an operator's role, or disables or enables it; each change is one audit event. The last enabled
    /// administrator can be neither demoted nor disabled: the enabled administrators are locked and counted in the
    /// transaction that changes one of them.
    /// </summary>
    public async Task<(OperatorRow? Row, AdminError? Error)> UpdateAsync(
        string name, string? role, bool? disabled, AuditOrigin origin, CancellationToken cancellationToken)
    {
        if (role is null && disabled is null)
        {
            return (null, AdminError.Invalid("Send 'role' (administrator, customer_success or support), 'disabled' (true or false), or both."));
        }

        if (role is not null && !OperatorRoles.All.Contains(role))
        {
            return (null, AdminError.Invalid($"'role' must be one of {string.Join(", ", OperatorRoles.All)}."));
        }

        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        return await store.WriteAsync<(OperatorRow?, AdminError?)>(async s =>
        {
            var administrators = await s.LockEnabledAdministratorsAsync();
            if (await s.FindOperatorAsync(name) is not { } row)
            {
                return (null, NotFound(name));
            }

            var newRole = role ?? row.Role;
            long? disabledAt = disabled switch
            {
                true => row.DisabledAt ?? now,
                false => null,
                null => row.DisabledAt,
            };
            if (IsLastAdministrator(row, administrators) && (newRole != OperatorRoles.Administrator || disabledAt is not null))
            {
                return (null, LastAdministrator(name, disabledAt is not null ? "disabled" : "given another role"));
            }

            var events = new List<(string Kind, string Detail)>();
            if (newRole != row.Role)
            {
                events.Add((AuditKinds.OperatorRoleChanged, $"{name}: {row.Role} -> {newRole}"));
            }

            if ((disabledAt is null) != (row.DisabledAt is null))
            {
                events.Add((disabledAt is null ? AuditKinds.OperatorEnabled : AuditKinds.OperatorDisabled, name));
            }

            if (events.Count == 0)
            {
                return (row, null);
            }

            var stamp = NewSecurityStamp();
            await s.UpdateOperatorAsync(name, newRole, disabledAt, stamp, now);
            foreach (var (kind, detail) in events)
            {
                await s.AppendAuditAsync(Audit(kind, detail, origin, now));
            }

            row.Role = newRole;
            row.DisabledAt = disabledAt;
            row.SecurityStamp = stamp;
            row.UpdatedAt = now;
            return (row, null);
        }, cancellationToken);
    }

    /// <summary>Clears an operator's lockout and its count of wrong passwords.</summary>
    public Task<(OperatorRow? Row, AdminError? Error)> UnlockAsync(string name, AuditOrigin origin, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        return store.WriteAsync<(OperatorRow?, AdminError?)>(async s =>
        {
            if (await s.UnlockOperatorAsync(name, now) == 0)
            {
                return (null, NotFound(name));
            }

            await s.AppendAuditAsync(Audit(AuditKinds.OperatorUnlocked, name, origin, now));
            return (await s.FindOperatorAsync(name), null);
        }, cancellationToken);
    }

    /// <summary>
    /// Gives an operator a new password (generated and answered once when none is given). Its sessions end at their
    /// next request, since a session carries a stamp of the password it signed in with; its lockout is cleared.
    /// </summary>
    public async Task<(OperatorPassword? Password, AdminError? Error)> ResetPasswordAsync(
        string name, string? password, AuditOrigin origin, CancellationToken cancellationToken)
    {
        var generated = password is null ? NewPassword() : null;
        password ??= generated!;
        if (password.Length is < MinPasswordLength or > MaxPasswordLength)
        {
            return (null, AdminError.Invalid($"'password' must be {MinPasswordLength} to {MaxPasswordLength} characters long; leave it out to have one generated."));
        }

        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        var hash = Hasher.HashPassword(new OperatorRow { Name = name }, password);
        return await store.WriteAsync<(OperatorPassword?, AdminError?)>(async s =>
        {
            if (await s.SetOperatorPasswordAsync(name, hash, NewSecurityStamp(), now) == 0)
            {
                return (null, NotFound(name));
            }

            await s.AppendAuditAsync(Audit(AuditKinds.OperatorPasswordReset, name, origin, now));
            return (new OperatorPassword(name, generated), null);
        }, cancellationToken);
    }

    /// <summary>Deletes an operator (its sessions end at their next request); never the last enabled administrator.</summary>
    public Task<AdminError?> DeleteAsync(string name, AuditOrigin origin, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        return store.WriteAsync(async s =>
        {
            var administrators = await s.LockEnabledAdministratorsAsync();
            if (await s.FindOperatorAsync(name) is not { } row)
            {
                return NotFound(name);
            }

            if (IsLastAdministrator(row, administrators))
            {
                return LastAdministrator(name, "deleted");
            }

            await s.DeleteOperatorAsync(name);
            await s.AppendAuditAsync(Audit(AuditKinds.OperatorDeleted, $"{name} ({row.Role})", origin, now));
            return null;
        }, cancellationToken);
    }

    /// <summary>
    /// What a session carries of the account it was opened on: the security stamp, replaced at every change of role,
    /// of disabled/enabled and of password. A session whose stamp no longer matches ends at its next request, even
    /// when the account has come back to the state it signed in with (disabled then enabled, demoted then promoted).
    /// </summary>
    public static string SessionStamp(OperatorRow row) => row.SecurityStamp;

    // 16 random bytes in hex: a stamp that no earlier state of the account can have had.
    private static string NewSecurityStamp() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));

    public static OperatorAccount ToResponse(OperatorRow row) => new(
        row.Name,
        row.Role,
        row.DisabledAt is not null,
        At(row.DisabledAt),
        At(row.LockedUntil),
        row.FailedAttempts,
        DateTimeOffset.FromUnixTimeMilliseconds(row.CreatedAt),
        DateTimeOffset.FromUnixTimeMilliseconds(row.UpdatedAt));

    private static DateTimeOffset? At(long? ms) => ms is { } v ? DateTimeOffset.FromUnixTimeMilliseconds(v) : null;

    private static bool IsLastAdministrator(OperatorRow row, IReadOnlyList<string> enabledAdministrators) =>
        row.Role == OperatorRoles.Administrator && row.DisabledAt is null && enabledAdministrators.Count <= 1;

    private static AdminError NotFound(string name) =>
        new(StatusCodes.Status404NotFound, AdminProblemCodes.OperatorNotFound, $"No operator is named '{name}'.");

    private static AdminError LastAdministrator(string name, string what) =>
        new(StatusCodes.Status409Conflict, AdminProblemCodes.LastAdministrator,
            $"'{name}' is the last enabled administrator and cannot be {what}: make another operator an administrator first.");

    private static AuditRow Audit(string kind, string detail, AuditOrigin origin, long now) => new()
    {
        OccurredAt = now,
        Kind = kind,
        Actor = origin.Actor,
        RequestId = origin.RequestId,
        Detail = detail,
    };

    private static SignInOutcome Locked(long until)
    {
        var at = DateTimeOffset.FromUnixTimeMilliseconds(until);
        return new SignInOutcome(null, $"Too many wrong passwords: this account is locked until {at:yyyy-MM-dd HH:mm} UTC.", at);
    }

    // 24 random bytes in URL-safe base64: 32 characters, well over the minimum length.
    internal static string NewPassword() =>
        Convert.ToBase64String(RandomNumberGenerator.GetBytes(24)).Replace('+', '-').Replace('/', '_');

    [GeneratedRegex(@"^[a-z0-9][a-z0-9._-]{0,63}\z")]
    private static partial Regex NamePattern();
}
