using DeviceFeatures.Client.Admin;
using DeviceFeatures.Protocol.Admin;
using DeviceFeatures.Testing;

namespace DeviceFeatures.Client.Tests;

/// <summary>Every operation and every refusal family the real server produces, through the SDK.</summary>
public sealed class ClientEndToEndTests : IAsyncLifetime
{
    private DeviceFeaturesTestServer _server = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync() => _server = await DeviceFeaturesTestServer.StartAsync(cancellationToken: Ct);

    public async ValueTask DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task GetNonce_ReturnsFortyHex() =>
        Assert.Matches("^[0-9a-f]{40}$", await _server.Client.GetNonceAsync(Ct));

    [Fact]
    public async Task EnableDisableAndList_RoundTrip()
    {
        var client = _server.Client;
        await client.EnableFeatureAsync(_server.UserId, DeviceModel.BodyPro2, FeatureName.EyesClosedMode, Ct);
        await client.EnableFeatureAsync(_server.UserId, DeviceModel.BpmPro2, FeatureName.RetakeLowHypertension, Ct);
        await client.DisableFeatureAsync(_server.UserId, DeviceModel.BodyPro2, FeatureName.FatMass, Ct);

        var scale = await client.GetFeaturesAsync(_server.UserId, DeviceModel.BodyPro2, Ct);
        Assert.Equal([new FeatureChoice(FeatureName.EyesClosedMode, true), new FeatureChoice(FeatureName.FatMass, false)],
            scale.OrderByDescending(c => c.Active));
        Assert.Equal([new FeatureChoice(FeatureName.RetakeLowHypertension, true)], await client.GetFeaturesAsync(_server.UserId, DeviceModel.BpmPro2, Ct));
    }

    [Fact]
    public async Task EnableTwice_IsIdempotent()
    {
        await _server.Client.EnableFeatureAsync(_server.UserId, 17, "feature_pwv", Ct);
        await _server.Client.EnableFeatureAsync(_server.UserId, 17, "feature_pwv", Ct);
        var events = await _server.Admin.GetAuditAsync(new AuditFilter(Userid: _server.UserId), cancellationToken: Ct);
        Assert.Single(events.Events, e => e.Kind == "feature.enabled");
    }

    [Fact]
    public async Task WrongSecret_IsAuthenticationFailed()
    {
        var client = _server.CreateClient(_server.DefaultPartner.ClientId, "wrong-secret");
        var ex = await Assert.ThrowsAsync<AuthenticationFailedException>(() => client.GetNonceAsync(Ct));
        Assert.Equal(101, ex.Status);
        Assert.Contains("invalid signature", ex.Error);
    }

    [Fact]
    public async Task UnknownClient_IsAuthenticationFailed()
    {
        var client = _server.CreateClient("nobody", "secret");
        var ex = await Assert.ThrowsAsync<AuthenticationFailedException>(
            () => client.EnableFeatureAsync(1, DeviceModel.BodyPro2, FeatureName.Pacemaker, Ct));
        Assert.Equal(100, ex.Status);
    }

    [Fact]
    public async Task UnknownFeature_IsInvalidParams()
    {
        var ex = await Assert.ThrowsAsync<InvalidParamsException>(
            () => _server.Client.EnableFeatureAsync(_server.UserId, DeviceModel.BodyPro2, "feature_time_travel", Ct));
        Assert.Equal(504, ex.Status);
        Assert.Equal(Protocol.Status.StatusFamily.InvalidParams, ex.Family);
    }

    [Fact]
    public async Task UnknownModelValue_IsInvalidParams_NotACrash()
    {
        var model = new DeviceModel(9999);
        Assert.Null(model.Name);
        var ex = await Assert.ThrowsAsync<InvalidParamsException>(
            () => _server.Client.GetFeaturesAsync(_server.UserId, model, Ct));
        Assert.Equal(505, ex.Status);
    }

    [Fact]
    public async Task OtherPartnersUser_IsInvalidParams()
    {
        var other = await _server.CreatePartnerAsync("Other", Ct);
        var ex = await Assert.ThrowsAsync<InvalidParamsException>(
            () => _server.Client.EnableFeatureAsync(other.UserId, DeviceModel.BodyPro2, FeatureName.Pacemaker, Ct));
        Assert.Equal(247, ex.Status);
    }

    [Fact]
    public async Task GatedFeature_IsUnauthorizedUntilGranted()
    {
        var ex = await Assert.ThrowsAsync<UnauthorizedException>(() => _server.Client.EnableFeatureAsync(
            _server.UserId, DeviceModel.BodyPro2, FeatureName.ElectrochemicalSkinConductance, Ct));
        Assert.Equal(2553, ex.Status);

        await _server.Admin.GrantEntitlementAsync(_server.DefaultPartner.ClientId, "feature_esc", Ct);
        await _server.Client.EnableFeatureAsync(_server.UserId, DeviceModel.BodyPro2, FeatureName.ElectrochemicalSkinConductance, Ct);
    }

    [Fact]
    public async Task SuspendedPartner_IsUnauthorized()
    {
        var partner = await _server.CreatePartnerAsync("Soon suspended", Ct);
        await _server.Admin.SuspendPartnerAsync(partner.ClientId, Ct);
        var ex = await Assert.ThrowsAsync<UnauthorizedException>(() => partner.Client.GetNonceAsync(Ct));
        Assert.Equal(214, ex.Status);
    }

    [Fact]
    public async Task MarketRestriction_IsUnauthorized()
    {
        var partner = _server.DefaultPartner;
        var usUser = await _server.CreateUserAsync(partner.ClientId, [new DeviceLink(DeviceFeaturesTestServer.RandomMac(), 17, "US")], Ct);
        var ex = await Assert.ThrowsAsync<UnauthorizedException>(
            () => partner.Client.EnableFeatureAsync(usUser, DeviceModel.BodyPro2, FeatureName.NerveHealthScore, Ct));
        Assert.Equal(2555, ex.Status);
    }

    [Fact]
    public async Task UnreachableServer_IsATransportFailure_NotARefusal()
    {
        var port = _server.BaseAddress.Port;
        await _server.DisposeAsync();
        using var http = new HttpClient();
        var client = new DeviceFeaturesClient(http, new DeviceFeaturesClientOptions
        {
            BaseAddress = new Uri($"http://127.0.0.1:{port}/"),
            ClientId = "c",
            ClientSecret = "s",
            MaxTransientRetries = 1,
            TransientRetryDelay = TimeSpan.FromMilliseconds(1),
        });
        var ex = await Assert.ThrowsAsync<DeviceFeaturesTransportException>(() => client.GetNonceAsync(Ct));
        Assert.True(ex.IsTransient);
        _server = await DeviceFeaturesTestServer.StartAsync(cancellationToken: Ct);
    }

    [Fact]
    public async Task Cancellation_IsHonoured()
    {
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => _server.Client.GetNonceAsync(cancelled.Token));
    }
}
