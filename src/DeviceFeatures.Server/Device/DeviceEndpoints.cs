using DeviceFeatures.Protocol.Parameters;
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
        CancellationToken cancellationToken)
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

        if (action is not (WireActions.EnableFeature or WireActions.DisableFeature or WireActions.GetFeatures))
        {
            return Refusals.UnknownAction("device", action);
        }

        var (call, authRefusal) = await authenticator.AuthenticateAsync(parameters, action, cancellationToken);
        if (call is null)
        {
            return authRefusal!;
        }

        var requestId = context.TraceIdentifier;
        return action switch
        {
            WireActions.EnableFeature => await features.SetAsync(call, parameters, active: true, requestId, cancellationToken),
            WireActions.DisableFeature => await features.SetAsync(call, parameters, active: false, requestId, cancellationToken),
            _ => await features.GetAsync(call, parameters, cancellationToken),
        };
    }
}
