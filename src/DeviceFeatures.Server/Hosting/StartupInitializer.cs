using System.Security.Cryptography;
using DeviceFeatures.Server.Admin;
using DeviceFeatures.Server.Catalog;
using DeviceFeatures.Server.Demo;
using DeviceFeatures.Server.Secrets;
using DeviceFeatures.Server.Signature;
using DeviceFeatures.Server.Storage;

namespace DeviceFeatures.Server.Hosting;

/// <summary>
/// Runs before the server accepts requests: loads the catalog, migrates the database, loads the shared nonce key and
/// the admin key, and seeds the demo data when asked to.
/// </summary>
internal sealed class StartupInitializer(
    IFeatureStore store,
    CatalogProvider catalog,
    NonceService nonces,
    AdminKeys adminKeys,
    SecretProtector secrets,
    DemoSeeder demo,
    TimeProvider time) : IHostedService
{
    public const string NonceKeyName = "nonce";

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        _ = catalog.Current;
        await store.MigrateAsync(cancellationToken);

        var candidate = RandomNumberGenerator.GetBytes(32);
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        nonces.UseKey(await store.WriteAsync(s => s.GetOrAddServerKeyAsync(NonceKeyName, candidate, now), cancellationToken));

        await secrets.InitializeAsync(store, cancellationToken);
        await adminKeys.InitializeAsync(store, cancellationToken);
        await demo.SeedAsync(cancellationToken);
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
