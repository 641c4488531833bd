using DeviceFeatures.Client.Admin;
using DeviceFeatures.Protocol.Admin;
using DeviceFeatures.Testing;

namespace DeviceFeatures.Client.Tests;

public sealed class OperatorClientTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Operators_ListShowChangeResetDelete_RoundTrip()
    {
        await using var server = await DeviceFeaturesTestServer.StartAsync(new() { CreateDefaultPartner = false }, Ct);
        var admin = server.Admin;
        await admin.CreateOperatorAsync("root", "administrator", cancellationToken: Ct);
        await admin.CreateOperatorAsync("ana", "support", "ana's first password", Ct);

        Assert.Equal(["ana support", "root administrator"], (await admin.ListOperatorsAsync(Ct)).Select(o => $"{o.Name} {o.Role}"));
        Assert.Equal("customer_success", (await admin.SetOperatorRoleAsync("ana", "customer_success", Ct)).Role);
        Assert.True((await admin.DisableOperatorAsync("ana", Ct)).Disabled);
        Assert.False((await admin.EnableOperatorAsync("ana", Ct)).Disabled);
        Assert.Null((await admin.UnlockOperatorAsync("ana", Ct)).LockedUntil);
        Assert.True((await admin.ResetOperatorPasswordAsync("ana", cancellationToken: Ct)).Password!.Length >= 12);
        Assert.Null((await admin.ResetOperatorPasswordAsync("ana", "a password chosen here", Ct)).Password);
        Assert.Equal("customer_success", (await admin.GetOperatorAsync("ana", Ct)).Role);

        var last = await Assert.ThrowsAsync<DeviceFeaturesAdminException>(() => admin.DisableOperatorAsync("root", Ct));
        Assert.Equal((409, AdminProblemCodes.LastAdministrator), (last.HttpStatus, last.Code));
        await Assert.ThrowsAsync<DeviceFeaturesAdminException>(() => admin.SetOperatorRoleAsync("root", "support", Ct));
        await Assert.ThrowsAsync<DeviceFeaturesAdminException>(() => admin.DeleteOperatorAsync("root", Ct));

        await admin.DeleteOperatorAsync("ana", Ct);
        var missing = await Assert.ThrowsAsync<DeviceFeaturesAdminException>(() => admin.GetOperatorAsync("ana", Ct));
        Assert.Equal((404, AdminProblemCodes.OperatorNotFound), (missing.HttpStatus, missing.Code));
    }
}
