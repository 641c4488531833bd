using DeviceFeatures.Protocol.Admin;
using DeviceFeatures.Testing;

namespace DeviceFeatures.Client.Tests;

/// <summary>The testing package's emulator powers: fault rules and the request journal, as docs/sdk.md shows them.</summary>
public sealed class TestServerEmulatorTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Faults_AnInjected601_ReachesTheCaller_ThenTheRuleIsSpent()
    {
        await using var server = await DeviceFeaturesTestServer.StartAsync(
            new DeviceFeaturesTestServerOptions { ConfigureClient = o => o.MaxRateLimitRetries = 0 }, Ct);
        await server.Faults.AddAsync(new FaultRuleRequest(Action: "enablefeature",
            Answer: new FaultAnswer(Status: 601, WaitSeconds: 30), Limit: new FaultLimit(Count: 1)), Ct);

        var refused = await Assert.ThrowsAsync<TooManyRequestsException>(() =>
            server.Client.EnableFeatureAsync(server.UserId, DeviceModel.BodyPro2, FeatureName.Pacemaker, Ct));
        Assert.Equal(TimeSpan.FromSeconds(30), refused.WaitSeconds);

        await server.Client.EnableFeatureAsync(server.UserId, DeviceModel.BodyPro2, FeatureName.Pacemaker, Ct);
        Assert.Equal(1, Assert.Single(await server.Faults.ListAsync(Ct)).Injected);
        await server.Faults.ClearAsync(Ct);
        Assert.Empty(await server.Faults.ListAsync(Ct));
    }

    [Fact]
    public async Task Faults_AnInjected522_IsRetriedByTheClient()
    {
        await using var server = await DeviceFeaturesTestServer.StartAsync(
            new DeviceFeaturesTestServerOptions { ConfigureClient = o => o.TransientRetryDelay = TimeSpan.FromMilliseconds(1) }, Ct);
        await server.Faults.AddAsync(new FaultRuleRequest(Action: "enablefeature", Answer: new FaultAnswer(Status: 522), Limit: new FaultLimit(Count: 2)), Ct);

        await server.Client.EnableFeatureAsync(server.UserId, DeviceModel.BodyPro2, FeatureName.Pacemaker, Ct);

        var calls = (await server.Journal.EntriesAsync(server.DefaultPartner.ClientId, Ct)).Where(e => e.Action == "enablefeature").ToArray();
        Assert.Equal([522, 522, 0], calls.Select(e => e.Status));
        Assert.Equal([true, true, false], calls.Select(e => e.Injected));
    }

    [Fact]
    public async Task Journal_ShowsEachCallRedacted_AndExplainsAWrongSecret()
    {
        await using var server = await DeviceFeaturesTestServer.StartAsync(cancellationToken: Ct);
        await server.Client.EnableFeatureAsync(server.UserId, DeviceModel.BodyPro2, FeatureName.Pacemaker, Ct);
        var enabled = Assert.Single(await server.Journal.EntriesAsync(server.DefaultPartner.ClientId, Ct), e => e.Action == "enablefeature");
        Assert.Equal(0, enabled.Status);
        Assert.Equal("***", enabled.Parameters["signature"]);

        var wrong = server.CreateClient(server.DefaultPartner.ClientId, "not-the-secret");
        await Assert.ThrowsAsync<AuthenticationFailedException>(() => wrong.GetNonceAsync(Ct));
        var refused = Assert.Single(await server.Journal.EntriesAsync(server.DefaultPartner.ClientId, Ct), e => e.Status == 101);
        Assert.Equal(SignatureMistakes.WrongSecretOrUnknown, refused.SignatureExplanation!.Mistake);
        Assert.StartsWith($"getnonce,{server.DefaultPartner.ClientId},", refused.SignatureExplanation.ExpectedString);

        await server.Journal.ClearAsync(cancellationToken: Ct);
        Assert.Empty(await server.Journal.EntriesAsync(cancellationToken: Ct));
    }
}
