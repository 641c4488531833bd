using System.Globalization;
using DeviceFeatures.Protocol.Parameters;
using DeviceFeatures.Server.Observability;
using DeviceFeatures.Server.Hosting;
using DeviceFeatures.Server.Partners;
using DeviceFeatures.Server.RateLimiting;
using DeviceFeatures.Server.Wire;
using Microsoft.Extensions.Options;

namespace DeviceFeatures.Server.Signature;

internal static class SignatureEndpoints
{
    public static IServiceCollection AddSignature(this IServiceCollection services)
    {
        services.AddOptions<SignatureOptions>().BindConfiguration(SignatureOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<StartupValue<NonceKey>>();
        services.AddStartupStep<NonceKeyStep>();
        services.AddSingleton<NonceService>();
        services.AddSingleton<SignedRequestAuthenticator>();
        services.AddSingleton<GetNonceHandler>();
        services.AddHostedService<NonceJanitor>();
        return services;
    }

    public static IEndpointRouteBuilder MapSignatureEndpoints(this IEndpointRouteBuilder app)
    {
        // A plain request delegate over services taken once: nothing is bound or resolved per request.
        var handler = app.ServiceProvider.GetRequiredService<GetNonceHandler>();
        var metrics = app.ServiceProvider.GetRequiredService<ServerMetrics>();

        // Any method: Withings clients use POST, and some send getnonce as a GET with query parameters.
        app.Map("/v2/signature", (RequestDelegate)(context => GetNonceAsync(context, handler, metrics))).WithName("signature").WithTags("wire");
        return app;
    }

    private static async Task GetNonceAsync(HttpContext context, GetNonceHandler handler, ServerMetrics metrics)
    {
        var result = await handler.AnswerAsync(context, context.RequestAborted);
        metrics.Answered("signature", WireActions.GetNonce, result.Status);
        if (result.Status == 0)
        {
            metrics.NonceIssued();
        }

        await result.ExecuteAsync(context);
    }
}

/// <summary>The rules of <c>getnonce</c>, with what they need taken once rather than bound on every request.</summary>
internal sealed class GetNonceHandler(
    WireRequestReader reader,
    PartnerDirectory partners,
    PartnerRateLimiter rateLimiter,
    NonceService nonces,
    IOptions<SignatureOptions> options,
    TimeProvider time)
{
    public async Task<WireResult> AnswerAsync(HttpContext context, CancellationToken cancellationToken)
    {
        var parameters = await reader.ReadAsync(context.Request, cancellationToken);
        if (parameters.Problem is { } problem)
        {
            return Refusals.Unreadable(problem);
        }

        if (!SignedRequestAuthenticator.TryGetRequired(parameters, WireParameterNames.Action, out var action, out var refusal))
        {
            return refusal!;
        }

        if (action != WireActions.GetNonce)
        {
            return Refusals.UnknownAction("signature", action);
        }

        if (!SignedRequestAuthenticator.TryGetRequired(parameters, WireParameterNames.ClientId, out var clientId, out refusal)
            || !SignedRequestAuthenticator.TryGetRequired(parameters, WireParameterNames.Timestamp, out var timestampText, out refusal)
            || !SignedRequestAuthenticator.TryGetRequired(parameters, WireParameterNames.Signature, out var signature, out refusal))
        {
            return refusal!;
        }

        if (!long.TryParse(timestampText, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var timestamp))
        {
            return Refusals.InvalidParameter(WireParameterNames.Timestamp, "must be a Unix time in whole seconds");
        }

        var partner = await partners.FindAsync(clientId, cancellationToken);
        if (partner is null)
        {
            return Refusals.UnknownClient();
        }

        // The signature covers the timestamp exactly as sent.
        if (!await partners.VerifyAsync(partner, WireActions.GetNonce, clientId, timestampText, signature, cancellationToken))
        {
            return Refusals.InvalidSignature($"getnonce,{WireParameterNames.ClientId},{WireParameterNames.Timestamp}");
        }

        var now = time.GetUtcNow().ToUnixTimeSeconds();
        var tolerance = options.Value.TimestampToleranceSeconds;
        if (timestamp < now - tolerance || timestamp > now + tolerance)
        {
            return Refusals.TimestampOutOfWindow(timestamp, now, tolerance);
        }

        if (partner.Suspended)
        {
            return Refusals.PartnerSuspended();
        }

        if (await rateLimiter.TryAcquireAsync(partner, cancellationToken) is { } wait)
        {
            return Refusals.TooManyRequests(wait);
        }

        var nonce = nonces.Issue(clientId);
        return WireResult.Ok(w => w.WriteString("nonce"u8, nonce));
    }
}
