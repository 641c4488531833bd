namespace DeviceFeatures.Server.Hosting;

public static class HealthEndpoints
{
    public static IEndpointRouteBuilder MapHealthEndpoints(this IEndpointRouteBuilder app)
    {
        // A fixed answer with no work behind it: also the ceiling the load tool compares against.
        app.MapGet("/health/live", () => TypedResults.Text("""{"status":"live"}""", "application/json")).WithTags("health");
        return app;
    }
}
