using Microsoft.Extensions.DependencyInjection.Extensions;

namespace DeviceFeatures.Server.Storage;

public static class StorageServiceCollectionExtensions
{
    public static IServiceCollection AddStorage(this IServiceCollection services)
    {
        services.AddOptions<StorageOptions>().BindConfiguration(StorageOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton<IFeatureStore, SqliteFeatureStore>();
        return services;
    }
}
