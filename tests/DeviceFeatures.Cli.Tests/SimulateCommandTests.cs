using System.Text.Json;
using DeviceFeatures.Cli.Commands;
using DeviceFeatures.Cli.Simulation;
using DeviceFeatures.Client;
using DeviceFeatures.Client.Tests;
using DeviceFeatures.Protocol.Admin;
using DeviceFeatures.Testing;

namespace DeviceFeatures.Cli.Tests;

/// <summary><c>device simulate</c> and <c>device fleet</c> against a real server over a socket, on each provider.</summary>
public sealed class SimulateCommandTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>A Body Pro 2 imported for the default partner (with its secret) and linked to a new user.</summary>
    private static async Task<(string Mac, string Secret, int UserId)> DeviceAsync(DeviceFeaturesTestServer server)
    {
        var mac = DeviceFeaturesTestServer.RandomMac();
        var partner = server.DefaultPartner.ClientId;
        var imported = Assert.Single((await server.Admin.ImportDevicesAsync([new DeviceImportRow(mac, 17, "EU", "1.0", partner)], Ct)).Results);
        var userId = await server.CreateUserAsync(partner, [new DeviceLink(mac, 17, "EU")], Ct);
        return (mac, imported.DeviceSecret!, userId);
    }

    private static async Task UntilAsync(Func<bool> condition, Func<string> describe)
    {
        // Waits for the simulator's output; the test's own time-out ends a run that never gets there.
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        limit.CancelAfter(TimeSpan.FromSeconds(60));
        while (!condition())
        {
            if (limit.IsCancellationRequested)
            {
                Assert.Fail("never happened; output so far:\n" + describe());
            }

            await Task.Delay(50, CancellationToken.None);
        }
    }

    [Theory]
    [MemberData(nameof(ProviderServer.Providers), MemberType = typeof(ProviderServer))]
    public async Task Simulate_ReceivesAPartnersChange_AndReportsIt(string provider)
    {
        await using var started = await ProviderServer.StartAsync(provider, new DeviceFeaturesTestServerOptions(), Ct);
        var server = started.Server;
        var (mac, secret, userId) = await DeviceAsync(server);
        var output = new ConcurrentStringWriter();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        var run = Devfeat.For(server, withCredentials: false, withAdminKey: false)
            .RunUntilAsync(["device", "simulate", "--mac", mac, "--secret", secret, "--wait", "20", "--firmware", "3.1"], null, stop.Token, output);

        await UntilAsync(() => output.ToString().Contains("reported version", StringComparison.Ordinal), output.ToString);
        await server.Client.EnableFeatureAsync(userId, DeviceModel.BodyPro2, FeatureName.EyesClosedMode, Ct);
        await UntilAsync(() => output.ToString().Contains("feature_eyes_closed_mode off -> on", StringComparison.Ordinal)
            && output.ToString().Split('\n').Count(l => l.Contains("reported version", StringComparison.Ordinal)) == 2, output.ToString);
        await stop.CancelAsync();
        var result = await run;

        Assert.Equal(130, result.ExitCode);
        Assert.Contains("summary:", output.ToString());
        Assert.Contains("1 feature changes applied, 2 reports (0 failed features)", output.ToString());
        var device = await server.Admin.GetDeviceAsync(mac, Ct);
        Assert.Equal("3.1", device.Firmware);
        Assert.Equal(device.Sync!.ConfigVersion, device.Sync.ReportedVersion);
        Assert.Contains(device.Sync.Features, f => f is { FeatureName: "feature_eyes_closed_mode", Applied: true });
    }

    [Theory]
    [MemberData(nameof(ProviderServer.Providers), MemberType = typeof(ProviderServer))]
    public async Task Simulate_WithFail_ReportsThatFeatureFailed_WithAReason(string provider)
    {
        await using var started = await ProviderServer.StartAsync(provider, new DeviceFeaturesTestServerOptions(), Ct);
        var server = started.Server;
        var (mac, secret, _) = await DeviceAsync(server);

        var result = await Devfeat.For(server, withCredentials: false, withAdminKey: false).RunAsync(
            ["device", "simulate", "--mac", mac, "--secret", secret, "--fail", "eyes_closed_mode", "--fail", "feature_pacemaker", "--wait", "1", "--duration", "2s", "--json"]);

        Assert.True(result.ExitCode == 0, result.ToString());
        var summary = JsonDocument.Parse(result.Out).RootElement;
        Assert.Equal(1, summary.GetProperty("reports").GetInt32());
        Assert.Equal(2, summary.GetProperty("failures_reported").GetInt32());
        Assert.Equal(1, summary.GetProperty("answers").GetProperty("POST report 200").GetInt32());
        var features = (await server.Admin.GetDeviceAsync(mac, Ct)).Sync!.Features;
        Assert.Contains(features, f => f is { FeatureName: "feature_eyes_closed_mode", Applied: false, Reason: DeviceBehaviour.FailureReason });
        Assert.Contains(features, f => f is { FeatureName: "feature_pacemaker", Applied: false });
        Assert.Contains(features, f => f is { FeatureName: "feature_muscle_mass", Applied: true, Reason: null });
    }

    [Theory]
    [MemberData(nameof(ProviderServer.Providers), MemberType = typeof(ProviderServer))]
    public async Task Simulate_OfflineDuringThreeChanges_GetsTheFinalStateInOnePull(string provider)
    {
        await using var started = await ProviderServer.StartAsync(provider, new DeviceFeaturesTestServerOptions(), Ct);
        var server = started.Server;
        var (mac, secret, userId) = await DeviceAsync(server);
        var output = new ConcurrentStringWriter();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        var run = Devfeat.For(server, withCredentials: false, withAdminKey: false)
            .RunUntilAsync(["device", "simulate", "--mac", mac, "--secret", secret, "--offline-for", "8s", "--wait", "20"], null, stop.Token, output);

        // The device goes offline as soon as it has reported its first configuration: the three changes land meanwhile.
        await UntilAsync(() => output.ToString().Contains("reported version", StringComparison.Ordinal), output.ToString);
        await server.Client.EnableFeatureAsync(userId, DeviceModel.BodyPro2, FeatureName.EyesClosedMode, Ct);
        await server.Client.EnableFeatureAsync(userId, DeviceModel.BodyPro2, FeatureName.Pacemaker, Ct);
        await server.Client.EnableFeatureAsync(userId, DeviceModel.BodyPro2, FeatureName.PulseWaveVelocity, Ct);
        await UntilAsync(() => output.ToString().Split('\n').Count(l => l.Contains("reported version", StringComparison.Ordinal)) == 2, output.ToString);
        await stop.CancelAsync();
        await run;

        var caughtUp = Assert.Single(output.ToString().Split('\n'), l => l.Contains(" -> on", StringComparison.Ordinal));
        Assert.Contains("feature_eyes_closed_mode off -> on, feature_pacemaker off -> on, feature_pwv off -> on", caughtUp);
        Assert.Contains("3 feature changes applied, 2 reports", output.ToString());
        var device = await server.Admin.GetDeviceAsync(mac, Ct);
        Assert.Equal(device.Sync!.ConfigVersion, device.Sync.ReportedVersion);
    }

    [Fact]
    public async Task Simulate_WithAWrongSecret_EndsAsAnAuthenticationFailure()
    {
        await using var server = await DeviceFeaturesTestServer.StartAsync(cancellationToken: Ct);
        var (mac, _, _) = await DeviceAsync(server);

        var result = await Devfeat.For(server, withCredentials: false, withAdminKey: false).RunAsync(
            ["device", "simulate", "--mac", mac, "--secret", new string('0', 64), "--duration", "30s"]);

        Assert.Equal(4, result.ExitCode);
        Assert.Contains("device_signature_invalid", result.Error);
    }

    [Theory]
    [MemberData(nameof(ProviderServer.Providers), MemberType = typeof(ProviderServer))]
    public async Task Fleet_OfAFewDevices_PrintsPercentilesAndAnswers(string provider)
    {
        await using var started = await ProviderServer.StartAsync(provider, new DeviceFeaturesTestServerOptions(), Ct);
        var server = started.Server;

        var result = await Devfeat.For(server, withCredentials: false).RunAsync(
            ["device", "fleet", "--count", "4", "--duration", "2s", "--change-rate", "4", "--wait", "10", "--json"]);

        Assert.True(result.ExitCode == 0, result.ToString());
        var summary = JsonDocument.Parse(result.Out).RootElement;
        Assert.Equal(4, summary.GetProperty("devices").GetInt32());
        var changes = summary.GetProperty("changes").GetInt32();
        Assert.True(changes > 0);
        Assert.Equal(changes, summary.GetProperty("arrived").GetInt32());
        Assert.Equal(0, summary.GetProperty("not_arrived").GetInt32());
        Assert.Equal(JsonValueKind.Number, summary.GetProperty("p99_ms").ValueKind);
        Assert.True(summary.GetProperty("p50_ms").GetDouble() <= summary.GetProperty("max_ms").GetDouble());
        var answers = summary.GetProperty("answers");
        Assert.True(answers.GetProperty("GET configuration 200").GetInt32() >= 4 + changes);
        Assert.Equal(changes, answers.EnumerateObject().Where(a => a.Name.EndsWith("feature status 0", StringComparison.Ordinal)).Sum(a => a.Value.GetInt32()));

        // What it leaves behind: its partner and devices, under the prefix it printed.
        var prefix = summary.GetProperty("mac_prefix").GetString()!;
        var page = await server.Admin.ListDevicesAsync(clientId: summary.GetProperty("client_id").GetString(), cancellationToken: Ct);
        Assert.Equal(4, page.Devices.Count);
        Assert.All(page.Devices, d => Assert.StartsWith(prefix, d.MacAddress, StringComparison.Ordinal));
    }

    [Fact]
    public void Fleet_TooBigForTheOpenFileLimit_IsRefusedWithAClearMessage()
    {
        Assert.Null(FileDescriptors.Problem(100, 20_000));
        Assert.Contains("ulimit -n", FileDescriptors.Problem(19_900, 20_000));
    }

    [Theory]
    [InlineData("90s", 90)]
    [InlineData("2m", 120)]
    [InlineData("500ms", 0.5)]
    [InlineData("1h", 3600)]
    [InlineData("15", 15)]
    public void Durations_AreRead(string text, double seconds)
    {
        Assert.True(OptionValues.TryDuration(text, out var value));
        Assert.Equal(seconds, value.TotalSeconds);
    }

    [Theory]
    [InlineData("-5s")]
    [InlineData("soon")]
    [InlineData("3d")]
    public void WrongDurations_AreRefused(string text) => Assert.False(OptionValues.TryDuration(text, out _));

    [Fact]
    public void Percentiles_AreNearestRank()
    {
        double[] values = [5, 1, 4, 2, 3, 6, 7, 8, 9, 10];
        Assert.Equal(5, Percentiles.Of(values, 0.50));
        Assert.Equal(10, Percentiles.Of(values, 0.99));
        Assert.True(double.IsNaN(Percentiles.Of([], 0.5)));
    }
}
