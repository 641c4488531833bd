using System.Globalization;
using DeviceFeatures.Protocol.Admin;
using DeviceFeatures.Protocol.Catalog;
using DeviceFeatures.Server.Admin;
using DeviceFeatures.Server.Catalog;
using Microsoft.AspNetCore.Mvc;

namespace DeviceFeatures.Server.OperatorConsole.Pages.Partners;

/// <summary>
/// A partner's programme choices, one row per model and feature of the catalog: read by everyone, set or cleared by
/// customer success and administrators through the admin API's service (same validation, same audit events).
/// </summary>
internal sealed class PartnerProgrammeModel(AdminService admin, CatalogProvider catalog) : ConsolePageModel
{
    [BindProperty(SupportsGet = true)]
    public string ClientId { get; set; } = "";

    public Partner? Partner { get; private set; }

    public IReadOnlyList<ProgrammeChoice> Choices { get; private set; } = [];

    public HashSet<string> Granted { get; } = new(StringComparer.Ordinal);

    /// <summary>Every model of the catalog with each feature it has, by model then feature.</summary>
    public IEnumerable<(DeviceModelInfo Model, FeatureDefinition Feature)> Rows =>
        catalog.Current.Models.SelectMany(m => catalog.Current.FeaturesOf(m.Id).Select(f => (m, f)));

    public ProgrammeChoice? Choice(int model, string feature) => Choices.FirstOrDefault(c => c.Model == model && c.FeatureName == feature);

    public async Task<IActionResult> OnGetAsync(CancellationToken cancellationToken)
    {
        await LoadAsync(cancellationToken).ConfigureAwait(false);
        if (Partner is null)
        {
            Response.StatusCode = StatusCodes.Status404NotFound;
        }

        return Page();
    }

    [ChangeBy(OperatorRoles.Administrator, OperatorRoles.CustomerSuccess)]
    public async Task<IActionResult> OnPostSetAsync(int model, string? feature, string? value, CancellationToken cancellationToken)
    {
        var modelText = model.ToString(CultureInfo.InvariantCulture);
        feature ??= "";
        AdminError? error;
        string notice;
        switch (value)
        {
            case "on" or "off":
                (_, error) = await admin.SetProgrammeChoiceAsync(ClientId, modelText, feature, value == "on", Origin, cancellationToken).ConfigureAwait(false);
                notice = $"{feature} is {value} for every {ModelName(model)} of this partner, unless a user chose otherwise.";
                break;
            case "default":
                error = await admin.ClearProgrammeChoiceAsync(ClientId, modelText, feature, Origin, cancellationToken).ConfigureAwait(false);
                notice = $"The choice for {feature} on {ModelName(model)} is cleared: the catalog default applies where no user chose.";
                break;
            default:
                error = AdminError.Invalid("Choose on, off or no choice.");
                notice = "";
                break;
        }

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

    private string ModelName(int model) => catalog.Current.TryGetModel(model, out var info) ? info.Name : $"model {model}";

    private async Task LoadAsync(CancellationToken cancellationToken)
    {
        (Partner, _) = await admin.GetPartnerAsync(ClientId, cancellationToken).ConfigureAwait(false);
        if (Partner is null)
        {
            Error ??= AdminError.PartnerNotFound(ClientId).Detail;
            return;
        }

        var (list, _) = await admin.ListProgrammeChoicesAsync(ClientId, cancellationToken).ConfigureAwait(false);
        Choices = list?.Choices ?? [];
        var (grants, _) = await admin.ListEntitlementsAsync(ClientId, cancellationToken).ConfigureAwait(false);
        Granted.UnionWith((grants?.Entitlements ?? []).Select(e => e.FeatureName));
    }
}
