using DeviceFeatures.Client.Admin;
using DeviceFeatures.Protocol.Admin;
using DeviceFeatures.Testing;

namespace DeviceFeatures.Client.Tests;

public sealed class InventoryClientTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Inventory_ImportListShowAssign_RoundTrip()
    {
        await using var server = await DeviceFeaturesTestServer.StartAsync(new() { CreateDefaultPartner = false }, Ct);
        var admin = server.Admin;
        var partner = await admin.CreatePartnerAsync("Acme", Ct);

        var report = await admin.ImportDevicesAsync(
        [
            new DeviceImportRow("00-24-E4-00-00-01", 17, "EU", "3.0", partner.ClientId),
            new DeviceImportRow("0024e4000002", 47, "US", null, null),
            new DeviceImportRow("not-a-mac", 17, "EU", null, null),
        ], Ct);
        Assert.Equal((2, 1), (report.Imported, report.Refused));
        Assert.Equal(AdminProblemCodes.InvalidMacAddress, report.Results[2].Code);

        var page = await admin.ListDevicesAsync(limit: 1, cancellationToken: Ct);
        Assert.Equal("00:24:e4:00:00:01", Assert.Single(page.Devices).MacAddress);
        var next = await admin.ListDevicesAsync(after: page.NextAfter, cancellationToken: Ct);
        Assert.Equal("00:24:e4:00:00:02", Assert.Single(next.Devices).MacAddress);
        Assert.Single((await admin.ListDevicesAsync(clientId: partner.ClientId, linked: false, model: 17, cancellationToken: Ct)).Devices);

        var assigned = await admin.AssignDeviceAsync("00:24:E4:00:00:02", partner.ClientId, Ct);
        Assert.Equal(partner.ClientId, assigned.ClientId);
        Assert.Equal("3.0", (await admin.GetDeviceAsync("0024e4000001", Ct)).Firmware);
    }

    [Fact]
    public async Task Inventory_Refusals_CarryTheProblemCode()
    {
        await using var server = await DeviceFeaturesTestServer.StartAsync(cancellationToken: Ct);
        var missing = await Assert.ThrowsAsync<DeviceFeaturesAdminException>(() => server.Admin.GetDeviceAsync("00:24:e4:00:00:09", Ct));
        Assert.Equal((404, AdminProblemCodes.DeviceNotFound), (missing.HttpStatus, missing.Code));
        var invalid = await Assert.ThrowsAsync<DeviceFeaturesAdminException>(() => server.Admin.AssignDeviceAsync("00:24", "x", Ct));
        Assert.Equal((400, AdminProblemCodes.InvalidMacAddress), (invalid.HttpStatus, invalid.Code));
    }
}
