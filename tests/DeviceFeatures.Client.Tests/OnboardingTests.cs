using DeviceFeatures.Client.Admin;
using DeviceFeatures.Protocol.Admin;
using DeviceFeatures.Testing;
using Microsoft.Extensions.Time.Testing;

namespace DeviceFeatures.Client.Tests;

/// <summary>
/// A partner's whole onboarding, as its own code runs it: over a real socket, with the SDK, from the devices it shipped
/// to the end of its programme, on each storage provider.
/// </summary>
public sealed class OnboardingTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [MemberData(nameof(ProviderServer.Providers), MemberType = typeof(ProviderServer))]
    public async Task APartner_ActivatesSwitchesAndEndsItsProgramme_AndTheDeviceReturnsToDefaults(string provider)
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 11, 24, 9, 0, 0, TimeSpan.Zero));
        var options = new DeviceFeaturesTestServerOptions { TimeProvider = time, CreateDefaultPartner = false };
        await using var started = await ProviderServer.StartAsync(provider, options, Ct);
        var server = started.Server;
        Assert.Equal("127.0.0.1", server.BaseAddress.Host);

        // The operator's side: a partner, and the two devices shipped for it in the inventory.
        var partner = await server.Admin.CreatePartnerAsync("Onboarding partner", Ct);
        string scale = DeviceFeaturesTestServer.RandomMac(), monitor = DeviceFeaturesTestServer.RandomMac();
        var import = await server.Admin.ImportDevicesAsync(
            [new(scale, 17, "EU", "2.1.0", partner.ClientId), new(monitor, 47, "EU", null, partner.ClientId)], Ct);
        Assert.Equal(2, import.Imported);

        // The partner's side, with nothing but its client id and secret.
        var client = server.CreateClient(partner.ClientId, partner.ClientSecret);
        Assert.Matches("^[0-9a-f]{40}$", await client.GetNonceAsync(Ct));

        var redirect = new Uri("https://partner.example/callback");
        var activated = await client.ActivateUserAsync(new UserActivation
        {
            ExternalId = "crm-1001",
            MacAddresses = [scale, monitor],
            Email = "ana@example.com",
            ShortName = "ANA",
            Birthdate = new DateTimeOffset(1984, 3, 9, 0, 0, 0, TimeSpan.Zero),
            Gender = UserGender.Woman,
            HeightMeters = 1.68m,
            WeightKilograms = 61.5m,
            Timezone = "Europe/Paris",
            RedirectUri = redirect,
        }, Ct);
        Assert.Equal("crm-1001", activated.ExternalId);
        Assert.Equal(new[] { scale, monitor }.Order(StringComparer.Ordinal), activated.Devices.Select(d => d.MacAddress!).Order(StringComparer.Ordinal));
        Assert.Equal([17, 47], activated.Devices.Select(d => d.ModelId).Order());

        var tokens = await client.RequestTokenAsync(TokenGrant.AuthorizationCode(activated.Code, redirect), Ct);
        Assert.True(tokens.UserId > 0);
        Assert.Equal("Bearer", tokens.TokenType);
        var userId = tokens.UserId;

        var devices = await client.GetDevicesAsync(tokens.AccessToken, Ct);
        Assert.Equal(new[] { scale, monitor }.Order(StringComparer.Ordinal), devices.Select(d => d.MacAddress!).Order(StringComparer.Ordinal));
        Assert.All(devices, d => Assert.Equal(SimStatus.Active, d.SimStatus));

        await client.EnableFeatureAsync(userId, DeviceModel.BodyPro2, FeatureName.EyesClosedMode, Ct);
        Assert.Equal([new FeatureChoice(FeatureName.EyesClosedMode, true)], await client.GetFeaturesAsync(userId, DeviceModel.BodyPro2, Ct));

        // The end of the programme for the scale: a 30-day countdown, during which the choices still apply.
        var ended = await client.EndPartnerProgramAsync(scale, SimStatus.Terminated, Ct);
        Assert.Equal(SimStatus.PendingTermination, ended.NewSimStatus);
        var terminationDate = time.GetUtcNow().AddDays(30);
        Assert.Equal(terminationDate, ended.TerminationDate);
        Assert.Equal([new FeatureChoice(FeatureName.EyesClosedMode, true)], await client.GetFeaturesAsync(userId, DeviceModel.BodyPro2, Ct));

        time.Advance(TimeSpan.FromDays(30));

        // The access token expired long ago: the partner renews it, and sees the scale terminated.
        tokens = await client.RequestTokenAsync(TokenGrant.RefreshToken(tokens.RefreshToken), Ct);
        Assert.Equal(userId, tokens.UserId);
        devices = await client.GetDevicesAsync(tokens.AccessToken, Ct);
        Assert.Equal(SimStatus.Terminated, devices.Single(d => d.MacAddress == scale).SimStatus);
        Assert.Equal(SimStatus.Active, devices.Single(d => d.MacAddress == monitor).SimStatus);

        // The scale is back to the catalog defaults, and its features cannot be switched any more.
        Assert.Empty(await client.GetFeaturesAsync(userId, DeviceModel.BodyPro2, Ct));
        var refusal = await Assert.ThrowsAsync<BadStateException>(() =>
            client.EnableFeatureAsync(userId, DeviceModel.BodyPro2, FeatureName.Pacemaker, Ct));
        Assert.Equal(524, refusal.Status);
        await client.EnableFeatureAsync(userId, DeviceModel.BpmPro2, FeatureName.RetakeMediumHypertension, Ct);

        var view = await server.Admin.GetUserFeaturesAsync(userId, Ct);
        var scaleView = view.Devices.Single(d => d.MacAddress == scale);
        Assert.Equal("TERMINATED", scaleView.ProgrammeState);
        Assert.Equal(terminationDate, scaleView.TerminationDate);
        Assert.All(scaleView.Features, f =>
        {
            Assert.Equal(FeatureSources.Terminated, f.Source);
            Assert.Equal(f.DefaultOn, f.Active);
        });
        Assert.Contains(scaleView.Features, f => f.FeatureName == FeatureName.EyesClosedMode.Value && f.Choice == true);

        // Who did what and when stays in the audit log.
        var kinds = new List<string>();
        await foreach (var e in server.Admin.ReadAuditAsync(new AuditFilter(ClientId: partner.ClientId), cancellationToken: Ct))
        {
            kinds.Add(e.Kind);
        }

        Assert.Equal(["user.activated", "feature.enabled", "device.programme_changed", "feature.enabled"],
            kinds.Where(k => !k.StartsWith("device.imported", StringComparison.Ordinal) && k != "partner.created"));
    }
}
