using System.Text.Json;
using DeviceFeatures.Client;
using DeviceFeatures.Testing;

namespace DeviceFeatures.Cli.Tests;

public sealed class EmulatorCommandTests : IAsyncLifetime
{
    private DeviceFeaturesTestServer _server = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync() => _server = await DeviceFeaturesTestServer.StartAsync(cancellationToken: Ct);

    public async ValueTask DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task SnapshotResetRestore_GiveBackTheSameAnswers()
    {
        var devfeat = Devfeat.For(_server);
        await _server.Client.EnableFeatureAsync(_server.UserId, DeviceModel.BodyPro2, FeatureName.Pacemaker, Ct);
        var file = TestFiles.NewPath("snapshot.json");

        var saved = await devfeat.RunAsync(["emulator", "snapshot", "--out", file]);
        Assert.True(saved.ExitCode == 0, saved.ToString());
        Assert.Contains("1 partner(s), 1 user(s), 2 device(s)", saved.Error);
        Assert.Contains(_server.DefaultPartner.ClientSecret, await File.ReadAllTextAsync(file, Ct));

        var reset = await devfeat.RunAsync("emulator reset --json");
        Assert.True(reset.ExitCode == 0, reset.ToString());
        Assert.Equal(1, JsonDocument.Parse(reset.Out).RootElement.GetProperty("removed").GetProperty("partners").GetInt32());

        var restored = await devfeat.RunAsync(["emulator", "restore", file]);
        Assert.True(restored.ExitCode == 0, restored.ToString());
        Assert.Contains("Restored 1 partner(s), 1 user(s), 2 device(s), 1 choice(s)", restored.Out);
        Assert.Contains(new FeatureChoice(FeatureName.Pacemaker, true), await _server.Client.GetFeaturesAsync(_server.UserId, DeviceModel.BodyPro2, Ct));
    }

    [Fact]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public async Task Snapshot_IsWrittenReadableByItsOwnerOnly()
    {
        Assert.SkipWhen(OperatingSystem.IsWindows(), "File modes are a Unix matter.");
        var file = TestFiles.NewPath("private-snapshot.json");
        await File.WriteAllTextAsync(file, "old", Ct);
        File.SetUnixFileMode(file, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);

        var saved = await Devfeat.For(_server).RunAsync(["emulator", "snapshot", "--out", file]);
        Assert.True(saved.ExitCode == 0, saved.ToString());
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(file));
        Assert.Contains(_server.DefaultPartner.ClientSecret, await File.ReadAllTextAsync(file, Ct));

        var fresh = TestFiles.NewPath("fresh-snapshot.json");
        Assert.Equal(0, (await Devfeat.For(_server).RunAsync(["emulator", "snapshot", "--out", fresh])).ExitCode);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(fresh));
    }

    [Fact]
    public async Task ResetOfOnePartner_KeepsThePartner()
    {
        var run = await Devfeat.For(_server).RunAsync($"emulator reset --client-id {_server.DefaultPartner.ClientId}");
        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Contains($"Removed 0 partner(s), 1 user(s), 2 device(s), 0 choice(s) of {_server.DefaultPartner.ClientId}", run.Out);
        Assert.Single(await _server.Admin.ListPartnersAsync(Ct));

        var unknown = await Devfeat.For(_server).RunAsync("emulator reset --client-id nobody");
        Assert.Equal(5, unknown.ExitCode);
        Assert.Contains("partner_not_found", unknown.Error);
    }

    [Fact]
    public async Task Clock_ShowsAndAdvances_ByDurationOrSeconds()
    {
        var devfeat = Devfeat.For(_server);
        var shown = await devfeat.RunAsync("emulator clock");
        Assert.True(shown.ExitCode == 0, shown.ToString());
        Assert.Contains("offset: 00:00:00", shown.Out);

        var moved = await devfeat.RunAsync("emulator clock --advance PT10M --json");
        Assert.Equal(600, JsonDocument.Parse(moved.Out).RootElement.GetProperty("offset_seconds").GetDouble());
        moved = await devfeat.RunAsync("emulator clock --advance 30");
        Assert.Contains("offset: 00:10:30", moved.Out);

        var backwards = await devfeat.RunAsync("emulator clock --advance -PT1M");
        Assert.Equal(2, backwards.ExitCode);

        // More than a century, as a duration as well as in seconds, is a usage error before anything is sent.
        Assert.Equal(2, (await devfeat.RunAsync("emulator clock --advance P40000D")).ExitCode);
        Assert.Equal(2, (await devfeat.RunAsync("emulator clock --advance 4000000000")).ExitCode);
        Assert.Contains("offset: 00:10:30", (await devfeat.RunAsync("emulator clock")).Out);
    }

    [Fact]
    public async Task Restore_OfAFileThatIsNotASnapshot_IsAUsageError()
    {
        var file = TestFiles.NewPath("bad.json");
        await File.WriteAllTextAsync(file, "{ \"partners\": 3 }", Ct);
        var run = await Devfeat.For(_server).RunAsync(["emulator", "restore", file]);
        Assert.Equal(2, run.ExitCode);
        Assert.Contains("is not a snapshot", run.Error);
    }
}
