using DeviceFeatures.Protocol.Admin;
using Microsoft.AspNetCore.Mvc;

namespace DeviceFeatures.Server.OperatorConsole.Pages;

/// <summary>The operators, for administrators only (the page's policy); creating one generates its password.</summary>
internal sealed class OperatorsModel(OperatorAccounts accounts, TimeProvider time) : ConsolePageModel
{
    public IReadOnlyList<OperatorRow> Operators { get; private set; } = [];

    public CreatedOperator? Created { get; private set; }

    [BindProperty]
    public string? NewName { get; set; }

    [BindProperty]
    public string? NewRole { get; set; }

    public long NowMs => time.GetUtcNow().ToUnixTimeMilliseconds();

    public async Task OnGetAsync(CancellationToken cancellationToken) =>
        Operators = await accounts.ListAsync(cancellationToken).ConfigureAwait(false);

    [ChangeBy(OperatorRoles.Administrator)]
    public async Task<IActionResult> OnPostCreateAsync(CancellationToken cancellationToken)
    {
        (Created, var error) = await accounts.CreateAsync(NewName, NewRole, null, Origin, cancellationToken).ConfigureAwait(false);
        Error = error?.Detail;
        Operators = await accounts.ListAsync(cancellationToken).ConfigureAwait(false);
        return Page();
    }
}
