using System.Net.Http.Json;
using DeviceFeatures.Protocol.Admin;

namespace DeviceFeatures.Client.Admin;

// The accounts of the operator console (creation is beside the partners').
public sealed partial class DeviceFeaturesAdminClient
{
    /// <summary>Lists the operators of the console.</summary>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>Every operator, by name.</returns>
    public async Task<IReadOnlyList<OperatorAccount>> ListOperatorsAsync(CancellationToken cancellationToken = default) =>
        (await SendAsync(HttpMethod.Get, "operators", null, AdminJsonContext.Default.OperatorList, cancellationToken).ConfigureAwait(false)).Operators;

    /// <summary>Gets one operator of the console.</summary>
    /// <param name="name">The operator's sign-in name.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The operator (never its password).</returns>
    public Task<OperatorAccount> GetOperatorAsync(string name, CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Get, $"operators/{Escape(name)}", null, AdminJsonContext.Default.OperatorAccount, cancellationToken);

    /// <summary>
    /// Gives an operator another role. The operator's open sessions end at their next request. The last enabled
    /// administrator cannot be given another role (<see cref="AdminProblemCodes.LastAdministrator"/>).
    /// </summary>
    /// <param name="name">The operator's sign-in name.</param>
    /// <param name="role"><c>administrator</c>, <c>customer_success</c> or <c>support</c>.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The operator.</returns>
    public Task<OperatorAccount> SetOperatorRoleAsync(string name, string role, CancellationToken cancellationToken = default) =>
        UpdateOperatorAsync(name, new UpdateOperatorRequest(Role: role), cancellationToken);

    /// <summary>
    /// Disables an operator: no sign-in, and its open sessions end at their next request. The last enabled
    /// administrator cannot be disabled (<see cref="AdminProblemCodes.LastAdministrator"/>).
    /// </summary>
    /// <param name="name">The operator's sign-in name.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The operator.</returns>
    public Task<OperatorAccount> DisableOperatorAsync(string name, CancellationToken cancellationToken = default) =>
        UpdateOperatorAsync(name, new UpdateOperatorRequest(Disabled: true), cancellationToken);

    /// <summary>Enables a disabled operator again.</summary>
    /// <param name="name">The operator's sign-in name.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The operator.</returns>
    public Task<OperatorAccount> EnableOperatorAsync(string name, CancellationToken cancellationToken = default) =>
        UpdateOperatorAsync(name, new UpdateOperatorRequest(Disabled: false), cancellationToken);

    /// <summary>Clears an operator's lockout after too many wrong passwords.</summary>
    /// <param name="name">The operator's sign-in name.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The operator.</returns>
    public Task<OperatorAccount> UnlockOperatorAsync(string name, CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Post, $"operators/{Escape(name)}/unlock", null, AdminJsonContext.Default.OperatorAccount, cancellationToken);

    /// <summary>
    /// Gives an operator a new password; its open sessions end at their next request, and its lockout is cleared.
    /// </summary>
    /// <param name="name">The operator's sign-in name.</param>
    /// <param name="password">The new password (at least 12 characters); null to have the server generate one.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The generated password when the server made one (shown only in this answer).</returns>
    public Task<OperatorPassword> ResetOperatorPasswordAsync(string name, string? password = null, CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Post, $"operators/{Escape(name)}/reset-password",
            JsonContent.Create(new ResetPasswordRequest(password), AdminJsonContext.Default.ResetPasswordRequest),
            AdminJsonContext.Default.OperatorPassword, cancellationToken);

    /// <summary>
    /// Deletes an operator; its open sessions end at their next request. The last enabled administrator cannot be
    /// deleted (<see cref="AdminProblemCodes.LastAdministrator"/>).
    /// </summary>
    /// <param name="name">The operator's sign-in name.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>A task that completes once the operator is deleted.</returns>
    public Task DeleteOperatorAsync(string name, CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Delete, $"operators/{Escape(name)}", null, static (_, _) => Task.FromResult(true), cancellationToken);

    private Task<OperatorAccount> UpdateOperatorAsync(string name, UpdateOperatorRequest change, CancellationToken cancellationToken) =>
        SendAsync(HttpMethod.Patch, $"operators/{Escape(name)}", JsonContent.Create(change, AdminJsonContext.Default.UpdateOperatorRequest),
            AdminJsonContext.Default.OperatorAccount, cancellationToken);
}
