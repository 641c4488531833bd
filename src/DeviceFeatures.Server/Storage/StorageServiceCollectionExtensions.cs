using DeviceFeatures.Server.Storage.Sqlite;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace DeviceFeatures.Server.Storage;

public static class StorageServiceCollectionExtensions
{
    public static IServiceCollection AddStorage(this IServiceCollection services)
    {
        services.AddOptions<StorageOptions>().BindConfiguration(StorageOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton<IFeatureStore>(sp => sp.GetRequiredService<IOptions<StorageOptions>>().Value.IsPostgres
            ? ActivatorUtilities.CreateInstance<PostgresFeatureStore>(sp)
            : ActivatorUtilities.CreateInstance<SqliteFeatureStore>(sp));

        // Idle on PostgreSQL; on SQLite it waits for the start-up migration before its first pass.
        services.AddHostedService<SqliteCheckpointer>();
        return services;
    }
}
