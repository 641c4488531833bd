using DeviceFeatures.Client.Admin;
using DeviceFeatures.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace DeviceFeatures.Client.Tests;

public sealed class DependencyInjectionTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task AddDeviceFeaturesClient_RegistersAWorkingClient()
    {
        await using var server = await DeviceFeaturesTestServer.StartAsync(cancellationToken: Ct);
        var services = new ServiceCollection();
        IHttpClientBuilder builder = services.AddDeviceFeaturesClient(o =>
        {
            o.BaseAddress = server.BaseAddress;
            o.ClientId = server.DefaultPartner.ClientId;
            o.ClientSecret = server.DefaultPartner.ClientSecret;
        });
        Assert.Equal(typeof(DeviceFeaturesClient).Name, builder.Name);

        await using var provider = services.BuildServiceProvider();
        var client = provider.GetRequiredService<IDeviceFeaturesClient>();
        await client.EnableFeatureAsync(server.UserId, DeviceModel.BodyPro2, FeatureName.Pacemaker, Ct);
        Assert.Contains(new FeatureChoice(FeatureName.Pacemaker, true), await client.GetFeaturesAsync(server.UserId, DeviceModel.BodyPro2, Ct));
    }

    [Fact]
    public async Task AddDeviceFeaturesClient_WithoutCredentials_FailsWhenResolved()
    {
        var services = new ServiceCollection();
        services.AddDeviceFeaturesClient(o => o.ClientId = "only-an-id");
        await using var provider = services.BuildServiceProvider();
        var ex = Assert.ThrowsAny<Exception>(() => provider.GetRequiredService<IDeviceFeaturesClient>());
        Assert.Contains("ClientSecret", ex.ToString());
    }

    [Fact]
    public async Task AddDeviceFeaturesAdminClient_RegistersATypedClientThatSendsTheKey()
    {
        await using var server = await DeviceFeaturesTestServer.StartAsync(cancellationToken: Ct);
        var services = new ServiceCollection();
        IHttpClientBuilder builder = services.AddDeviceFeaturesAdminClient(o =>
        {
            o.BaseAddress = server.BaseAddress;
            o.ApiKey = server.AdminKey;
        });
        Assert.Equal(typeof(DeviceFeaturesAdminClient).Name, builder.Name);

        await using var provider = services.BuildServiceProvider();
        var admin = provider.GetRequiredService<DeviceFeaturesAdminClient>();
        var created = await admin.CreatePartnerAsync("Registered", Ct);
        Assert.Equal("Registered", (await admin.GetPartnerAsync(created.ClientId, Ct)).Name);
    }

    [Theory]
    [InlineData(null, "key", "BaseAddress")]
    [InlineData("http://127.0.0.1:5080/", "", "ApiKey")]
    public async Task AddDeviceFeaturesAdminClient_WithoutAddressOrKey_FailsWhenResolved(string? baseAddress, string apiKey, string named)
    {
        var services = new ServiceCollection();
        services.AddDeviceFeaturesAdminClient(o =>
        {
            o.BaseAddress = baseAddress is null ? null : new Uri(baseAddress);
            o.ApiKey = apiKey;
        });
        await using var provider = services.BuildServiceProvider();
        var ex = Assert.ThrowsAny<Exception>(() => provider.GetRequiredService<DeviceFeaturesAdminClient>());
        Assert.Contains(named, ex.ToString());
    }
}
