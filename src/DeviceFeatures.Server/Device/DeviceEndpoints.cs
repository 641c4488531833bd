using DeviceFeatures.Protocol.Parameters;
using DeviceFeatures.Server.Observability;
using DeviceFeatures.Server.Signature;
using DeviceFeatures.Server.Wire;

namespace DeviceFeatures.Server.Device;

public static class DeviceEndpoints
{
    public static IServiceCollection AddDevice(this IServiceCollection services) =>
        services.AddSingleton<FeatureService>();

    public static IEndpointRouteBuilder MapDeviceEndpoints(this IEndpointRouteBuilder app)
    {
        app.Map("/v2/device", HandleAsync).WithName("device").WithTags("wire");
        return app;
    }

    internal static async Task<IResult> HandleAsync(
        HttpContext context,
        WireRequestReader reader,
        SignedRequestAuthenticator authenticator,
        FeatureService features,
        ServerMetrics metrics,
        CancellationToken cancellationToken)
    {
        var (action, result) = await AnswerAsync(context, reader, authenticator, features, cancellationToken);

        // Only known actions become a label: a caller must not be able to grow the metric's series at will.
        metrics.Answered("device", action is WireActions.EnableFeature or WireActions.DisableFeature or WireActions.GetFeatures ? action : "other", result.Status);
        return result;
    }

    private static async Task<(string? Action, WireResult Result)> AnswerAsync(
        HttpContext context,
        WireRequestReader reader,
        SignedRequestAuthenticator authenticator,
        FeatureService features,
        CancellationToken cancellationToken)
    {
        var parameters = await reader.ReadAsync(context.Request, cancellationToken);
        if (parameters.Problem is { } problem)
        {
            return (null, Refusals.Unreadable(problem));
        }

        if (!SignedRequestAuthenticator.TryGetRequired(parameters, WireParameterNames.Action, out var action, out var refusal))
        {
            return (null, refusal!);
        }

        if (action is not (WireActions.EnableFeature or WireActions.DisableFeature or WireActions.GetFeatures))
        {
            return (action, Refusals.UnknownAction("device", action));
        }

        var (call, authRefusal) = await authenticator.AuthenticateAsync(parameters, action, cancellationToken);
        if (call is null)
        {
            return (action, authRefusal!);
        }

        var requestId = context.TraceIdentifier;
        return (action, action switch
        {
            WireActions.EnableFeature => await features.SetAsync(call, parameters, active: true, requestId, cancellationToken),
            WireActions.DisableFeature => await features.SetAsync(call, parameters, active: false, requestId, cancellationToken),
            _ => await features.GetAsync(call, parameters, cancellationToken),
        });
    }
}
