using DeviceFeatures.Client.Admin;
using DeviceFeatures.Protocol.Admin;
using DeviceFeatures.Testing;

namespace DeviceFeatures.Client.Tests;

public sealed class AdminClientTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task AdminOperations_RoundTrip()
    {
        await using var server = await DeviceFeaturesTestServer.StartAsync(new() { CreateDefaultPartner = false }, Ct);
        var admin = server.Admin;

        var created = await admin.CreatePartnerAsync("Acme", Ct);
        Assert.Equal("Acme", Assert.Single(await admin.ListPartnersAsync(Ct)).Name);
        var rotated = await admin.RotateSecretAsync(created.ClientId, TimeSpan.Zero, Ct);
        Assert.Null(rotated.PreviousSecretExpiresAt);
        Assert.Equal(0, (await admin.SetRateLimitAsync(created.ClientId, 0, Ct)).RequestsPerMinute);
        Assert.True((await admin.SetRateLimitAsync(created.ClientId, null, Ct)).DefaultRateLimit);
        Assert.NotEqual(created.ClientSecret, rotated.ClientSecret);
        Assert.Equal("suspended", (await admin.SuspendPartnerAsync(created.ClientId, Ct)).Status);
        Assert.Equal("active", (await admin.ResumePartnerAsync(created.ClientId, Ct)).Status);

        var userId = await admin.CreateUserAsync(created.ClientId, [new DeviceLink("00:24:E4:AA:BB:CC", 63, "us")], Ct);
        var user = await admin.GetUserAsync(userId, Ct);
        Assert.Equal("00:24:e4:aa:bb:cc", Assert.Single(user.Devices).MacAddress);

        await admin.GrantEntitlementAsync(created.ClientId, "feature_sleep_rx", Ct);
        Assert.Equal("feature_sleep_rx", Assert.Single(await admin.ListEntitlementsAsync(created.ClientId, Ct)).FeatureName);
        var client = server.CreateClient(created.ClientId, rotated.ClientSecret);
        await client.EnableFeatureAsync(userId, DeviceModel.SleepSensor, FeatureName.SleepApnea, Ct);

        var state = await admin.GetUserFeaturesAsync(userId, Ct);
        Assert.True(Assert.Single(Assert.Single(state.Devices).Features).Active);

        await admin.RevokeEntitlementAsync(created.ClientId, "feature_sleep_rx", Ct);
        Assert.Empty(await admin.ListEntitlementsAsync(created.ClientId, Ct));

        var kinds = new List<string>();
        await foreach (var e in admin.ReadAuditAsync(new AuditFilter(ClientId: created.ClientId), cancellationToken: Ct))
        {
            kinds.Add(e.Kind);
        }

        Assert.Equal(
            ["partner.created", "partner.secret_rotated", "partner.rate_limit_changed", "partner.rate_limit_changed",
             "partner.suspended", "partner.resumed", "user.created",
             "entitlement.granted", "feature.enabled", "entitlement.revoked"],
            kinds);
    }

    [Fact]
    public async Task AdminRefusals_CarryTheProblemCode()
    {
        await using var server = await DeviceFeaturesTestServer.StartAsync(cancellationToken: Ct);
        var ex = await Assert.ThrowsAsync<DeviceFeaturesAdminException>(() => server.Admin.GetPartnerAsync("nobody", Ct));
        Assert.Equal(404, ex.HttpStatus);
        Assert.Equal("partner_not_found", ex.Code);

        using var http = new HttpClient();
        var wrongKey = new DeviceFeaturesAdminClient(http, server.BaseAddress, "wrong");
        var unauthorized = await Assert.ThrowsAsync<DeviceFeaturesAdminException>(() => wrongKey.ListPartnersAsync(Ct));
        Assert.Equal(AdminProblemCodes.AdminKeyInvalid, unauthorized.Code);
        Assert.Equal(401, unauthorized.HttpStatus);
        Assert.Contains("Admin:ApiKey", unauthorized.Detail);
    }

    [Fact]
    public async Task AdminClient_AgainstNothingListening_IsATransportFailure_UnderTheOneRoot()
    {
        using var http = new HttpClient();
        var admin = new DeviceFeaturesAdminClient(http, new Uri("http://127.0.0.1:9/"), "key");
        DeviceFeaturesException ex = await Assert.ThrowsAsync<DeviceFeaturesTransportException>(() => admin.ListPartnersAsync(Ct));
        Assert.Contains("could not be reached", ex.Message);
    }
}
