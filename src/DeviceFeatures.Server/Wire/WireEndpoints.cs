using DeviceFeatures.Protocol.Admin;
using DeviceFeatures.Protocol.Parameters;
using DeviceFeatures.Server.Admin;
using DeviceFeatures.Server.Device;
using DeviceFeatures.Server.OAuth;
using DeviceFeatures.Server.Observability;
using DeviceFeatures.Server.Signature;
using DeviceFeatures.Server.Storage;
using Microsoft.AspNetCore.Diagnostics;

namespace DeviceFeatures.Server.Wire;

internal static partial class WireEndpoints
{
    public static IServiceCollection AddWire(this IServiceCollection services)
    {
        services.AddOptions<WireOptions>().BindConfiguration(WireOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<WireRequestReader>();
        services.AddSingleton<WirePipeline>();
        services.AddSingleton<LogThrottle>();
        return services;
    }

    /// <summary>
    /// The table of the <c>/v2</c> services and their actions. A new action is one line here plus its handler; the
    /// pipeline does everything else, in the same order for all of them.
    /// </summary>
    internal static WireService[] Services(IServiceProvider services)
    {
        var features = services.GetRequiredService<FeatureService>();
        var users = services.GetRequiredService<UserService>();
        return
        [
            new("signature", [WireAction.TimestampSigned(WireActions.GetNonce, services.GetRequiredService<GetNonceHandler>())]),
            new("device",
            [
                WireAction.Signed(WireActions.EnableFeature, features.Enable),
                WireAction.Signed(WireActions.DisableFeature, features.Disable),
                WireAction.Signed(WireActions.GetFeatures, features.Get),
                WireAction.Signed(WireActions.GetFeatureStatus, services.GetRequiredService<FeatureStatusHandler>()),
                WireAction.Signed(WireActions.EndPartnerProgram, services.GetRequiredService<ProgrammeService>().EndPartnerProgram),
            ]),
            new("user",
            [
                WireAction.Signed(WireActions.Activate, users.Activate),
                WireAction.Signed(WireActions.GetUser, users.Get),
                WireAction.Bearer(WireActions.GetDevice, users.GetDevice),
            ]),
            new("oauth2", [WireAction.ClientSecretOrSigned<TokenService, TokenRequest>(WireActions.RequestToken, services.GetRequiredService<TokenService>())]),
        ];
    }

    /// <summary>
    /// Maps each service of the table as a plain request delegate over services taken once: nothing is bound or
    /// resolved per request. Any method: Withings clients use POST, and some send getnonce as a GET.
    /// </summary>
    public static IEndpointRouteBuilder MapWireServices(this IEndpointRouteBuilder app)
    {
        var pipeline = app.ServiceProvider.GetRequiredService<WirePipeline>();
        foreach (var service in Services(app.ServiceProvider))
        {
            app.Map(service.Path, (RequestDelegate)(context => pipeline.HandleAsync(context, service))).WithName(service.Name).WithTags("wire");
        }

        return app;
    }

    /// <summary>
    /// A base URL ending in '/' joined to a path starting with '/' asks for <c>//v2/device</c>, which means
    /// <c>/v2/device</c>: the leading slashes are made one before routing. Other paths are left alone.
    /// </summary>
    public static IApplicationBuilder UseWirePaths(this IApplicationBuilder app) =>
        app.Use((context, next) =>
        {
            if (context.Request.Path.Value is ['/', '/', ..] path)
            {
                var single = new PathString(string.Concat("/", path.AsSpan().TrimStart('/')));
                if (single.StartsWithSegments("/v2"))
                {
                    context.Request.Path = single;
                }
            }

            return next(context);
        });

    /// <summary>Any other path under <c>/v2</c> is a web service we do not have: 2554, in the envelope.</summary>
    public static IEndpointRouteBuilder MapWireFallback(this IEndpointRouteBuilder app)
    {
        app.Map("/v2/{**rest}", (HttpContext context) => Refusals.UnknownService(context.Request.Path.Value ?? "/v2"))
            .WithTags("wire");
        return app;
    }

    /// <summary>
    /// The last line of defence: an unexpected failure answers the envelope (on <c>/v2</c>) or problem+json
    /// (elsewhere), never a stack trace. Transactions roll back when they throw, so nothing half-done remains.
    /// The middleware's own log entry (an Error with the stack, for every failure, a client's malformed body
    /// included) is turned off: <see cref="WriteFailureAsync"/> logs each failure as what it is.
    /// </summary>
    public static IApplicationBuilder UseFailureAnswers(this IApplicationBuilder app) =>
        app.UseExceptionHandler(new ExceptionHandlerOptions
        {
            StatusCodeSelector = _ => StatusCodes.Status500InternalServerError,
            ExceptionHandler = WriteFailureAsync,
            SuppressDiagnosticsCallback = _ => true,
        });

    private static async Task WriteFailureAsync(HttpContext context)
    {
        var exception = context.Features.Get<IExceptionHandlerFeature>()?.Error;
        var store = context.RequestServices.GetRequiredService<IFeatureStore>();
        var unavailable = exception is not null && store.IsUnavailable(exception);
        Log(context, exception, unavailable);

        if (context.Request.Path.StartsWithSegments("/v2"))
        {
            context.Response.StatusCode = StatusCodes.Status200OK;
            var answer = exception switch
            {
                BadHttpRequestException bad => Refusals.Unreadable(bad.Message.TrimEnd('.')),
                _ when unavailable => Refusals.Timeout(),
                _ => Refusals.InternalError(context.TraceIdentifier),
            };
            await answer.ExecuteAsync(context);
            return;
        }

        var error = exception switch
        {
            BadHttpRequestException { StatusCode: StatusCodes.Status413PayloadTooLarge } bad =>
                new AdminError(bad.StatusCode, AdminProblemCodes.RequestTooLarge, bad.Message),
            BadHttpRequestException bad => new AdminError(bad.StatusCode, AdminProblemCodes.InvalidRequest, bad.Message),
            Storage.Sqlite.DatabaseFilesChangedException => new AdminError(StatusCodes.Status503ServiceUnavailable, AdminProblemCodes.DatabaseUnavailable,
                "The database file was deleted or replaced while the server ran; nothing was changed."),
            _ when unavailable => new AdminError(StatusCodes.Status503ServiceUnavailable, AdminProblemCodes.DatabaseUnavailable,
                "The database did not answer in time; nothing was changed."),
            _ => new AdminError(StatusCodes.Status500InternalServerError, AdminProblemCodes.InternalError,
                $"An unexpected error occurred; nothing was changed (request id {context.TraceIdentifier})."),
        };
        await AdminEndpoints.Problem(error).ExecuteAsync(context);
    }

    /// <summary>
    /// One line per failure, rate-limited by kind (<see cref="LogThrottle"/>): a client's error at Information and
    /// an unavailable database at Warning, both without a stack (they are expected, and the stack says nothing the
    /// message does not); only an unexpected failure, a fault of ours, is an Error with its stack.
    /// </summary>
    private static void Log(HttpContext context, Exception? exception, bool unavailable)
    {
        var kind = exception switch
        {
            BadHttpRequestException => ThrottledLog.ClientError,
            _ when unavailable => ThrottledLog.DatabaseUnavailable,
            _ => ThrottledLog.Fault,
        };
        if (!context.RequestServices.GetRequiredService<LogThrottle>().TryTake(kind, out var leftOut))
        {
            return;
        }

        var logger = context.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger("DeviceFeatures.Failures");
        switch (kind)
        {
            case ThrottledLog.ClientError:
                LogUnreadable(logger, context.TraceIdentifier, exception!.Message, leftOut);
                break;
            case ThrottledLog.DatabaseUnavailable:
                LogUnavailable(logger, context.TraceIdentifier, exception!.GetType().Name, exception.Message, leftOut);
                break;
            default:
                LogFailed(logger, exception, context.TraceIdentifier, leftOut);
                break;
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Unreadable request {RequestId}: {Message} ({LeftOut} more not logged in the last minute)")]
    private static partial void LogUnreadable(ILogger logger, string requestId, string message, int leftOut);

    [LoggerMessage(Level = LogLevel.Warning,
        Message = "Request {RequestId}: the database did not answer ({ExceptionType}: {Message}); answered 522/503 ({LeftOut} more not logged in the last minute)")]
    private static partial void LogUnavailable(ILogger logger, string requestId, string exceptionType, string message, int leftOut);

    [LoggerMessage(Level = LogLevel.Error, Message = "Request {RequestId} failed ({LeftOut} more not logged in the last minute)")]
    private static partial void LogFailed(ILogger logger, Exception? exception, string requestId, int leftOut);
}
