using DeviceFeatures.Protocol.Catalog;
using DeviceFeatures.Server.Hosting;
using Microsoft.Extensions.Options;

namespace DeviceFeatures.Server.Catalog;

/// <summary>Section <c>Catalog</c>: <c>Path</c> names a JSON file that replaces the embedded catalog.</summary>
internal sealed class CatalogOptions
{
    public const string SectionName = "Catalog";

    public string? Path { get; set; }
}

/// <summary>The feature catalog in force, loaded once at start.</summary>
internal sealed class CatalogProvider(IOptions<CatalogOptions> options)
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
        catch (InvalidDataException ex)
        {
            throw new InvalidDataException($"Catalog:Path '{path}' is not a valid catalog: {ex.Message}", ex);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new InvalidDataException($"Catalog:Path '{path}' cannot be read: {ex.Message}", ex);
        }
    }
}

internal static class CatalogServiceCollectionExtensions
{
    public static IServiceCollection AddCatalog(this IServiceCollection services)
    {
        services.AddOptions<CatalogOptions>().BindConfiguration(CatalogOptions.SectionName);
        services.AddSingleton<CatalogProvider>();
        services.AddStartupStep<CatalogStep>();
        return services;
    }
}

/// <summary>Loads the catalog at start, so that a file that cannot be read stops the start rather than a request.</summary>
internal sealed class CatalogStep(CatalogProvider catalog) : IStartupStep
{
    public Task RunAsync(CancellationToken cancellationToken)
    {
        try
        {
            _ = catalog.Current;
        }
        catch (InvalidDataException ex)
        {
            throw new StartupFailureException(ex.Message, StartupExitCodes.Configuration, ex);
        }

        return Task.CompletedTask;
    }
}
