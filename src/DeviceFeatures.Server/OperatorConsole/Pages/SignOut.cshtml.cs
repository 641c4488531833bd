using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Mvc;

namespace DeviceFeatures.Server.OperatorConsole.Pages;

internal sealed class SignOutModel : ConsolePageModel
{
    [NoChange]
    public async Task<IActionResult> OnPostAsync()
    {
        await HttpContext.SignOutAsync(ConsolePolicies.Scheme).ConfigureAwait(false);
        Notice = "You are signed out.";
        return Redirect(ConsoleComposition.SignInPath);
    }
}
