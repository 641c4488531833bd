using DeviceFeatures.Client.Admin;
using DeviceFeatures.Protocol.Admin;
using DeviceFeatures.Testing;
using Microsoft.Extensions.Time.Testing;

namespace DeviceFeatures.Client.Tests;

/// <summary>The testing package's state and clock: reset between tests, snapshots, and a clock that moves forward.</summary>
public sealed class TestServerStateTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task ResetAsync_PutsTheServerBackAsItStarted_AndTheDefaultClientStillWorks()
    {
        await using var server = await DeviceFeaturesTestServer.StartAsync(cancellationToken: Ct);
        await server.Client.EnableFeatureAsync(server.UserId, DeviceModel.BodyPro2, FeatureName.Pacemaker, Ct);
        var other = await server.CreatePartnerAsync("Other", Ct);

        await server.ResetAsync(cancellationToken: Ct);

        Assert.Empty(await server.Client.GetFeaturesAsync(server.UserId, DeviceModel.BodyPro2, Ct));
        var partners = await server.Admin.ListPartnersAsync(Ct);
        Assert.Equal([server.DefaultPartner.ClientId], partners.Select(p => p.ClientId));
        await Assert.ThrowsAnyAsync<DeviceFeaturesException>(() => other.Client.GetNonceAsync(Ct));
    }

    [Fact]
    public async Task ResetAsync_RemovesTheFaultRules_AndEmptiesTheJournal()
    {
        await using var server = await DeviceFeaturesTestServer.StartAsync(cancellationToken: Ct);
        await server.Faults.AddAsync(new FaultRuleRequest(Action: "getfeatures", Answer: new FaultAnswer(Status: 522)), Ct);
        await server.Client.GetNonceAsync(Ct);
        Assert.NotEmpty(await server.Journal.EntriesAsync(cancellationToken: Ct));

        await server.ResetAsync(cancellationToken: Ct);

        Assert.Empty(await server.Faults.ListAsync(Ct));
        Assert.Empty(await server.Journal.EntriesAsync(cancellationToken: Ct));
        Assert.Empty(await server.Client.GetFeaturesAsync(server.UserId, DeviceModel.BodyPro2, Ct));
    }

    [Fact]
    public async Task ResetAsync_OfOnePartner_LeavesTheDefaultPartnersChoices()
    {
        await using var server = await DeviceFeaturesTestServer.StartAsync(cancellationToken: Ct);
        await server.Client.EnableFeatureAsync(server.UserId, DeviceModel.BodyPro2, FeatureName.Pacemaker, Ct);
        var other = await server.CreatePartnerAsync("Other", Ct);

        await server.ResetAsync(other.ClientId, Ct);

        Assert.Contains(new FeatureChoice(FeatureName.Pacemaker, true), await server.Client.GetFeaturesAsync(server.UserId, DeviceModel.BodyPro2, Ct));
        await Assert.ThrowsAnyAsync<DeviceFeaturesException>(() => other.Client.GetFeaturesAsync(other.UserId, DeviceModel.BodyPro2, Ct));
        Assert.Matches("^[0-9a-f]{40}$", await other.Client.GetNonceAsync(Ct));
    }

    [Fact]
    public async Task SnapshotAndRestore_GiveBackTheSameAnswers()
    {
        await using var server = await DeviceFeaturesTestServer.StartAsync(cancellationToken: Ct);
        await server.Client.EnableFeatureAsync(server.UserId, DeviceModel.BodyPro2, FeatureName.EyesClosedMode, Ct);
        var snapshot = await server.SnapshotAsync(Ct);
        var before = await server.Client.GetFeaturesAsync(server.UserId, DeviceModel.BodyPro2, Ct);

        await server.Client.DisableFeatureAsync(server.UserId, DeviceModel.BodyPro2, FeatureName.EyesClosedMode, Ct);
        await server.RestoreAsync(snapshot, Ct);

        Assert.Equal(before, await server.Client.GetFeaturesAsync(server.UserId, DeviceModel.BodyPro2, Ct));
    }

    [Fact]
    public async Task ClockAdvance_ExpiresANonceGiven_WhileTheClientKeepsSigning()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 11, 24, 9, 0, 0, TimeSpan.Zero));
        await using var server = await DeviceFeaturesTestServer.StartAsync(new DeviceFeaturesTestServerOptions { TimeProvider = time }, Ct);
        var nonce = await server.Client.GetNonceAsync(Ct);

        server.Clock.Advance(TimeSpan.FromMinutes(31));

        var check = await server.Admin.GetClockAsync(Ct);
        Assert.Equal(time.GetUtcNow() + TimeSpan.FromMinutes(31), check.Now);
        var partner = server.DefaultPartner;
        using var http = new HttpClient();
        using var response = await http.PostAsync(new Uri(server.BaseAddress, "v2/device"), new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["action"] = "getfeatures",
            ["client_id"] = partner.ClientId,
            ["nonce"] = nonce,
            ["signature"] = DeviceFeatures.Protocol.Signing.WithingsSignature.Sign(partner.ClientSecret, "getfeatures", partner.ClientId, nonce),
            ["userid"] = server.UserId.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["model"] = "17",
        }), Ct);
        var answer = DeviceFeatures.Protocol.Envelope.WireEnvelope.TryParse(await response.Content.ReadAsByteArrayAsync(Ct))!;
        Assert.Equal(401, answer.Status);
        Assert.Contains("expired", answer.Error, StringComparison.Ordinal);

        // The clients the server hands out sign on its clock, so they keep working after it moved.
        await server.Client.EnableFeatureAsync(server.UserId, DeviceModel.BodyPro2, FeatureName.Pacemaker, Ct);
        Assert.Throws<ArgumentOutOfRangeException>(() => server.Clock.Advance(TimeSpan.FromSeconds(-1)));
    }

    [Fact]
    public async Task AdminClient_AdvancesTheEmulatorsClock()
    {
        await using var server = await DeviceFeaturesTestServer.StartAsync(cancellationToken: Ct);
        var moved = await server.Admin.AdvanceClockAsync(TimeSpan.FromDays(30), Ct);
        Assert.Equal(TimeSpan.FromDays(30).TotalSeconds, moved.OffsetSeconds);
        await server.Client.EnableFeatureAsync(server.UserId, DeviceModel.BodyPro2, FeatureName.Pacemaker, Ct);

        var refused = await Assert.ThrowsAsync<DeviceFeaturesAdminException>(() => server.Admin.AdvanceClockAsync(TimeSpan.FromSeconds(-5), Ct));
        Assert.Equal(AdminProblemCodes.InvalidRequest, refused.Code);
    }
}
