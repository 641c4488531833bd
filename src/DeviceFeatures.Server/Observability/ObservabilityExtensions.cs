using System.Text.Json;
using DeviceFeatures.Server.Partners;
using DeviceFeatures.Server.Storage;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using OpenTelemetry.Metrics;

namespace DeviceFeatures.Server.Observability;

internal static class ObservabilityExtensions
{
    public static WebApplicationBuilder AddObservability(this WebApplicationBuilder builder)
    {
        // The hosting layer logs full URLs, query strings with signatures included: never, whatever the
        // configuration says. Off rather than at Warning: while that category is on at any level, ASP.NET Core
        // also creates an Activity for every request (and sets it as the current one) only to carry it into log
        // scopes. A rule that names a logging provider outranks one that does not, so the rule is repeated for
        // every provider the configuration names. Failures to start are logged by the host's own category.
        builder.Services.PostConfigure<LoggerFilterOptions>(options =>
        {
            foreach (var provider in options.Rules.Select(r => r.ProviderName).Append(null).Distinct().ToArray())
            {
                options.Rules.Add(new LoggerFilterRule(provider, "Microsoft.AspNetCore.Hosting.Diagnostics", LogLevel.None, null));
                options.Rules.Add(new LoggerFilterRule(provider, "Microsoft.AspNetCore.HttpLogging", LogLevel.None, null));
            }
        });

        builder.Services.AddSingleton<ServerMetrics>();
        builder.Services.AddHealthChecks().AddCheck<StorageHealthCheck>("storage", tags: ["ready"]);
        builder.Services.AddOpenTelemetry().WithMetrics(metrics => metrics
            .AddMeter(ServerMetrics.MeterName)
            .AddMeter("System.Runtime")
            .AddAspNetCoreInstrumentation());
        return builder;
    }

    public static IEndpointRouteBuilder MapObservabilityEndpoints(this IEndpointRouteBuilder app)
    {
        // A fixed answer with no work behind it: also the ceiling the load tool compares against.
        app.MapGet("/health/live", () => TypedResults.Text("""{"status":"live"}""", "application/json")).WithTags("health");
        app.MapHealthChecks("/health/ready", new HealthCheckOptions
        {
            Predicate = check => check.Tags.Contains("ready"),
            ResponseWriter = WriteHealthAsync,
        }).WithTags("health");
        return app;
    }

    private static Task WriteHealthAsync(HttpContext context, HealthReport report)
    {
        context.Response.ContentType = "application/json";
        return context.Response.WriteAsync(JsonSerializer.Serialize(new Dictionary<string, object?>
        {
            ["status"] = report.Status == HealthStatus.Healthy ? "ready" : "unready",
            ["checks"] = report.Entries.ToDictionary(e => e.Key, e => e.Value.Description ?? e.Value.Status.ToString()),
        }));
    }
}

/// <summary>
/// Ready means the server can serve a change: the database answers a read, and a write commits (the last probe write,
/// at most a second old, see <see cref="WriteReadiness"/>). A full disk or a deleted SQLite file leaves reads working
/// and fails every change; readiness names the reason.
/// </summary>
internal sealed class StorageHealthCheck(IFeatureStore store) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(3));
        try
        {
            await store.ReadAsync(s => s.CountPartnersAsync(), timeout.Token);
            return await store.CheckWritableAsync(timeout.Token) is { } reason
                ? HealthCheckResult.Unhealthy(reason)
                : HealthCheckResult.Healthy("the database accepts changes");
        }
        catch (Exception ex) when (ex is OperationCanceledException || store.IsUnavailable(ex))
        {
            return HealthCheckResult.Unhealthy("the database does not answer");
        }
    }
}
