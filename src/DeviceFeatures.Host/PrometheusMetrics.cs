using OpenTelemetry.Metrics;

namespace DeviceFeatures.Host;

/// <summary>
/// <c>/metrics</c> in the Prometheus text format: the server's meters, exported by the host. The exporter is a
/// prerelease package, so it stays out of the server library and the packages that depend on it.
/// </summary>
internal static class PrometheusMetrics
{
    public static WebApplicationBuilder AddPrometheusMetrics(this WebApplicationBuilder builder)
    {
        builder.Services.ConfigureOpenTelemetryMeterProvider(metrics => metrics.AddPrometheusExporter());
        return builder;
    }

    public static WebApplication MapPrometheusMetrics(this WebApplication app)
    {
        app.MapPrometheusScrapingEndpoint("/metrics");
        return app;
    }
}
