using System.Globalization;
using DeviceFeatures.Protocol.Catalog;
using DeviceFeatures.Protocol.Parameters;
using DeviceFeatures.Server.Wire;

namespace DeviceFeatures.Server.Device;

/// <summary>The business parameters of a device call, checked against the catalog before any database work.</summary>
internal readonly record struct FeatureRequest(int UserId, int Model, DeviceModelInfo? ModelInfo, FeatureDefinition? Feature)
{
    public const int MaxFeatureNameLength = 64;

    /// <summary>Reads <c>userid</c>, <c>model</c> and (when <paramref name="needsFeature"/>) <c>feature_name</c>.</summary>
    public static (FeatureRequest Request, WireResult? Refusal) Read(WireParameters parameters, FeatureCatalog catalog, bool needsFeature)
    {
        if (!TryReadInt(parameters, WireParameterNames.UserId, out var userId, out var refusal))
        {
            return (default, refusal);
        }

        if (userId <= 0)
        {
            return (default, Refusals.InvalidParameter(WireParameterNames.UserId, "must be a whole number between 1 and 2147483647"));
        }

        if (!TryReadInt(parameters, WireParameterNames.Model, out var model, out refusal))
        {
            return (default, refusal);
        }

        FeatureDefinition? feature = null;
        if (needsFeature)
        {
            if (!parameters.TryGet(WireParameterNames.FeatureName, out var featureName) || featureName.Length == 0)
            {
                return (default, Refusals.MissingParameter(WireParameterNames.FeatureName));
            }

            if (featureName.Length > MaxFeatureNameLength)
            {
                return (default, Refusals.InvalidParameter(WireParameterNames.FeatureName, $"is longer than {MaxFeatureNameLength} characters"));
            }

            if (!catalog.TryGetFeature(featureName, out feature))
            {
                return (default, Refusals.UnknownFeature(featureName));
            }
        }

        if (!catalog.TryGetModel(model, out var modelInfo))
        {
            return (default, Refusals.UnknownModel(model));
        }

        if (feature is not null && !feature.Models.Contains(model))
        {
            var compatible = string.Join(", ", feature.Models.Select(id =>
                catalog.TryGetModel(id, out var m) ? $"{m.Name} (model {id})" : $"model {id}"));
            return (default, Refusals.IncompatibleModel(feature.Name, model, modelInfo.Name, compatible));
        }

        return (new FeatureRequest(userId, model, modelInfo, feature), null);
    }

    private static bool TryReadInt(WireParameters parameters, string name, out int value, out WireResult? refusal)
    {
        value = 0;
        if (!parameters.TryGet(name, out var text) || text.Length == 0)
        {
            refusal = Refusals.MissingParameter(name);
            return false;
        }

        if (!int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out value))
        {
            refusal = Refusals.InvalidParameter(name, "must be a whole number between -2147483648 and 2147483647");
            return false;
        }

        refusal = null;
        return true;
    }
}
