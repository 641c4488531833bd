using DeviceFeatures.Protocol.Parameters;
using DeviceFeatures.Server.Observability;
using DeviceFeatures.Server.Signature;
using DeviceFeatures.Server.Wire;

namespace DeviceFeatures.Server.Device;

internal static class DeviceEndpoints
{
    public static IServiceCollection AddDevice(this IServiceCollection services) =>
        services.AddSingleton<FeatureService>();

    public static IEndpointRouteBuilder MapDeviceEndpoints(this IEndpointRouteBuilder app)
    {
        // A plain request delegate over services taken once: nothing is bound or resolved per request.
        var services = app.ServiceProvider;
        var reader = services.GetRequiredService<WireRequestReader>();
        var authenticator = services.GetRequiredService<SignedRequestAuthenticator>();
        var features = services.GetRequiredService<FeatureService>();
        var metrics = services.GetRequiredService<ServerMetrics>();
        app.Map("/v2/device", (RequestDelegate)(context => HandleAsync(context, reader, authenticator, features, metrics))).WithName("device").WithTags("wire");
        return app;
    }

    private static async Task HandleAsync(
        HttpContext context,
        WireRequestReader reader,
        SignedRequestAuthenticator authenticator,
        FeatureService features,
        ServerMetrics metrics)
    {
        var (action, result) = await AnswerAsync(context, reader, authenticator, features, context.RequestAborted);

        // Only known actions become a label: a caller must not be able to grow the metric's series at will.
        metrics.Answered("device", action is WireActions.EnableFeature or WireActions.DisableFeature or WireActions.GetFeatures ? action : "other", result.Status);
        await result.ExecuteAsync(context);
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
