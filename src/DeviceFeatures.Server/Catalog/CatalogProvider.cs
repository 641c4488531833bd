using DeviceFeatures.Protocol.Catalog;
using Microsoft.Extensions.Options;

namespace DeviceFeatures.Server.Catalog;

/// <summary>Section <c>Catalog</c>: <c>Path</c> names a JSON file that replaces the embedded catalog.</summary>
public sealed class CatalogOptions
{
    public const string SectionName = "Catalog";

    public string? Path { get; set; }
}

/// <summary>The feature catalog in force, loaded once at start.</summary>
public sealed class CatalogProvider(IOptions<CatalogOptions> options)
{
    private readonly Lazy<FeatureCatalog> _catalog = new(() => Load(options.Value.Path));

    public FeatureCatalog Current => _catalog.Value;

    private static FeatureCatalog Load(string? path)
    {
        if (string.IsNullOrWhiteSpace(path))
        {
            return FeatureCatalog.Default;
        }

        try
        {
            using var stream = File.OpenRead(path);
            return FeatureCatalog.Load(stream);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new InvalidDataException($"Catalog:Path '{path}' cannot be read: {ex.Message}", ex);
        }
    }
}

public static class CatalogServiceCollectionExtensions
{
    public static IServiceCollection AddCatalog(this IServiceCollection services)
    {
        services.AddOptions<CatalogOptions>().BindConfiguration(CatalogOptions.SectionName);
        services.AddSingleton<CatalogProvider>();
        return services;
    }
}
