namespace DeviceFeatures.Server.Device;

internal static class DeviceEndpoints
{
    public static IServiceCollection AddDevice(this IServiceCollection services) =>
        services.AddSingleton<FeatureService>().AddSingleton<ProgrammeService>().AddSingleton<DeviceSyncReader>().AddSingleton<FeatureStatusHandler>();
}
