using Microsoft.AspNetCore.Mvc;

namespace DeviceFeatures.Server.OperatorConsole.Pages;

internal sealed class SignInModel(OperatorAccounts accounts) : ConsolePageModel
{
    [BindProperty]
    public string? Name { get; set; }

    [BindProperty]
    public string? Password { get; set; }

    [BindProperty(SupportsGet = true)]
    public string? ReturnUrl { get; set; }

    [NoChange]
    public async Task<IActionResult> OnPostAsync(CancellationToken cancellationToken)
    {
        var outcome = await accounts.SignInAsync(Name, Password, cancellationToken).ConfigureAwait(false);
        Password = null;
        if (outcome.Operator is not { } row)
        {
            Error = outcome.Refusal;
            Response.StatusCode = StatusCodes.Status200OK;
            return Page();
        }

        // A fresh session cookie replaces whatever cookie came with the form.
        await ConsoleComposition.SignInAsync(HttpContext, row).ConfigureAwait(false);
        return LocalRedirect(ReturnUrl is { } url && Url.IsLocalUrl(url) && url.StartsWith(ConsoleComposition.Prefix, StringComparison.Ordinal)
            ? url
            : ConsoleComposition.Prefix);
    }
}
