using DeviceFeatures.Protocol.Admin;
using DeviceFeatures.Protocol.Catalog;
using DeviceFeatures.Server.Partners;
using DeviceFeatures.Server.Storage;

namespace DeviceFeatures.Server.Device;

/// <summary>
/// What a device's effective state is made of: its user's choices, its partner's programme choices and grants. The
/// choices are keyed by model and feature; a device not linked to a user has none.
/// </summary>
internal sealed record ConfigurationInputs(
    IReadOnlyDictionary<(int Model, string FeatureName), ChoiceRow> Choices,
    IReadOnlyDictionary<(int Model, string FeatureName), bool> ProgrammeChoices,
    IReadOnlySet<string> Granted)
{
    /// <summary>Reads the inputs of one user (null: no user) and partner (null: none) in the session's transaction.</summary>
    public static async Task<ConfigurationInputs> ReadAsync(StoreSession s, int? userId, string? clientId, int? model)
    {
        var choices = userId is { } user
            ? (await s.ListChoicesAsync(user, model).ConfigureAwait(false)).ToDictionary(c => (c.Model, c.FeatureName))
            : [];
        var programmeChoices = clientId is null
            ? []
            : (await s.ListProgrammeChoicesAsync(clientId, model).ConfigureAwait(false)).ToDictionary(c => (c.Model, c.FeatureName), c => c.Active);
        var granted = clientId is null
            ? []
            : (await s.ListEntitlementsAsync(clientId).ConfigureAwait(false)).Select(g => g.FeatureName).ToHashSet(StringComparer.Ordinal);
        return new ConfigurationInputs(choices, programmeChoices, granted);
    }
}

/// <summary>
/// The one computation of the state a device runs with, shared by the admin API's views and the device's own pull:
/// the catalog default, overlaid by the partner's programme choice for the model, then by the user's own choice; then
/// the market and grant rules (a feature outside its market, or gated without a grant, is off whatever was chosen). A
/// terminated device runs the defaults whatever was chosen.
/// </summary>
internal static class EffectiveConfiguration
{
    public static EffectiveFeature[] Of(FeatureCatalog catalog, int model, string market, DeviceProgramme programme, ConfigurationInputs inputs) =>
        catalog.FeaturesOf(model).Select(feature =>
        {
            bool? choice = inputs.Choices.TryGetValue((model, feature.Name), out var c) ? c.Active : null;
            bool? partnerChoice = inputs.ProgrammeChoices.TryGetValue((model, feature.Name), out var p) ? p : null;
            var restriction = !feature.IsAvailableIn(market)
                ? $"available on {string.Join("/", feature.Markets)} devices only"
                : feature.Gated && !inputs.Granted.Contains(feature.Name) ? "gated feature not granted to the partner" : null;
            var (value, source) = programme.IsTerminated ? (feature.DefaultOn, FeatureSources.Terminated)
                : choice is { } own ? (own, FeatureSources.Choice)
                : partnerChoice is { } chosen ? (chosen, FeatureSources.Programme)
                : (feature.DefaultOn, FeatureSources.Default);
            return new EffectiveFeature(feature.Name, restriction is null && value, source, choice, feature.DefaultOn, restriction, partnerChoice);
        }).ToArray();

    /// <summary>
    /// What an inventory device must run now, read in the session's transaction: its user's choices and its partner's
    /// (the linked user's partner, else the one it is assigned to) programme choices and grants.
    /// </summary>
    public static async Task<(DeviceProgramme Programme, EffectiveFeature[] Features)> OfDeviceAsync(
        StoreSession s, FeatureCatalog catalog, InventoryRow device, long nowMs)
    {
        var clientId = await s.FindLinkedPartnerAsync(device.MacAddress).ConfigureAwait(false) ?? device.ClientId;
        var inputs = await ConfigurationInputs.ReadAsync(s, device.UserId, clientId, device.Model).ConfigureAwait(false);
        var programme = device.ProgrammeAt(nowMs);
        return (programme, Of(catalog, device.Model, device.Market, programme, inputs));
    }
}
