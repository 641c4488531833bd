using DeviceFeatures.Server.Observability;
using DeviceFeatures.Server.Hosting;
using DeviceFeatures.Server.Partners;
using DeviceFeatures.Server.Wire;

namespace DeviceFeatures.Server.Signature;

internal static class SignatureEndpoints
{
    public static IServiceCollection AddSignature(this IServiceCollection services)
    {
        services.AddOptions<SignatureOptions>().BindConfiguration(SignatureOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<StartupValue<NonceKey>>();
        services.AddStartupStep<NonceKeyStep>();
        services.AddSingleton<NonceService>();
        services.AddSingleton<NonceRequestLedger>();
        services.AddSingleton<SignedRequestAuthenticator>();
        services.AddSingleton<GetNonceHandler>();
        services.AddHostedService<NonceJanitor>();
        return services;
    }
}

/// <summary>
/// <c>getnonce</c>: the pipeline has authenticated the partner and counted the signed request; issuing a nonce writes nothing, since a
/// nonce authenticates itself.
/// </summary>
internal sealed class GetNonceHandler(NonceService nonces, ServerMetrics metrics) : ITimestampSignedHandler
{
    public WireResult Handle(PartnerCredentials partner)
    {
        var nonce = nonces.Issue(partner.ClientId);
        metrics.NonceIssued();
        return WireResult.Ok(w => w.WriteString("nonce"u8, nonce));
    }
}
