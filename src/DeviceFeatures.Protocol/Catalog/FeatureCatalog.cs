using System.Collections.Frozen;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace DeviceFeatures.Protocol.Catalog;

/// <summary>
/// The device models and the features that can be switched on them, loaded from data: the embedded
/// catalog by default, or a file with the same shape.
/// </summary>
public sealed class FeatureCatalog
{
    private readonly FrozenDictionary<string, FeatureDefinition> _features;
    private readonly FrozenDictionary<int, DeviceModelInfo> _models;

    private FeatureCatalog(IReadOnlyList<DeviceModelInfo> models, IReadOnlyList<FeatureDefinition> features)
    {
        Models = models;
        Features = features;
        _models = models.ToFrozenDictionary(m => m.Id);
        _features = features.ToFrozenDictionary(f => f.Name, StringComparer.Ordinal);
    }

    /// <summary>Every known device model.</summary>
    public IReadOnlyList<DeviceModelInfo> Models { get; }

    /// <summary>Every feature, in catalog order.</summary>
    public IReadOnlyList<FeatureDefinition> Features { get; }

    /// <summary>The catalog shipped with this library.</summary>
    public static FeatureCatalog Default { get; } = LoadEmbedded();

    /// <summary>Finds a feature by its exact name.</summary>
    /// <returns><see langword="true"/> when the feature is in the catalog.</returns>
    public bool TryGetFeature(string name, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out FeatureDefinition? feature) =>
        _features.TryGetValue(name, out feature);

    /// <summary>Finds a model by its id.</summary>
    /// <returns><see langword="true"/> when the model is known.</returns>
    public bool TryGetModel(int id, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out DeviceModelInfo? model) =>
        _models.TryGetValue(id, out model);

    /// <summary>The features that exist on a model, in catalog order.</summary>
    /// <param name="modelId">The model id.</param>
    /// <returns>The compatible features; empty for a model with none.</returns>
    public IEnumerable<FeatureDefinition> FeaturesOf(int modelId) => Features.Where(f => f.Models.Contains(modelId));

    /// <summary>Reads a catalog from a JSON stream and checks it.</summary>
    /// <param name="json">A stream holding <c>{"models":[...],"features":[...]}</c>.</param>
    /// <returns>The catalog.</returns>
    /// <exception cref="InvalidDataException">The catalog is malformed or inconsistent; the message says where.</exception>
    public static FeatureCatalog Load(Stream json)
    {
        CatalogDocument? document;
        try
        {
            document = JsonSerializer.Deserialize(json, CatalogJsonContext.Default.CatalogDocument);
        }
        catch (JsonException ex)
        {
            throw new InvalidDataException($"The feature catalog is not valid JSON: {ex.Message}", ex);
        }

        if (document is null)
        {
            throw new InvalidDataException("The feature catalog is empty.");
        }

        var models = document.Models ?? [];
        var features = document.Features ?? [];
        var modelIds = new HashSet<int>();
        foreach (var model in models)
        {
            if (model.Id <= 0 || string.IsNullOrWhiteSpace(model.Name) || !modelIds.Add(model.Id))
            {
                throw new InvalidDataException($"The feature catalog has a model with a missing, duplicate or non-positive id, or no name (id {model.Id}).");
            }
        }

        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var feature in features)
        {
            if (string.IsNullOrWhiteSpace(feature.Name) || !names.Add(feature.Name))
            {
                throw new InvalidDataException($"The feature catalog has a feature with a missing or duplicate name ('{feature.Name}').");
            }

            if (feature.Models.Count == 0 || feature.Models.Any(id => !modelIds.Contains(id)))
            {
                throw new InvalidDataException($"Feature '{feature.Name}' names no model, or a model the catalog does not list.");
            }
        }

        var normalized = features
            .Select(f => f with { Markets = f.Markets.Select(m => m.ToUpperInvariant()).ToArray() })
            .ToArray();
        return new FeatureCatalog(models, normalized);
    }

    private static FeatureCatalog LoadEmbedded()
    {
        using var stream = typeof(FeatureCatalog).Assembly.GetManifestResourceStream("DeviceFeatures.Protocol.catalog.json")
            ?? throw new InvalidOperationException("The embedded feature catalog is missing from the assembly.");
        return Load(stream);
    }
}

/// <summary>A device model known to the catalog.</summary>
/// <param name="Id">The Withings model id, as sent in the <c>model</c> parameter.</param>
/// <param name="Name">The model's name, e.g. "Body Pro 2".</param>
/// <param name="Slug">A short lower-case name for command lines, e.g. <c>body-pro-2</c>, when it has one.</param>
public sealed record DeviceModelInfo(int Id, string Name, string? Slug = null)
{
    /// <summary>
    /// The kind of device as Withings names it in <c>user_device_mac_object.type</c>, e.g. "Scale" or "Blood Pressure
    /// Monitor"; null when the catalog does not say.
    /// </summary>
    public string? Type { get; init; }

    /// <summary>
    /// The model's name as Withings spells it in <c>user_device_mac_object.model</c> and <c>user_device_object.model</c>
    /// when that differs from <see cref="Name"/> (e.g. "Aura Sensor V2" for the Sleep Sensor, model 63); null when it
    /// is <see cref="Name"/>.
    /// </summary>
    public string? WithingsName { get; init; }
}

/// <summary>One switchable feature.</summary>
/// <param name="Name">The <c>feature_name</c>, e.g. <c>feature_eyes_closed_mode</c>.</param>
/// <param name="Description">What the feature does.</param>
/// <param name="Models">The ids of the models the feature exists on.</param>
/// <param name="DefaultOn">Whether the feature is active while no choice is recorded.</param>
/// <param name="Gated">Whether a partner needs an operator's grant before enabling it.</param>
/// <param name="Markets">The device markets the feature is available in (e.g. <c>EU</c>); empty for every market.</param>
/// <param name="Note">A remark for people, such as a prescription requirement.</param>
public sealed record FeatureDefinition(
    string Name,
    string Description,
    IReadOnlyList<int> Models,
    [property: JsonPropertyName("default_on")] bool DefaultOn,
    bool Gated = false,
    IReadOnlyList<string>? Markets = null,
    string? Note = null)
{
    /// <summary>The device markets the feature is available in; empty for every market.</summary>
    public IReadOnlyList<string> Markets { get; init; } = Markets ?? [];

    /// <summary>Whether the feature is available on a device sold in <paramref name="market"/>.</summary>
    /// <param name="market">A region code such as <c>EU</c> (case-insensitive).</param>
    /// <returns><see langword="true"/> when the feature has no market restriction or lists that market.</returns>
    public bool IsAvailableIn(string market) =>
        Markets.Count == 0 || Markets.Contains(market, StringComparer.OrdinalIgnoreCase);
}

internal sealed record CatalogDocument(IReadOnlyList<DeviceModelInfo>? Models, IReadOnlyList<FeatureDefinition>? Features);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, ReadCommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true)]
[JsonSerializable(typeof(CatalogDocument))]
internal sealed partial class CatalogJsonContext : JsonSerializerContext;
