using DeviceFeatures.Client;
using DeviceFeatures.Client.Admin;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

// In the DI namespace, as the framework's own AddXxx methods are, so that it shows up where callers look.
namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the DeviceFeatures clients.</summary>
public static class DeviceFeaturesServiceCollectionExtensions
{
    /// <summary>
    /// Registers <see cref="DeviceFeaturesClient"/> (and <see cref="IDeviceFeaturesClient"/>) as a typed HTTP client.
    /// </summary>
    /// <param name="services">The service collection.</param>
    /// <param name="configure">Sets the endpoint, the credentials and, if wanted, the retry settings.</param>
    /// <returns>The HTTP client builder, to add handlers or configure the primary handler.</returns>
    /// <remarks>
    /// Do not add an HTTP-level retry handler: a signed request cannot be re-sent, since its nonce is single-use.
    /// The client retries whole operations with a fresh nonce instead.
    /// </remarks>
    public static IHttpClientBuilder AddDeviceFeaturesClient(this IServiceCollection services, Action<DeviceFeaturesClientOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configure);
        AddValidatedOptions(services, configure, static o => o.Validate());
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddTransient<IDeviceFeaturesClient>(sp => sp.GetRequiredService<DeviceFeaturesClient>());
        return services.AddHttpClient<DeviceFeaturesClient>((sp, http) =>
        {
            var options = sp.GetRequiredService<IOptions<DeviceFeaturesClientOptions>>().Value;
            http.BaseAddress = options.BaseAddress;

            // Each attempt has its own timeout in the client; the handler must not cut a retry short.
            http.Timeout = Timeout.InfiniteTimeSpan;
        });
    }

    /// <summary>Registers <see cref="DeviceFeaturesAdminClient"/> as a typed HTTP client.</summary>
    /// <param name="services">The service collection.</param>
    /// <param name="configure">Sets the server's base address and the admin key.</param>
    /// <returns>The HTTP client builder, to add handlers, configure the primary handler or change the timeout.</returns>
    public static IHttpClientBuilder AddDeviceFeaturesAdminClient(this IServiceCollection services, Action<DeviceFeaturesAdminClientOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configure);
        AddValidatedOptions(services, configure, static o => o.Validate());
        return services.AddHttpClient<DeviceFeaturesAdminClient>();
    }

    // Checked when first resolved; the exception names the setting that is wrong.
    private static void AddValidatedOptions<TOptions>(IServiceCollection services, Action<TOptions> configure, Action<TOptions> validate)
        where TOptions : class =>
        services.AddOptions<TOptions>().Configure(configure).Validate(o =>
        {
            validate(o);
            return true;
        });
}
