using System.Globalization;
using System.Security.Claims;
using DeviceFeatures.Protocol.Admin;
using DeviceFeatures.Server.Admin;
using Microsoft.AspNetCore.Mvc;

namespace DeviceFeatures.Server.OperatorConsole.Pages;

/// <summary>
/// Gated grants with four eyes: requests (pending first, then the history), the form to request one, and the grants
/// partners hold. Every rule is the service's (<see cref="GrantRequests"/>); the page only hides the buttons an
/// operator may not use.
/// </summary>
internal sealed class GrantsModel(GrantRequests requests, AdminService admin, TimeProvider time) : ConsolePageModel
{
    public IReadOnlyList<GrantRequestRow> Pending { get; private set; } = [];

    public IReadOnlyList<GrantRequestRow> History { get; private set; } = [];

    public IReadOnlyList<HeldGrant> Held { get; private set; } = [];

    public IReadOnlyList<Partner> Partners { get; private set; } = [];

    public IReadOnlyList<string> GatedFeatures => requests.GatedFeatures;

    /// <summary>The partner the request form starts with (<c>?client=</c>, from a partner's page).</summary>
    [BindProperty(SupportsGet = true, Name = "client")]
    public string? Client { get; set; }

    public long NowMs { get; } = time.GetUtcNow().ToUnixTimeMilliseconds();

    private ConsoleActor Actor => new(OperatorName, User.FindFirstValue(ClaimTypes.Role) ?? "", HttpContext.TraceIdentifier);

    public async Task OnGetAsync(CancellationToken cancellationToken) => await LoadAsync(cancellationToken).ConfigureAwait(false);

    [ChangeBy(OperatorRoles.Administrator, OperatorRoles.CustomerSuccess)]
    public async Task<IActionResult> OnPostRequestAsync(string? clientId, string? featureName, string? reason, CancellationToken cancellationToken)
    {
        var (id, error) = await requests.RequestAsync(Actor, clientId, featureName, reason, cancellationToken).ConfigureAwait(false);
        return await AfterAsync(error, $"Request #{id} is pending: another operator must approve it.", cancellationToken).ConfigureAwait(false);
    }

    [ChangeBy(OperatorRoles.Administrator, OperatorRoles.CustomerSuccess)]
    public async Task<IActionResult> OnPostEditAsync(long id, long version, string? featureName, string? reason, CancellationToken cancellationToken)
    {
        var error = await requests.EditAsync(Actor, id, version, featureName, reason, cancellationToken).ConfigureAwait(false);
        return await AfterAsync(error, $"Request #{id} is changed: it needs approving as it is now.", cancellationToken).ConfigureAwait(false);
    }

    [ChangeBy(OperatorRoles.Administrator, OperatorRoles.CustomerSuccess)]
    public async Task<IActionResult> OnPostApproveAsync(long id, long version, string? note, CancellationToken cancellationToken)
    {
        var error = await requests.ApproveAsync(Actor, id, version, note, cancellationToken).ConfigureAwait(false);
        return await AfterAsync(error, $"Request #{id} is approved: the partner holds the grant.", cancellationToken).ConfigureAwait(false);
    }

    [ChangeBy(OperatorRoles.Administrator, OperatorRoles.CustomerSuccess)]
    public async Task<IActionResult> OnPostRejectAsync(long id, long version, string? note, CancellationToken cancellationToken)
    {
        var error = await requests.RejectAsync(Actor, id, version, note, cancellationToken).ConfigureAwait(false);
        return await AfterAsync(error, $"Request #{id} is rejected.", cancellationToken).ConfigureAwait(false);
    }

    [ChangeBy(OperatorRoles.Administrator, OperatorRoles.CustomerSuccess)]
    public async Task<IActionResult> OnPostWithdrawAsync(long id, CancellationToken cancellationToken)
    {
        var error = await requests.WithdrawAsync(Actor, id, cancellationToken).ConfigureAwait(false);
        return await AfterAsync(error, $"Request #{id} is withdrawn.", cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Taking a grant away needs no second operator: it only removes access, and it is audited like the admin API's.</summary>
    [ChangeBy(OperatorRoles.Administrator, OperatorRoles.CustomerSuccess)]
    public async Task<IActionResult> OnPostRevokeAsync(string? clientId, string? featureName, CancellationToken cancellationToken)
    {
        var error = string.IsNullOrEmpty(clientId) || string.IsNullOrEmpty(featureName)
            ? AdminError.Invalid("Choose the grant to revoke.")
            : await admin.RevokeAsync(clientId, featureName, Origin, cancellationToken).ConfigureAwait(false);
        return await AfterAsync(error, $"{featureName} is revoked: the partner's devices turn it off at their next sync.", cancellationToken).ConfigureAwait(false);
    }

    public static string Age(long fromMs, long toMs)
    {
        var span = TimeSpan.FromMilliseconds(Math.Abs(toMs - fromMs));
        return span.TotalMinutes < 1 ? "less than a minute"
            : span.TotalHours < 1 ? $"{(int)span.TotalMinutes} min"
            : span.TotalDays < 1 ? $"{(int)span.TotalHours} h"
            : $"{(int)span.TotalDays} d {span.Hours} h";
    }

    public static string Text(long value) => value.ToString(CultureInfo.InvariantCulture);

    // Success: back to the page (a reload sends nothing twice). Refusal: the page again, with the service's words.
    private async Task<IActionResult> AfterAsync(AdminError? error, string notice, CancellationToken cancellationToken)
    {
        if (error is null)
        {
            Notice = notice;
            return RedirectToPage();
        }

        Error = error.Detail;
        Response.StatusCode = error.Status;
        await LoadAsync(cancellationToken).ConfigureAwait(false);
        return Page();
    }

    private async Task LoadAsync(CancellationToken cancellationToken)
    {
        var all = await requests.ListAsync(Actor, cancellationToken).ConfigureAwait(false);
        Pending = all.Where(r => r.State == GrantRequestStates.Pending).ToArray();
        History = all.Where(r => r.State != GrantRequestStates.Pending).ToArray();
        Held = await requests.ListHeldAsync(cancellationToken).ConfigureAwait(false);
        Partners = await admin.ListPartnersAsync(cancellationToken).ConfigureAwait(false);
    }
}
