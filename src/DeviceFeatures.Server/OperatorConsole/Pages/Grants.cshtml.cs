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

    public bool HistoryTruncated { get; private set; }

    public IReadOnlyList<HeldGrant> Held { get; private set; } = [];

    public bool HeldTruncated { get; private set; }

    public IReadOnlyList<Partner> Partners { get; private set; } = [];

    public IReadOnlyList<string> GatedFeatures => requests.GatedFeatures;

    /// <summary>The partner the request form starts with (<c>?client=</c>, from a partner's page).</summary>
    [BindProperty(SupportsGet = true, Name = "client")]
    public string? Client { get; set; }

    /// <summary>The feature and reason of a refused request, shown again in its form.</summary>
    public string? RequestFeature { get; private set; }

    public string? RequestReason { get; private set; }

    /// <summary>The request whose edit was refused, with what was posted, shown again in its (opened) form.</summary>
    public long? EditId { get; private set; }

    public string? EditFeature { get; private set; }

    public string? EditReason { get; private set; }

    /// <summary>The request whose decision was refused, with the note that was typed.</summary>
    public long? DecideId { get; private set; }

    public string? DecideNote { get; private set; }

    public long NowMs { get; } = time.GetUtcNow().ToUnixTimeMilliseconds();

    private ConsoleActor Actor => new(OperatorName, User.FindFirstValue(ClaimTypes.Role) ?? "", HttpContext.TraceIdentifier);

    public async Task OnGetAsync(CancellationToken cancellationToken) => await LoadAsync(cancellationToken).ConfigureAwait(false);

    [ChangeBy(OperatorRoles.Administrator, OperatorRoles.CustomerSuccess)]
    public async Task<IActionResult> OnPostRequestAsync(string? clientId, string? featureName, string? reason, CancellationToken cancellationToken)
    {
        var (id, error) = await requests.RequestAsync(Actor, clientId, featureName, reason, cancellationToken).ConfigureAwait(false);
        (Client, RequestFeature, RequestReason) = (clientId, featureName, reason);
        return await AfterAsync(error, $"Request #{id} is pending: another operator must approve it.", cancellationToken).ConfigureAwait(false);
    }

    [ChangeBy(OperatorRoles.Administrator, OperatorRoles.CustomerSuccess)]
    public async Task<IActionResult> OnPostEditAsync(long id, long version, string? featureName, string? reason, CancellationToken cancellationToken)
    {
        var (changed, error) = await requests.EditAsync(Actor, id, version, featureName, reason, cancellationToken).ConfigureAwait(false);
        (EditId, EditFeature, EditReason) = (id, featureName, reason);
        return await AfterAsync(error, changed ? $"Request #{id} is changed: it needs approving as it is now." : $"Request #{id} is unchanged: nothing was edited.",
            cancellationToken).ConfigureAwait(false);
    }

    [ChangeBy(OperatorRoles.Administrator, OperatorRoles.CustomerSuccess)]
    public async Task<IActionResult> OnPostApproveAsync(long id, long version, string? note, CancellationToken cancellationToken)
    {
        var error = await requests.ApproveAsync(Actor, id, version, note, cancellationToken).ConfigureAwait(false);
        (DecideId, DecideNote) = (id, note);
        return await AfterAsync(error, $"Request #{id} is approved: the partner holds the grant.", cancellationToken).ConfigureAwait(false);
    }

    [ChangeBy(OperatorRoles.Administrator, OperatorRoles.CustomerSuccess)]
    public async Task<IActionResult> OnPostRejectAsync(long id, long version, string? note, CancellationToken cancellationToken)
    {
        var error = await requests.RejectAsync(Actor, id, version, note, cancellationToken).ConfigureAwait(false);
        (DecideId, DecideNote) = (id, note);
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
        var (revoked, error) = string.IsNullOrEmpty(clientId) || string.IsNullOrEmpty(featureName)
            ? (false, AdminError.Invalid("Choose the grant to revoke."))
            : await admin.RevokeGrantAsync(clientId, featureName, Origin, cancellationToken).ConfigureAwait(false);
        return await AfterAsync(error, revoked
            ? $"{featureName} is revoked: the partner's devices turn it off at their next sync."
            : $"The partner held no grant of {featureName}: nothing was revoked.", cancellationToken).ConfigureAwait(false);
    }

    /// <summary>How long ago <paramref name="atMs"/> was: "less than a minute ago", "5 min ago", "2 d 3 h ago".</summary>
    public static string Ago(long atMs, long nowMs) => atMs >= nowMs - 60_000 ? "less than a minute ago" : Span(nowMs - atMs) + " ago";

    /// <summary>How long until <paramref name="atMs"/>: "in 5 min", or "expired" once it has passed.</summary>
    public static string Until(long atMs, long nowMs) => atMs <= nowMs ? "expired" : atMs - nowMs < 60_000 ? "in less than a minute" : "in " + Span(atMs - nowMs);

    private static string Span(long ms)
    {
        var span = TimeSpan.FromMilliseconds(ms);
        return span.TotalHours < 1 ? $"{(int)span.TotalMinutes} min"
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
        var list = await requests.ListAsync(cancellationToken).ConfigureAwait(false);
        (Pending, History, HistoryTruncated) = (list.Pending, list.History, list.HistoryTruncated);
        (Held, HeldTruncated) = await requests.ListHeldAsync(cancellationToken).ConfigureAwait(false);
        Partners = await admin.ListPartnersAsync(cancellationToken).ConfigureAwait(false);
    }
}
