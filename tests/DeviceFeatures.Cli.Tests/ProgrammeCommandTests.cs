using System.Text.Json;
using DeviceFeatures.Client;
using DeviceFeatures.Testing;

namespace DeviceFeatures.Cli.Tests;

public sealed class ProgrammeCommandTests : IAsyncLifetime
{
    private DeviceFeaturesTestServer _server = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync() => _server = await DeviceFeaturesTestServer.StartAsync(cancellationToken: Ct);

    public async ValueTask DisposeAsync() => await _server.DisposeAsync();

    private async Task<string> MacAsync() => (await _server.Admin.GetUserAsync(_server.UserId, Ct)).Devices.First(d => d.Model == 17).MacAddress;

    [Fact]
    public async Task EndProgramme_Standby_PrintsTheNewStatus_AndTerminatedItsDate()
    {
        var mac = await MacAsync();
        var devfeat = Devfeat.For(_server);

        var standby = await devfeat.RunAsync($"devices end-programme {mac} --status standby");
        Assert.True(standby.ExitCode == 0, standby.ToString());
        Assert.Equal($"{mac}: STANDBY", standby.Out.Trim());

        var terminated = await devfeat.RunAsync($"devices end-programme {mac} -s TERMINATED --json");
        Assert.True(terminated.ExitCode == 0, terminated.ToString());
        var answer = JsonDocument.Parse(terminated.Out).RootElement;
        Assert.Equal("PENDING_TERMINATION", answer.GetProperty("new_sim_status").GetString());
        Assert.True(answer.GetProperty("termination_date").GetInt64() > DateTimeOffset.UtcNow.AddDays(29).ToUnixTimeSeconds());

        var refused = await devfeat.RunAsync($"devices end-programme {mac} --status active");
        Assert.Equal(5, refused.ExitCode);
        Assert.Contains("PENDING_TERMINATION", refused.Error);

        var shown = await devfeat.RunAsync($"admin devices show {mac}");
        Assert.Contains("programme:   PENDING_TERMINATION (termination ", shown.Out);
    }

    [Fact]
    public async Task EndProgramme_UnknownStatus_IsAUsageError()
    {
        var run = await Devfeat.For(_server).RunAsync($"devices end-programme {await MacAsync()} --status paused");
        Assert.Equal(2, run.ExitCode);
        Assert.Contains("paused", run.Error);
    }

    [Fact]
    public async Task AdminProgramme_SetListClear()
    {
        var clientId = _server.DefaultPartner.ClientId;
        var devfeat = Devfeat.For(_server);

        var set = await devfeat.RunAsync($"admin programme set {clientId} pwv on --model body-pro-2");
        Assert.True(set.ExitCode == 0, set.ToString());
        Assert.Contains("feature_pwv on for every Body Pro 2 (model 17)", set.Out);
        Assert.Contains(new FeatureChoice(new FeatureName("feature_pwv"), true), await _server.Client.GetFeaturesAsync(_server.UserId, 17, Ct));

        var list = await devfeat.RunAsync($"admin programme list {clientId} --json");
        var choices = JsonDocument.Parse(list.Out).RootElement;
        Assert.Equal("feature_pwv", Assert.Single(choices.EnumerateArray()).GetProperty("feature_name").GetString());

        var cleared = await devfeat.RunAsync($"admin programme clear {clientId} feature_pwv -m 17");
        Assert.True(cleared.ExitCode == 0, cleared.ToString());
        Assert.Empty(await _server.Admin.ListProgrammeChoicesAsync(clientId, Ct));

        var gated = await devfeat.RunAsync($"admin programme set {clientId} esc on -m 17");
        Assert.Equal(5, gated.ExitCode);
        Assert.Contains("(feature_not_granted)", gated.Error);

        var empty = await devfeat.RunAsync($"admin programme list {clientId}");
        Assert.Contains("No programme choice", empty.Error);
    }
}
