namespace DeviceFeatures.Protocol.Admin;

/// <summary>The body of <c>POST /admin/api/operators</c>: an account of the operator console.</summary>
/// <param name="Name">The operator's sign-in name: 1 to 64 characters, lowercase letters, digits, '.', '_' or '-', starting with a letter or digit.</param>
/// <param name="Role"><c>administrator</c>, <c>customer_success</c> or <c>support</c>.</param>
/// <param name="Password">The password, at least 12 characters; when absent the server generates one and answers it once.</param>
public sealed record CreateOperatorRequest(string? Name, string? Role, string? Password = null);

/// <summary>A new operator of the console.</summary>
/// <param name="Name">The operator's sign-in name.</param>
/// <param name="Role">The operator's role.</param>
/// <param name="Password">The generated password, shown only in this answer; null when the request chose the password.</param>
public sealed record CreatedOperator(string Name, string Role, string? Password);

/// <summary>An operator of the console as the admin API shows it (never with its password or its hash).</summary>
/// <param name="Name">The operator's sign-in name.</param>
/// <param name="Role"><c>administrator</c>, <c>customer_success</c> or <c>support</c>.</param>
/// <param name="Disabled">Whether the operator is disabled: no sign-in, and an open session ends at its next request.</param>
/// <param name="DisabledAt">When the operator was disabled; null when enabled.</param>
/// <param name="LockedUntil">Until when sign-ins are refused after too many wrong passwords; null when not locked.</param>
/// <param name="FailedAttempts">Wrong passwords since the last sign-in or lock.</param>
/// <param name="CreatedAt">When the operator was created.</param>
/// <param name="UpdatedAt">When the account last changed (a sign-in counts).</param>
public sealed record OperatorAccount(
    string Name,
    string Role,
    bool Disabled,
    DateTimeOffset? DisabledAt,
    DateTimeOffset? LockedUntil,
    int FailedAttempts,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt);

/// <summary>The answer of <c>GET /admin/api/operators</c>.</summary>
/// <param name="Operators">Every operator, by name.</param>
public sealed record OperatorList(IReadOnlyList<OperatorAccount> Operators);

/// <summary>
/// The body of <c>PATCH /admin/api/operators/{name}</c>: what to change, each member optional but one required. The
/// last enabled administrator can be neither demoted nor disabled.
/// </summary>
/// <param name="Role">The new role: <c>administrator</c>, <c>customer_success</c> or <c>support</c>.</param>
/// <param name="Disabled">true to disable the operator (its sessions end), false to enable it again.</param>
public sealed record UpdateOperatorRequest(string? Role = null, bool? Disabled = null);

/// <summary>The body of <c>POST /admin/api/operators/{name}/reset-password</c>; the body itself is optional.</summary>
/// <param name="Password">The new password, at least 12 characters; when absent the server generates one and answers it once.</param>
public sealed record ResetPasswordRequest(string? Password = null);

/// <summary>The answer of a password reset: the operator's sessions have ended, and its lockout is cleared.</summary>
/// <param name="Name">The operator's sign-in name.</param>
/// <param name="Password">The generated password, shown only in this answer; null when the request chose the password.</param>
public sealed record OperatorPassword(string Name, string? Password);
