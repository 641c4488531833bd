using DeviceFeatures.Protocol.Admin;
using DeviceFeatures.Server.Admin;
using Microsoft.AspNetCore.Mvc;

namespace DeviceFeatures.Server.OperatorConsole.Pages.Partners;

internal sealed class PartnersModel(AdminService admin) : ConsolePageModel
{
    public IReadOnlyList<Partner> Partners { get; private set; } = [];

    /// <summary>The partner just created, with its secret: on this answer only, never in a redirect or a cookie.</summary>
    public CreatedPartner? Created { get; private set; }

    [BindProperty]
    public string? NewName { get; set; }

    public async Task OnGetAsync(CancellationToken cancellationToken) =>
        Partners = await admin.ListPartnersAsync(cancellationToken).ConfigureAwait(false);

    [ChangeBy(OperatorRoles.Administrator)]
    public async Task<IActionResult> OnPostCreateAsync(CancellationToken cancellationToken)
    {
        (Created, var error) = await admin.CreatePartnerAsync(NewName, Origin, cancellationToken).ConfigureAwait(false);
        Error = error?.Detail;
        Partners = await admin.ListPartnersAsync(cancellationToken).ConfigureAwait(false);
        return Page();
    }
}
