namespace DeviceFeatures.Server.OAuth;

internal static class OAuthEndpoints
{
    /// <summary>The token endpoint's handler and the authentication of client-secret and bearer actions.</summary>
    public static IServiceCollection AddOAuth(this IServiceCollection services) =>
        services.AddSingleton<OAuthAuthenticator>().AddSingleton<TokenService>();
}
