using DeviceFeatures.Client.Admin;
using DeviceFeatures.Protocol.Admin;
using DeviceFeatures.Testing;

namespace DeviceFeatures.Client.Tests;

public sealed class DeviceCredentialClientTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task ImportShowsASecret_RotationReplacesIt_AndAnUnknownDeviceIsNotFound()
    {
        await using var server = await DeviceFeaturesTestServer.StartAsync(new() { CreateDefaultPartner = false }, Ct);
        var admin = server.Admin;
        var imported = Assert.Single((await admin.ImportDevicesAsync([new DeviceImportRow("00:24:E4:AA:BB:01", 17, "EU", null, null)], Ct)).Results);
        Assert.Matches("^[0-9a-f]{64}$", imported.DeviceSecret);

        var rotated = await admin.RotateDeviceCredentialAsync("0024e4aabb01", Ct);
        Assert.Equal("00:24:e4:aa:bb:01", rotated.MacAddress);
        Assert.NotEqual(imported.DeviceSecret, rotated.DeviceSecret);
        Assert.True((await admin.GetDeviceAsync(rotated.MacAddress, Ct)).Sync!.HasCredential);

        var refused = await Assert.ThrowsAsync<DeviceFeaturesAdminException>(() => admin.RotateDeviceCredentialAsync("00:24:e4:aa:bb:02", Ct));
        Assert.Equal(AdminProblemCodes.DeviceNotFound, refused.Code);
    }
}
