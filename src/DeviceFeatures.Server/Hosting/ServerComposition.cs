using DeviceFeatures.Server.Admin;
using DeviceFeatures.Server.Catalog;
using DeviceFeatures.Server.ChangeEvents;
using DeviceFeatures.Server.Demo;
using DeviceFeatures.Server.Device;
using DeviceFeatures.Server.Emulator;
using DeviceFeatures.Server.DeviceApi;
using DeviceFeatures.Server.OAuth;
using DeviceFeatures.Server.OpenApi;
using DeviceFeatures.Server.Observability;
using DeviceFeatures.Server.OperatorConsole;
using DeviceFeatures.Server.Partners;
using DeviceFeatures.Server.Secrets;
using DeviceFeatures.Server.Signature;
using DeviceFeatures.Server.Storage;
using DeviceFeatures.Server.Wire;

namespace DeviceFeatures.Server.Hosting;

/// <summary>
/// The whole server, as two calls: what it needs and what it answers. <c>Program</c> uses them, and so does the
/// testing package that runs the real server inside a partner's tests.
/// </summary>
public static class ServerComposition
{
    public static WebApplicationBuilder AddDeviceFeaturesServer(this WebApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);

        // First, so that every other hosted service starts after the start-up steps (migrations, keys) have run.
        builder.Services.AddSingleton<ServerStartup>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<ServerStartup>());
        builder.AddObservability();
        builder.Services.AddProblemDetails();
        builder.Services.Configure<RouteHandlerOptions>(o => o.ThrowOnBadRequest = true);
        builder.Services.AddStorage();
        builder.Services.AddCatalog();
        builder.Services.AddWire();
        builder.Services.AddSecrets();
        builder.Services.AddPartners();
        builder.Services.AddSignature();
        builder.Services.AddDevice();
        builder.Services.AddDeviceApi();
        builder.Services.AddChangeEvents();
        builder.Services.AddUsers();
        builder.Services.AddOAuth();
        builder.Services.AddAdmin();
        builder.Services.AddOperatorConsole();
        builder.Services.AddDemo();
        builder.Services.AddEmulator();
        builder.Services.AddApiDocuments();
        return builder;
    }

    public static WebApplication UseDeviceFeaturesServer(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        // The request id ties an answer to the server's logs and audit events (a 2556 text quotes it too).
        app.Use((context, next) =>
        {
            context.Response.Headers["X-Request-Id"] = context.TraceIdentifier;
            return next(context);
        });
        app.UseFailureAnswers();

        // Routing runs here rather than first (where the host would put it), so that it sees the wire paths made whole.
        app.UseWirePaths();
        app.UseRouting();

        // Only the admin API has keys to check and problem pages to write: wire calls answer the envelope with
        // HTTP 200 whatever happens, and health probes and metrics need neither. Each of these middlewares costs
        // a wire call allocations and a service scope when it runs, so it runs only where it has work.
        app.UseWhen(context => !context.Request.Path.StartsWithSegments("/v2") && !context.Request.Path.StartsWithSegments(ConsoleComposition.Prefix),
            branch => branch.UseStatusCodePages());
        // The admin key is checked first of all, whatever routing found (no endpoint, another method, a content type
        // the endpoint does not accept): the gate answers 401, or 429 to an address that keeps guessing.
        app.UseWhen(context => context.Request.Path.StartsWithSegments("/admin"), branch =>
        {
            branch.UseAuthentication();
            branch.UseAdminKeyGate();
            branch.UseAuthorization();
        });

        // The operator console has its own sessions (a cookie, not the admin key) and its own status pages.
        app.UseOperatorConsole();

        // Tells the host that authentication and authorization are in place (in the branch above), so that it does
        // not add them again in front of every request.
        var properties = ((IApplicationBuilder)app).Properties;
        properties["__AuthenticationMiddlewareSet"] = true;
        properties["__AuthorizationMiddlewareSet"] = true;

        app.MapWireServices();
        app.MapWireFallback();
        app.MapAdminEndpoints();
        app.MapOperatorConsole();
        app.MapDeviceApi();
        app.MapDevelopmentSigning();
        app.MapObservabilityEndpoints();
        app.MapApiDocuments();
        return app;
    }
}
