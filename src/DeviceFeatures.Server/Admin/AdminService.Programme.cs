using System.Globalization;
using DeviceFeatures.Protocol.Admin;
using DeviceFeatures.Protocol.Catalog;
using DeviceFeatures.Server.Audit;
using DeviceFeatures.Server.Device;
using DeviceFeatures.Server.Partners;

namespace DeviceFeatures.Server.Admin;

/// <summary>
/// Programme-level choices: a partner's choice for a feature on every device of a model, which a user's own choice
/// overrides. The catalog and grant rules are those of <c>enablefeature</c>; the market rule applies per device, in
/// the effective view, since one model's devices may be in several markets.
/// </summary>
internal sealed partial class AdminService
{
    public async Task<(ProgrammeChoice? Choice, AdminError? Error)> SetProgrammeChoiceAsync(
        string clientId, string model, string featureName, bool? active, AuditOrigin origin, CancellationToken cancellationToken)
    {
        var (modelId, feature, invalid) = CheckProgrammeFeature(model, featureName);
        if (invalid is not null)
        {
            return (null, invalid);
        }

        if (active is not { } on)
        {
            return (null, AdminError.Invalid("The body must be {\"active\": true} or {\"active\": false}; DELETE clears the choice."));
        }

        var now = Now();
        return await store.WriteAsync<(ProgrammeChoice?, AdminError?)>(async s =>
        {
            if (!await s.LockProgrammeAsync(clientId))
            {
                return (null, AdminError.PartnerNotFound(clientId));
            }

            // As on the wire: turning a gated feature off needs no grant, turning it on does.
            if (on && feature!.Gated && !await s.HasEntitlementAsync(clientId, feature.Name))
            {
                return (null, new AdminError(StatusCodes.Status403Forbidden, AdminProblemCodes.FeatureNotGranted,
                    $"{feature.Name} is gated and partner {clientId} has no grant for it; grant it first (PUT /admin/api/partners/{clientId}/entitlements/{feature.Name})."));
            }

            var previous = await s.FindProgrammeChoiceAsync(clientId, modelId, feature!.Name);
            if (previous != on)
            {
                await s.SetProgrammeChoiceAsync(clientId, modelId, feature.Name, on, now);
                await s.PartnerConfigurationChangedAsync(clientId, modelId, now);
                await s.AppendAuditAsync(Event(AuditKinds.ProgrammeChoiceSet, clientId, origin, now, model: modelId, featureName: feature.Name,
                    oldValue: previous, newValue: on,
                    detail: previous is null ? $"first programme choice; catalog default was {(feature.DefaultOn ? "on" : "off")}" : null));
            }

            var row = (await s.ListProgrammeChoicesAsync(clientId, modelId)).First(c => c.FeatureName == feature.Name);
            return (ToResponse(clientId, row), null);
        }, cancellationToken);
    }

    public async Task<AdminError?> ClearProgrammeChoiceAsync(
        string clientId, string model, string featureName, AuditOrigin origin, CancellationToken cancellationToken)
    {
        var (modelId, feature, invalid) = CheckProgrammeFeature(model, featureName);
        if (invalid is not null)
        {
            return invalid;
        }

        var now = Now();
        return await store.WriteAsync(async s =>
        {
            if (!await s.LockProgrammeAsync(clientId))
            {
                return AdminError.PartnerNotFound(clientId);
            }

            var previous = await s.FindProgrammeChoiceAsync(clientId, modelId, feature!.Name);
            if (previous is not null && await s.DeleteProgrammeChoiceAsync(clientId, modelId, feature.Name) == 1)
            {
                await s.AppendAuditAsync(Event(AuditKinds.ProgrammeChoiceCleared, clientId, origin, now, model: modelId, featureName: feature.Name,
                    oldValue: previous, detail: $"back to the catalog default ({(feature.DefaultOn ? "on" : "off")}) where no user chose"));
                await s.PartnerConfigurationChangedAsync(clientId, modelId, now);
            }

            return null;
        }, cancellationToken);
    }

    public async Task<(ProgrammeChoiceList? List, AdminError? Error)> ListProgrammeChoicesAsync(string clientId, CancellationToken cancellationToken)
    {
        var (partner, rows) = await store.ReadAsync(async s => (await s.FindPartnerAsync(clientId), await s.ListProgrammeChoicesAsync(clientId, null)), cancellationToken);
        return partner is null
            ? (null, AdminError.PartnerNotFound(clientId))
            : (new ProgrammeChoiceList(clientId, rows.Select(r => ToResponse(clientId, r)).ToArray()), null);
    }

    /// <summary>The catalog's rules for a programme choice: a known feature, a known model, the feature on that model.</summary>
    private (int Model, FeatureDefinition? Feature, AdminError? Error) CheckProgrammeFeature(string model, string featureName)
    {
        var current = catalog.Current;
        if (!current.TryGetFeature(featureName, out var feature))
        {
            return (0, null, AdminError.FeatureNotFound(featureName));
        }

        if (!int.TryParse(model, NumberStyles.None, CultureInfo.InvariantCulture, out var modelId))
        {
            return (0, null, AdminError.Invalid($"The model must be a model id, a whole number, not '{model}'."));
        }

        if (!current.TryGetModel(modelId, out var modelInfo))
        {
            return (0, null, new AdminError(StatusCodes.Status404NotFound, AdminProblemCodes.ModelNotFound, $"The catalog has no model {modelId}."));
        }

        if (!feature.Models.Contains(modelId))
        {
            var compatible = string.Join(", ", feature.Models.Select(id => $"{ModelName(id)} (model {id})"));
            return (0, null, new AdminError(StatusCodes.Status400BadRequest, AdminProblemCodes.IncompatibleModel,
                $"{feature.Name} is not available on model {modelId} ({modelInfo.Name}); it exists on {compatible}."));
        }

        return (modelId, feature, null);
    }

    private ProgrammeChoice ToResponse(string clientId, ProgrammeChoiceRow row) =>
        new(clientId, row.Model, ModelName(row.Model), row.FeatureName, row.Active, At(row.UpdatedAt));
}
