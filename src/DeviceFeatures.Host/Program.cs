using DeviceFeatures.Host;
using DeviceFeatures.Server.Hosting;

// The server is the DeviceFeatures.Server library; this host adds its configuration files and /metrics, and turns
// start-up failures into one line and an exit code (docs/deployment.md lists them).
return await ServerRunner.RunAsync(
    args,
    builder => builder.AddPrometheusMetrics(),
    app => app.MapPrometheusMetrics());
