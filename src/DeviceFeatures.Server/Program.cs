using DeviceFeatures.Server.Hosting;

var builder = WebApplication.CreateBuilder(args);
builder.AddDeviceFeaturesServer();

var app = builder.Build();
app.UseDeviceFeaturesServer();

app.Run();
