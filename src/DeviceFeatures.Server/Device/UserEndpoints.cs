namespace DeviceFeatures.Server.Device;

internal static class UserEndpoints
{
    /// <summary>The handlers of <c>/v2/user</c>: activate, get and getdevice.</summary>
    public static IServiceCollection AddUsers(this IServiceCollection services) =>
        services.AddSingleton<UserService>();
}
