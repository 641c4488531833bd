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
