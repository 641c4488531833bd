using DeviceFeatures.Server.Admin;
using DeviceFeatures.Server.Catalog;
using DeviceFeatures.Server.Demo;
using DeviceFeatures.Server.Device;
using DeviceFeatures.Server.Hosting;
using DeviceFeatures.Server.Signature;
using DeviceFeatures.Server.Storage;
using DeviceFeatures.Server.Wire;

var builder = WebApplication.CreateBuilder(args);

builder.Services.AddProblemDetails();
builder.Services.Configure<RouteHandlerOptions>(o => o.ThrowOnBadRequest = true);
builder.Services.AddStorage();
builder.Services.AddCatalog();
builder.Services.AddWire();
builder.Services.AddSignature();
builder.Services.AddDevice();
builder.Services.AddAdmin();
builder.Services.AddDemo();
builder.Services.AddHostedService<StartupInitializer>();

var app = builder.Build();

app.UseFailureAnswers();
app.UseStatusCodePages();

app.MapSignatureEndpoints();
app.MapDeviceEndpoints();
app.MapWireFallback();
app.MapAdminEndpoints();
app.MapHealthEndpoints();

app.Run();
