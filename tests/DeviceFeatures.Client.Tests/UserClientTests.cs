using DeviceFeatures.Protocol.Admin;
using DeviceFeatures.Testing;
using Microsoft.Extensions.Time.Testing;

namespace DeviceFeatures.Client.Tests;

/// <summary>The user calls of the SDK against the real server: activate, the two grants, getdevice and get.</summary>
public sealed class UserClientTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static readonly Uri Callback = new("https://partner.example/callback");

    private static async Task<string[]> ShipAsync(DeviceFeaturesTestServer server, params int[] models)
    {
        var macs = models.Select(_ => string.Join(':', Guid.NewGuid().ToByteArray().Take(6).Select(b => b.ToString("x2", System.Globalization.CultureInfo.InvariantCulture))))
            .ToArray();
        var report = await server.Admin.ImportDevicesAsync(
            models.Select((model, i) => new DeviceImportRow(macs[i], model, "EU", "1.2.3", server.DefaultPartner.ClientId)), Ct);
        Assert.Equal(models.Length, report.Imported);
        return macs;
    }

    private static UserActivation Activation(string externalId, params string[] macs) => new()
    {
        ExternalId = externalId,
        MacAddresses = macs,
        Email = "robert@example.com",
        ShortName = "ROB",
        Birthdate = new DateTimeOffset(1980, 5, 17, 0, 0, 0, TimeSpan.Zero),
        Gender = UserGender.Man,
        HeightMeters = 1.83m,
        WeightKilograms = 82.5m,
        Timezone = "Europe/Paris",
        PreferredLanguage = "fr_FR",
        Units = UnitPreferences.Imperial,
        FirstName = "Robert",
        PhoneNumber = "+33612345678",
        Goals = new UserGoals(Steps: 8000, Sleep: TimeSpan.FromHours(8), WeightKilograms: 78.25m),
        RedirectUri = Callback,
    };

    [Fact]
    public async Task Activate_Exchange_GetDevices_AndGetUser_RoundTrip()
    {
        await using var server = await DeviceFeaturesTestServer.StartAsync(cancellationToken: Ct);
        var macs = await ShipAsync(server, 17, 47);

        var activated = await server.Client.ActivateUserAsync(Activation("crm-42", macs), Ct);
        Assert.Equal("crm-42", activated.ExternalId);
        Assert.Equal(["Body Pro 2", "BPM Pro 2"], activated.Devices.Select(d => d.Model));
        Assert.Equal("Scale", activated.Devices[0].Type);

        var tokens = await server.Client.RequestTokenAsync(TokenGrant.AuthorizationCode(activated.Code, Callback), Ct);
        Assert.Equal(TimeSpan.FromSeconds(10800), tokens.ExpiresIn);
        Assert.Equal("Bearer", tokens.TokenType);

        var devices = await server.Client.GetDevicesAsync(tokens.AccessToken, Ct);
        Assert.Equal(macs.Order(), devices.Select(d => d.MacAddress).Order());
        Assert.All(devices, d => Assert.Equal("1.2.3", d.Firmware));

        var profile = await server.Client.GetUserAsync(tokens.UserId, Ct);
        Assert.Equal(("Robert", "ROB", UserGender.Man), (profile.FirstName, profile.LastName, profile.Gender));
        Assert.Equal(UnitPreferences.Imperial, profile.Units);
        Assert.Equal(new DateTimeOffset(1980, 5, 17, 0, 0, 0, TimeSpan.Zero), profile.Birthdate);
        Assert.Equal("+33612345678", (await server.Client.GetUserByEmailAsync("ROBERT@example.com", Ct)).PhoneNumber);

        // The user is a Withings user like any other: its features switch with the device calls.
        await server.Client.EnableFeatureAsync(tokens.UserId, DeviceModel.BodyPro2, FeatureName.EyesClosedMode, Ct);
    }

    [Fact]
    public async Task RefreshToken_Rotates_AndTheOldOneIsRefused()
    {
        await using var server = await DeviceFeaturesTestServer.StartAsync(cancellationToken: Ct);
        var macs = await ShipAsync(server, 17);
        var code = (await server.Client.ActivateUserAsync(Activation("crm-7", macs), Ct)).Code;
        var first = await server.Client.RequestTokenAsync(TokenGrant.AuthorizationCode(code, Callback), Ct);

        var second = await server.Client.RequestTokenAsync(TokenGrant.RefreshToken(first.RefreshToken), Ct);

        Assert.Equal(first.UserId, second.UserId);
        Assert.NotEqual(first.RefreshToken, second.RefreshToken);
        var refused = await Assert.ThrowsAsync<InvalidParamsException>(() => server.Client.RequestTokenAsync(TokenGrant.RefreshToken(first.RefreshToken), Ct));
        Assert.Equal(283, refused.Status);
        Assert.NotEmpty(await server.Client.GetDevicesAsync(second.AccessToken, Ct));
    }

    [Fact]
    public async Task Refusals_AreTypedByFamily()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 11, 24, 9, 0, 0, TimeSpan.Zero));
        await using var server = await DeviceFeaturesTestServer.StartAsync(new DeviceFeaturesTestServerOptions { TimeProvider = time }, Ct);
        var macs = await ShipAsync(server, 17);

        var notMine = await Assert.ThrowsAsync<InvalidParamsException>(() => server.Client.ActivateUserAsync(Activation("crm-1", "00:24:e4:00:00:99"), Ct));
        Assert.Equal(507, notMine.Status);
        Assert.Contains("00:24:e4:00:00:99", notMine.Error);
        var invalid = await Assert.ThrowsAsync<InvalidParamsException>(() =>
            server.Client.ActivateUserAsync(Activation("crm-1", macs) with { ShortName = "ROBERT" }, Ct));
        Assert.Contains("'shortname'", invalid.Error);

        var code = (await server.Client.ActivateUserAsync(Activation("crm-1", macs), Ct)).Code;
        time.Advance(TimeSpan.FromMinutes(11));
        var expired = await Assert.ThrowsAsync<InvalidParamsException>(() => server.Client.RequestTokenAsync(TokenGrant.AuthorizationCode(code, Callback), Ct));
        Assert.Equal(283, expired.Status);

        var wrongSecret = server.CreateClient(server.DefaultPartner.ClientId, "not-the-secret");
        var unauthorized = await Assert.ThrowsAsync<UnauthorizedException>(() => wrongSecret.RequestTokenAsync(TokenGrant.RefreshToken("x"), Ct));
        Assert.Equal(277, unauthorized.Status);
        Assert.Equal(283, (await Assert.ThrowsAsync<InvalidParamsException>(() => server.Client.GetDevicesAsync("unknown-token", Ct))).Status);
    }

    [Fact]
    public async Task GetUser_ReadsABirthdateBefore1902()
    {
        await using var server = await DeviceFeaturesTestServer.StartAsync(cancellationToken: Ct);
        var macs = await ShipAsync(server, 17);
        var born = new DateTimeOffset(1900, 6, 1, 0, 0, 0, TimeSpan.Zero);
        var code = (await server.Client.ActivateUserAsync(Activation("crm-1900", macs) with { Birthdate = born }, Ct)).Code;
        var tokens = await server.Client.RequestTokenAsync(TokenGrant.AuthorizationCode(code, Callback), Ct);

        Assert.Equal(born, (await server.Client.GetUserAsync(tokens.UserId, Ct)).Birthdate);
    }

    [Fact]
    public void Measures_AreSentAsWholeValuesWithTheirExponent()
    {
        Assert.Equal((183L, -2), UserWire.ToMeasure(1.83m));
        Assert.Equal((825L, -1), UserWire.ToMeasure(82.5m));
        Assert.Equal((80L, 0), UserWire.ToMeasure(80m));
    }
}
