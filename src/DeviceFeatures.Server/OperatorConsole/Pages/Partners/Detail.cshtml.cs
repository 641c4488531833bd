using DeviceFeatures.Protocol.Admin;
using DeviceFeatures.Server.Admin;
using DeviceFeatures.Server.Secrets;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;

namespace DeviceFeatures.Server.OperatorConsole.Pages.Partners;

internal sealed class PartnerDetailModel(AdminService admin, IOptions<SecretOptions> secretOptions) : ConsolePageModel
{
    [BindProperty(SupportsGet = true)]
    public string ClientId { get; set; } = "";

    public Partner? Partner { get; private set; }

    public IReadOnlyList<Entitlement> Entitlements { get; private set; } = [];

    /// <summary>The secret a rotation just made: on this answer only.</summary>
    public PartnerSecret? NewSecret { get; private set; }

    public int DefaultOverlap => secretOptions.Value.RotationOverlapSeconds;

    public async Task<IActionResult> OnGetAsync(CancellationToken cancellationToken)
    {
        await LoadAsync(cancellationToken).ConfigureAwait(false);
        if (Partner is null)
        {
            Response.StatusCode = StatusCodes.Status404NotFound;
        }

        return Page();
    }

    [ChangeBy(OperatorRoles.Administrator)]
    public async Task<IActionResult> OnPostRotateAsync(int? overlapSeconds, CancellationToken cancellationToken)
    {
        (NewSecret, var error) = await admin.RotateSecretAsync(ClientId, overlapSeconds, Origin, cancellationToken).ConfigureAwait(false);
        Error = error?.Detail;
        await LoadAsync(cancellationToken).ConfigureAwait(false);
        return Page();
    }

    [ChangeBy(OperatorRoles.Administrator)]
    public async Task<IActionResult> OnPostSuspendAsync(bool suspended, CancellationToken cancellationToken)
    {
        var (_, error) = await admin.SetSuspendedAsync(ClientId, suspended, Origin, cancellationToken).ConfigureAwait(false);
        return await AfterChangeAsync(error, suspended ? "The partner is suspended." : "The partner is active again.", cancellationToken).ConfigureAwait(false);
    }

    [ChangeBy(OperatorRoles.Administrator)]
    public async Task<IActionResult> OnPostQuotaAsync(string? requestsPerMinute, CancellationToken cancellationToken)
    {
        int? perMinute = null;
        if (!string.IsNullOrWhiteSpace(requestsPerMinute))
        {
            if (!int.TryParse(requestsPerMinute, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var parsed))
            {
                return await AfterChangeAsync(AdminError.Invalid("The quota must be a whole number from 0 (unlimited), or empty for the default."), "", cancellationToken)
                    .ConfigureAwait(false);
            }

            perMinute = parsed;
        }

        var (_, error) = await admin.SetRateLimitAsync(ClientId, perMinute, Origin, cancellationToken).ConfigureAwait(false);
        return await AfterChangeAsync(error, "The quota is saved.", cancellationToken).ConfigureAwait(false);
    }

    [ChangeBy(OperatorRoles.Administrator)]
    public async Task<IActionResult> OnPostCallbackAsync(string? callbackUrl, CancellationToken cancellationToken)
    {
        var url = string.IsNullOrWhiteSpace(callbackUrl) ? null : callbackUrl.Trim();
        var (_, error) = await admin.SetCallbackAsync(ClientId, url, Origin, cancellationToken).ConfigureAwait(false);
        return await AfterChangeAsync(error, url is null ? "The callback URL is cleared." : "The callback URL is saved.", cancellationToken).ConfigureAwait(false);
    }

    // Success: back to the page (a reload sends nothing twice). Refusal: the page again, with the service's words.
    private async Task<IActionResult> AfterChangeAsync(AdminError? error, string notice, CancellationToken cancellationToken)
    {
        if (error is null)
        {
            Notice = notice;
            return RedirectToPage(new { clientId = ClientId });
        }

        Error = error.Detail;
        Response.StatusCode = error.Status;
        await LoadAsync(cancellationToken).ConfigureAwait(false);
        return Page();
    }

    private async Task LoadAsync(CancellationToken cancellationToken)
    {
        (Partner, _) = await admin.GetPartnerAsync(ClientId, cancellationToken).ConfigureAwait(false);
        var (list, _) = await admin.ListEntitlementsAsync(ClientId, cancellationToken).ConfigureAwait(false);
        Entitlements = list?.Entitlements ?? [];
        if (Partner is null)
        {
            Error ??= AdminError.PartnerNotFound(ClientId).Detail;
        }
    }
}
