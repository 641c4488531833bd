using DeviceFeatures.Protocol.DeviceApi;
using DeviceFeatures.Server.Catalog;
using DeviceFeatures.Server.Device;
using DeviceFeatures.Server.Storage;

namespace DeviceFeatures.Server.DeviceApi;

/// <summary>A device's whole effective configuration and its version, as <c>GET /device/v1/configuration</c> answers it.</summary>
internal sealed class DeviceConfigurationService(IFeatureStore store, CatalogProvider catalog, TimeProvider time)
{
    /// <summary>
    /// Reads the version first and the configuration after it, so that what is answered is never older than its
    /// version: a change committed in between shows in the features and raises the version the next pull sees.
    /// </summary>
    public async Task<DeviceConfiguration> ReadAsync(string macAddress, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        var (configuration, expired) = await ReadOnceAsync(macAddress, now, cancellationToken).ConfigureAwait(false);
        if (!expired)
        {
            return configuration;
        }

        // A termination completes when its date passes, without any write: the first pull after it raises the version
        // (once: the change's time is then after the termination's).
        await store.WriteAsync(async s =>
        {
            await s.DeviceConfigurationChangedAsync(macAddress, now).ConfigureAwait(false);
            return 0;
        }, cancellationToken).ConfigureAwait(false);
        return (await ReadOnceAsync(macAddress, now, cancellationToken).ConfigureAwait(false)).Configuration;
    }

    private Task<(DeviceConfiguration Configuration, bool TerminationUncounted)> ReadOnceAsync(string macAddress, long now, CancellationToken cancellationToken) =>
        store.ReadAsync(async s =>
        {
            var sync = await s.FindDeviceSyncAsync(macAddress).ConfigureAwait(false);
            var device = await s.FindInventoryDeviceAsync(macAddress).ConfigureAwait(false)
                ?? throw new InvalidOperationException($"The device {macAddress} left the inventory while it was being answered.");
            var (programme, effective) = await EffectiveConfiguration.OfDeviceAsync(s, catalog.Current, device, now).ConfigureAwait(false);
            var features = effective.Select(f => new DeviceFeatureSetting(f.FeatureName, f.Active)).ToArray();
            var uncounted = programme.IsTerminated && programme.TerminatesAtMs is { } at && (sync is null || sync.ChangedAt < at);
            return (new DeviceConfiguration(macAddress, device.Model, sync?.Version ?? 0, features), uncounted);
        }, cancellationToken);
}
