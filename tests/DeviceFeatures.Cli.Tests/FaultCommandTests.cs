using System.Text.Json;
using DeviceFeatures.Client;
using DeviceFeatures.Testing;

namespace DeviceFeatures.Cli.Tests;

/// <summary><c>devfeat faults ...</c> and <c>devfeat journal</c> against a real in-process server.</summary>
public sealed class FaultCommandTests : IAsyncLifetime
{
    private DeviceFeaturesTestServer _server = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync() => _server = await DeviceFeaturesTestServer.StartAsync(
        new DeviceFeaturesTestServerOptions { ConfigureClient = o => o.MaxRateLimitRetries = 0 }, Ct);

    public async ValueTask DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task FaultsAddListClear()
    {
        var devfeat = Devfeat.For(_server, withCredentials: false);
        var add = await devfeat.RunAsync("faults add --action enablefeature --status 601 --wait-seconds 30 --count 3 --seed 7");
        Assert.True(add.ExitCode == 0, add.ToString());
        Assert.Equal("f1: action=enablefeature -> status 601 (wait_seconds 30), 3 time(s) at most", add.Out.Trim());

        await Assert.ThrowsAsync<TooManyRequestsException>(() =>
            _server.Client.EnableFeatureAsync(_server.UserId, DeviceModel.BodyPro2, FeatureName.Pacemaker, Ct));
        var listed = await devfeat.RunAsync("faults list --json");
        Assert.True(listed.ExitCode == 0, listed.ToString());
        var rule = JsonDocument.Parse(listed.Out).RootElement.EnumerateArray().Single();
        Assert.Equal(("f1", 1), (rule.GetProperty("id").GetString(), rule.GetProperty("injected").GetInt32()));
        Assert.Contains("f1", (await devfeat.RunAsync("faults list")).Out);

        var refused = await devfeat.RunAsync("faults add --action getnonce");
        Assert.Equal(5, refused.ExitCode);
        Assert.Contains("'answer'", refused.Error);
        Assert.Contains("(invalid_request)", refused.Error);
        Assert.Equal(2, (await devfeat.RunAsync("faults add --status 522 --probability 2")).ExitCode);

        Assert.Equal(0, (await devfeat.RunAsync("faults clear f1")).ExitCode);
        Assert.Equal(5, (await devfeat.RunAsync("faults clear f1")).ExitCode);
        await devfeat.RunAsync("faults add --drop");
        Assert.Equal(0, (await devfeat.RunAsync("faults clear")).ExitCode);
        Assert.Equal("[]", (await devfeat.RunAsync("faults list --json")).Out.Trim());
    }

    [Fact]
    public async Task Journal_ShowsCalls_ExplainsARefusedSignature_AndClears()
    {
        var devfeat = Devfeat.For(_server, withCredentials: false);
        var clientId = _server.DefaultPartner.ClientId;
        await _server.Client.EnableFeatureAsync(_server.UserId, DeviceModel.BodyPro2, FeatureName.Pacemaker, Ct);
        var wrong = _server.CreateClient(clientId, "not-the-secret");
        await Assert.ThrowsAsync<AuthenticationFailedException>(() => wrong.GetNonceAsync(Ct));

        var journal = await devfeat.RunAsync(["journal", "--client-id", clientId]);
        Assert.True(journal.ExitCode == 0, journal.ToString());
        Assert.Contains($"{clientId} device enablefeature -> status 0", journal.Out);
        Assert.Contains($"sign exactly: getnonce,{clientId},", journal.Out);
        Assert.Contains("mistake: wrong_secret_or_unknown", journal.Out);

        var refused = await devfeat.RunAsync("journal --status 101 --json");
        var entry = JsonDocument.Parse(refused.Out.Trim()).RootElement;
        Assert.Equal("***", entry.GetProperty("parameters").GetProperty("signature").GetString());

        Assert.Equal(0, (await devfeat.RunAsync(["journal", "clear", "--client-id", clientId])).ExitCode);
        Assert.Equal("", (await devfeat.RunAsync(["journal", "--client-id", clientId])).Out);
    }

    [Fact]
    public async Task JournalFollow_PrintsNewRequestsUntilCancelled()
    {
        var devfeat = Devfeat.For(_server, withCredentials: false);
        await _server.Journal.ClearAsync(cancellationToken: Ct);
        using var stop = new CancellationTokenSource();
        var output = new ConcurrentStringWriter();
        var follow = devfeat.RunUntilAsync(Devfeat.Split($"journal --client-id {_server.DefaultPartner.ClientId} --action enablefeature --follow --json"), null, stop.Token, output);

        await _server.Client.EnableFeatureAsync(_server.UserId, DeviceModel.BodyPro2, FeatureName.PulseWaveVelocity, Ct);
        while (!output.ToString().Contains("feature_pwv", StringComparison.Ordinal))
        {
            Assert.False(follow.IsCompleted, "The follower stopped on its own.");
            await Task.Delay(10, Ct);
        }

        await _server.Client.EnableFeatureAsync(_server.UserId, DeviceModel.BodyPro2, FeatureName.Pacemaker, Ct);
        while (!output.ToString().Contains("feature_pacemaker", StringComparison.Ordinal))
        {
            Assert.False(follow.IsCompleted, "The follower stopped on its own.");
            await Task.Delay(10, Ct);
        }

        await stop.CancelAsync();
        var run = await follow;
        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Equal(2, run.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
    }
}
