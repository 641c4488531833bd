using System.Text.Json;
using DeviceFeatures.Client;
using DeviceFeatures.Testing;

namespace DeviceFeatures.Cli.Tests;

public sealed class ChangeEventCommandTests : IAsyncLifetime
{
    private DeviceFeaturesTestServer _server = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync() => _server = await DeviceFeaturesTestServer.StartAsync(cancellationToken: Ct);

    public async ValueTask DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task CallbackSetAndClear_EventsListAndReplay()
    {
        var devfeat = Devfeat.For(_server, withCredentials: false);
        var clientId = _server.DefaultPartner.ClientId;

        // Port 1 refuses connections: the event stays pending, retried on the schedule.
        var set = await devfeat.RunAsync($"admin partners callback set {clientId} http://127.0.0.1:1/events");
        Assert.True(set.ExitCode == 0, set.ToString());
        Assert.Equal($"{clientId}: change events go to http://127.0.0.1:1/events", set.Out.Trim());
        Assert.Contains("http://127.0.0.1:1/events", (await devfeat.RunAsync("admin partners list")).Out);
        Assert.Equal(2, (await devfeat.RunAsync($"admin partners callback set {clientId} not-a-url")).ExitCode);

        await _server.Client.EnableFeatureAsync(_server.UserId, DeviceModel.BodyPro2, FeatureName.EyesClosedMode, Ct);
        var listed = await devfeat.RunAsync(["admin", "events", "list", "--client-id", clientId, "--json"]);
        Assert.True(listed.ExitCode == 0, listed.ToString());
        var e = JsonDocument.Parse(listed.Out).RootElement.EnumerateArray().Single();
        Assert.Equal(("feature.changed", "feature_eyes_closed_mode"), (e.GetProperty("type").GetString(), e.GetProperty("feature_name").GetString()));
        var eventId = e.GetProperty("event_id").GetString()!;

        Assert.Equal($"{clientId}: no callback URL", (await devfeat.RunAsync($"admin partners callback clear {clientId}")).Out.Trim());
        var parked = await devfeat.RunAsync(["admin", "events", "list", "--client-id", clientId, "--state", "parked"]);
        Assert.Contains(eventId, parked.Out);
        Assert.Equal(2, (await devfeat.RunAsync("admin events list --state lost")).ExitCode);

        var refused = await devfeat.RunAsync($"admin events replay {eventId}");
        Assert.NotEqual(0, refused.ExitCode);
        Assert.Contains("(callback_not_set)", refused.Error);

        await devfeat.RunAsync($"admin partners callback set {clientId} http://127.0.0.1:1/events");
        var replayed = await devfeat.RunAsync($"admin events replay {eventId}");
        Assert.True(replayed.ExitCode == 0, replayed.ToString());
        Assert.Equal($"{eventId} (feature.changed) is pending", replayed.Out.Trim());
    }
}
