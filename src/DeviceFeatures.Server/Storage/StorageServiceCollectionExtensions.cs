using DeviceFeatures.Server.Hosting;
using DeviceFeatures.Server.Storage.Sqlite;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace DeviceFeatures.Server.Storage;

internal static class StorageServiceCollectionExtensions
{
    public static IServiceCollection AddStorage(this IServiceCollection services)
    {
        services.AddOptions<StorageOptions>().BindConfiguration(StorageOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton<Device.DeviceSignals>();
        services.AddSingleton<IFeatureStore>(sp => sp.GetRequiredService<IOptions<StorageOptions>>().Value.IsPostgres
            ? ActivatorUtilities.CreateInstance<PostgresFeatureStore>(sp)
            : ActivatorUtilities.CreateInstance<SqliteFeatureStore>(sp));
        services.AddStartupStep<MigrationStep>();

        // Idle on PostgreSQL; on SQLite it waits for the start-up migration before its first pass.
        services.AddHostedService<SqliteCheckpointer>();
        return services;
    }
}

/// <summary>Brings the database to the current schema before anything reads it.</summary>
internal sealed class MigrationStep(IFeatureStore store, IOptions<StorageOptions> options) : IStartupStep
{
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        try
        {
            await store.MigrateAsync(cancellationToken);
        }
        catch (Exception ex) when (store.IsUnavailable(ex))
        {
            throw new StartupFailureException(
                $"The {options.Value.Provider} database of Storage:ConnectionString does not answer ({ex.Message.TrimEnd('.')}): start it, or correct Storage:ConnectionString.",
                StartupExitCodes.Unavailable,
                ex);
        }
    }
}
