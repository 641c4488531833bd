using DeviceFeatures.Server.Admin;
using Microsoft.AspNetCore.Mvc;

namespace DeviceFeatures.Server.OperatorConsole.Pages;

/// <summary>One operator, for administrators only (the page's policy): the admin API's changes, as forms.</summary>
internal sealed class OperatorDetailModel(OperatorAccounts accounts, TimeProvider time) : ConsolePageModel
{
    /// <summary>
    /// The operator the address names, from the route only: a form field <c>Name</c> must not turn a change of the
    /// operator on the page into a change of another one.
    /// </summary>
    public string Name => RouteData.Values["name"] as string ?? "";

    public Protocol.Admin.OperatorAccount? Account { get; private set; }

    /// <summary>The password a reset just generated: on this answer only.</summary>
    public string? NewPassword { get; private set; }

    public bool IsLocked => Account?.LockedUntil is { } until && until > time.GetUtcNow();

    public string State => Account is null ? "" : Account.Disabled ? $"disabled since {Time(Account.DisabledAt)}"
        : IsLocked ? $"locked until {Time(Account.LockedUntil)}" : "active";

    public async Task<IActionResult> OnGetAsync(CancellationToken cancellationToken)
    {
        await LoadAsync(cancellationToken).ConfigureAwait(false);
        if (Account is null)
        {
            Response.StatusCode = StatusCodes.Status404NotFound;
        }

        return Page();
    }

    [ChangeBy(OperatorRoles.Administrator)]
    public async Task<IActionResult> OnPostRoleAsync(string? role, CancellationToken cancellationToken)
    {
        var (_, error) = await accounts.UpdateAsync(Name, role, null, Origin, cancellationToken).ConfigureAwait(false);
        return await AfterChangeAsync(error, $"{Name} is now {OperatorRoles.Label(role ?? "")}.", cancellationToken).ConfigureAwait(false);
    }

    [ChangeBy(OperatorRoles.Administrator)]
    public async Task<IActionResult> OnPostDisabledAsync(bool? disabled, CancellationToken cancellationToken)
    {
        // Required: a form without the value (or with another word) must not enable the operator as 'false' would.
        if (disabled is not { } value)
        {
            return await AfterChangeAsync(AdminError.Invalid("Send 'disabled' as true or false."), "", cancellationToken).ConfigureAwait(false);
        }

        var (_, error) = await accounts.UpdateAsync(Name, null, value, Origin, cancellationToken).ConfigureAwait(false);
        return await AfterChangeAsync(error, value ? $"{Name} is disabled; their sessions have ended." : $"{Name} is enabled again.", cancellationToken)
            .ConfigureAwait(false);
    }

    [ChangeBy(OperatorRoles.Administrator)]
    public async Task<IActionResult> OnPostUnlockAsync(CancellationToken cancellationToken)
    {
        var (_, error) = await accounts.UnlockAsync(Name, Origin, cancellationToken).ConfigureAwait(false);
        return await AfterChangeAsync(error, $"{Name} is unlocked.", cancellationToken).ConfigureAwait(false);
    }

    [ChangeBy(OperatorRoles.Administrator)]
    public async Task<IActionResult> OnPostResetAsync(CancellationToken cancellationToken)
    {
        // Shown on this answer, not after a redirect: the password must not travel in a cookie.
        var (reset, error) = await accounts.ResetPasswordAsync(Name, null, Origin, cancellationToken).ConfigureAwait(false);
        if (error is not null)
        {
            return await AfterChangeAsync(error, "", cancellationToken).ConfigureAwait(false);
        }

        NewPassword = reset!.Password;
        await LoadAsync(cancellationToken).ConfigureAwait(false);
        return Page();
    }

    [ChangeBy(OperatorRoles.Administrator)]
    public async Task<IActionResult> OnPostDeleteAsync(CancellationToken cancellationToken)
    {
        if (await accounts.DeleteAsync(Name, Origin, cancellationToken).ConfigureAwait(false) is { } error)
        {
            return await AfterChangeAsync(error, "", cancellationToken).ConfigureAwait(false);
        }

        Notice = $"{Name} is deleted.";
        return RedirectToPage("/Operators");
    }

    // Success: back to the page (a reload sends nothing twice). Refusal: the page again, with the service's words.
    private async Task<IActionResult> AfterChangeAsync(AdminError? error, string notice, CancellationToken cancellationToken)
    {
        if (error is null)
        {
            Notice = notice;
            return RedirectToPage(new { name = Name });
        }

        Error = error.Detail;
        Response.StatusCode = error.Status;
        await LoadAsync(cancellationToken).ConfigureAwait(false);
        return Page();
    }

    private async Task LoadAsync(CancellationToken cancellationToken)
    {
        var (row, error) = await accounts.GetAsync(Name, cancellationToken).ConfigureAwait(false);
        Account = row is null ? null : OperatorAccounts.ToResponse(row);
        Error ??= error?.Detail;
    }
}
