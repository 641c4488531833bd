using DeviceFeatures.Client.Devices;
using DeviceFeatures.Protocol.DeviceApi;
using DeviceFeatures.Testing;

namespace DeviceFeatures.Client.Tests;

public sealed class FeatureStatusClientTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task GetFeatureStatus_FollowsTheDevice_FromUnknownToInSyncAndSyncFailed()
    {
        await using var server = await DeviceFeaturesTestServer.StartAsync(cancellationToken: Ct);
        var client = server.Client;
        var mac = (await server.Admin.GetUserAsync(server.UserId, Ct)).Devices.Single(d => d.Model == 17).MacAddress;

        var never = Assert.Single(await client.GetFeatureStatusAsync(server.UserId, DeviceModel.BodyPro2, FeatureName.EyesClosedMode, Ct));
        Assert.Equal(mac, never.MacAddress);
        Assert.Null(never.LastSeen);
        var unknown = Assert.Single(never.Features);
        Assert.Equal((FeatureName.EyesClosedMode, SyncStatus.Unknown, false), (unknown.Name, unknown.Status, unknown.Active));

        await client.EnableFeatureAsync(server.UserId, DeviceModel.BodyPro2, FeatureName.EyesClosedMode, Ct);
        await client.EnableFeatureAsync(server.UserId, DeviceModel.BodyPro2, FeatureName.Pacemaker, Ct);
        var secret = (await server.Admin.RotateDeviceCredentialAsync(mac, Ct)).DeviceSecret;
        using var http = new HttpClient();
        var deviceClient = new DeviceApiClient(http, server.BaseAddress, mac, secret);
        var version = (await deviceClient.GetConfigurationAsync(cancellationToken: Ct)).Version;
        Assert.Equal(SyncStatus.Pending,
            Assert.Single(Assert.Single(await client.GetFeatureStatusAsync(server.UserId, DeviceModel.BodyPro2, FeatureName.EyesClosedMode, Ct)).Features).Status);

        await deviceClient.ReportAsync(new DeviceReport(version, "2.3.1",
            [new DeviceFeatureReport("feature_eyes_closed_mode", true), new DeviceFeatureReport("feature_pacemaker", false, "sensor missing")]), Ct);

        var device = Assert.Single(await client.GetFeatureStatusAsync(server.UserId, DeviceModel.BodyPro2, cancellationToken: Ct));
        Assert.Equal("2.3.1", device.Firmware);
        Assert.NotNull(device.LastSeen);
        var eyes = device.Features.Single(f => f.Name == FeatureName.EyesClosedMode);
        Assert.Equal(new FeatureSyncStatus(FeatureName.EyesClosedMode, SyncStatus.InSync, true, version, version, true, null, eyes.ReportedAt), eyes);
        Assert.NotNull(eyes.ReportedAt);
        var pacemaker = device.Features.Single(f => f.Name == FeatureName.Pacemaker);
        Assert.Equal((SyncStatus.SyncFailed, "sensor missing"), (pacemaker.Status, pacemaker.Reason));

        Assert.Empty(await client.GetFeatureStatusAsync(server.UserId, DeviceModel.SleepSensor, cancellationToken: Ct));
        var refused = await Assert.ThrowsAsync<InvalidParamsException>(() => client.GetFeatureStatusAsync(int.MaxValue, DeviceModel.BodyPro2, cancellationToken: Ct));
        Assert.Equal(247, refused.Status);
    }
}
