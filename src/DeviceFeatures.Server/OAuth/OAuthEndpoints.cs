namespace DeviceFeatures.Server.OAuth;

internal static class OAuthEndpoints
{
    /// <summary>
    /// The token endpoint's handler, the authentication of client-secret and bearer actions, and the janitor of expired
    /// codes and tokens.
    /// </summary>
    public static IServiceCollection AddOAuth(this IServiceCollection services)
    {
        services.AddSingleton<OAuthAuthenticator>().AddSingleton<TokenService>();
        services.AddHostedService<OAuthJanitor>();
        return services;
    }
}
