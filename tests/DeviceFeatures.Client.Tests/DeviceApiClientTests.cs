using DeviceFeatures.Client.Devices;
using DeviceFeatures.Protocol.Admin;
using DeviceFeatures.Protocol.DeviceApi;
using DeviceFeatures.Testing;

namespace DeviceFeatures.Client.Tests;

/// <summary>The SDK's device client against a real server over a socket, on each provider.</summary>
public sealed class DeviceApiClientTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private sealed record Fixture(ProviderServer Provider, CreatedPartner Partner, int UserId, string Mac, string Secret, HttpClient Http) : IAsyncDisposable
    {
        public DeviceFeaturesTestServer Server => Provider.Server;

        public DeviceApiClient Device(string? secret = null) => new(Http, Server.BaseAddress, Mac, secret ?? Secret);

        public async ValueTask DisposeAsync()
        {
            Http.Dispose();
            await Provider.DisposeAsync();
        }
    }

    /// <summary>A partner, a Body Pro 2 imported for it (with its secret), and a user linked to that device.</summary>
    private static async Task<Fixture> StartAsync(string provider)
    {
        var started = await ProviderServer.StartAsync(provider, new DeviceFeaturesTestServerOptions { CreateDefaultPartner = false }, Ct);
        var server = started.Server;
        var partner = await server.Admin.CreatePartnerAsync("Device client partner", Ct);
        var mac = DeviceFeaturesTestServer.RandomMac();
        var imported = Assert.Single((await server.Admin.ImportDevicesAsync([new DeviceImportRow(mac, 17, "EU", "1.0", partner.ClientId)], Ct)).Results);
        var userId = await server.CreateUserAsync(partner.ClientId, [new DeviceLink(mac, 17, "EU")], Ct);
        return new Fixture(started, partner, userId, mac, imported.DeviceSecret!, new HttpClient { Timeout = TimeSpan.FromSeconds(90) });
    }

    [Theory]
    [MemberData(nameof(ProviderServer.Providers), MemberType = typeof(ProviderServer))]
    public async Task Pull_ThenNotModified_ThenReport_IsSeenByTheOperator(string provider)
    {
        await using var f = await StartAsync(provider);
        var device = f.Device();

        var pulled = await device.GetConfigurationAsync(cancellationToken: Ct);
        Assert.False(pulled.IsNotModified);
        var configuration = pulled.Configuration!;
        Assert.Equal(17, configuration.Model);
        Assert.Contains(configuration.Features, s => s is { FeatureName: "feature_eyes_closed_mode", Active: false });

        var again = await device.GetConfigurationAsync(configuration.Version, cancellationToken: Ct);
        Assert.True(again.IsNotModified);
        Assert.Null(again.Configuration);
        Assert.Equal(configuration.Version, again.Version);

        var receipt = await device.ReportAsync(new DeviceReport(configuration.Version, "2.0",
            configuration.Features.Select(s => s.FeatureName == "feature_pacemaker"
                ? new DeviceFeatureReport(s.FeatureName, false, "sensor missing")
                : new DeviceFeatureReport(s.FeatureName, true)).ToArray()), Ct);
        Assert.Equal(new DeviceReportReceipt(configuration.Version, true), receipt);

        var seen = await f.Server.Admin.GetDeviceAsync(f.Mac, Ct);
        Assert.Equal("2.0", seen.Firmware);
        Assert.Equal(configuration.Version, seen.Sync!.ReportedVersion);
        Assert.Contains(seen.Sync.Features, r => r is { FeatureName: "feature_pacemaker", Applied: false, Reason: "sensor missing" });
    }

    [Theory]
    [MemberData(nameof(ProviderServer.Providers), MemberType = typeof(ProviderServer))]
    public async Task ALongPoll_IsAnsweredWithThePartnersChange(string provider)
    {
        await using var f = await StartAsync(provider);
        var device = f.Device();
        var before = (await device.GetConfigurationAsync(cancellationToken: Ct)).Configuration!;

        // Waits on the server (up to 30 s) until the partner's choice commits; no timing is asserted.
        var waiting = device.GetConfigurationAsync(before.Version, TimeSpan.FromSeconds(30), Ct);
        var partner = f.Server.CreateClient(f.Partner.ClientId, f.Partner.ClientSecret);
        await partner.EnableFeatureAsync(f.UserId, DeviceModel.BodyPro2, FeatureName.EyesClosedMode, Ct);
        var after = await waiting;

        Assert.False(after.IsNotModified);
        Assert.True(after.Version > before.Version);
        Assert.Contains(after.Configuration!.Features, s => s is { FeatureName: "feature_eyes_closed_mode", Active: true });
    }

    [Theory]
    [MemberData(nameof(ProviderServer.Providers), MemberType = typeof(ProviderServer))]
    public async Task Refusals_AreTypedByTheirCode(string provider)
    {
        await using var f = await StartAsync(provider);
        var current = (await f.Device().GetConfigurationAsync(cancellationToken: Ct)).Version;

        var wrongSecret = await Assert.ThrowsAsync<DeviceAuthenticationException>(() => f.Device(new string('0', 64)).GetConfigurationAsync(cancellationToken: Ct));
        Assert.Equal((401, DeviceProblemCodes.SignatureInvalid), (wrongSecret.HttpStatus, wrongSecret.Code));

        var ahead = await Assert.ThrowsAsync<DeviceVersionAheadException>(() => f.Device().ReportAsync(
            new DeviceReport(current + 5, null, [new DeviceFeatureReport("feature_pacemaker", true)]), Ct));
        Assert.Equal(409, ahead.HttpStatus);

        var invalid = await Assert.ThrowsAsync<DeviceApiException>(() => f.Device().ReportAsync(
            new DeviceReport(current, null, [new DeviceFeatureReport("feature_retake_high_htn", true)]), Ct));
        Assert.Equal(DeviceProblemCodes.InvalidRequest, invalid.Code);
        Assert.False(invalid.IsTransient);

        await f.Server.Admin.SuspendPartnerAsync(f.Partner.ClientId, Ct);
        var suspended = await Assert.ThrowsAsync<DevicePartnerSuspendedException>(() => f.Device().GetConfigurationAsync(cancellationToken: Ct));
        Assert.True(suspended.IsTransient);
    }

    [Fact]
    public async Task AnUnreachableServer_IsATransportFailure()
    {
        using var http = new HttpClient();
        var device = new DeviceApiClient(http, new Uri("http://127.0.0.1:1/"), "00:24:e4:00:00:01", new string('a', 64));
        var failure = await Assert.ThrowsAsync<DeviceFeaturesTransportException>(() => device.GetConfigurationAsync(cancellationToken: Ct));
        Assert.True(failure.IsTransient);
    }
}
