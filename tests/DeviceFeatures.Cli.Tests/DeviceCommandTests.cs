using System.Text.Json;
using DeviceFeatures.Protocol.Admin;
using DeviceFeatures.Testing;

namespace DeviceFeatures.Cli.Tests;

public sealed class DeviceCommandTests : IAsyncLifetime
{
    private readonly string _folder = TestFiles.NewFolder();
    private DeviceFeaturesTestServer _server = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync() => _server = await DeviceFeaturesTestServer.StartAsync(cancellationToken: Ct);

    public async ValueTask DisposeAsync() => await _server.DisposeAsync();

    private string WriteFile(string text)
    {
        var path = Path.Combine(_folder, "devices.csv");
        File.WriteAllText(path, text);
        return path;
    }

    [Fact]
    public async Task Import_WritesAReportPerRow_AndARerunSkipsWhatWasImported()
    {
        var partner = _server.DefaultPartner.ClientId;
        var path = WriteFile($"""
            mac_address,model,market,firmware,client_id
            00:24:E4:10:00:01,17,EU,2.0,{partner}
            00-24-e4-10-00-02,body-pro-2,US,,
            0024e4zz0003,17,EU,,
            00:24:e4:10:00:04,17
            """);
        var devfeat = Devfeat.For(_server, withCredentials: false);

        var first = await devfeat.RunAsync(["admin", "devices", "import", path, "--batch-size", "1"]);

        Assert.Equal(1, first.ExitCode);
        Assert.Contains("imported 2, updated 0, skipped 0, refused 2", first.Out);
        Assert.Contains("line 4: refused (invalid_mac_address)", first.Error);
        var report = File.ReadAllLines(path + ".report.csv");
        Assert.Equal("line,mac_address,outcome,code,reason,device_secret", report[0]);
        Assert.Matches("^2,00:24:e4:10:00:01,imported,,,[0-9a-f]{64}$", report[1]);
        Assert.StartsWith("3,00:24:e4:10:00:02,imported,,", report[2]);
        Assert.StartsWith("4,0024e4zz0003,refused,invalid_mac_address,", report[3]);
        Assert.StartsWith("5,,refused,invalid_request,", report[4]);

        var again = await devfeat.RunAsync(["admin", "devices", "import", path, "--json"]);
        var summary = JsonDocument.Parse(again.Out).RootElement;
        Assert.Equal((0, 2, 2), (summary.GetProperty("imported").GetInt32(), summary.GetProperty("skipped").GetInt32(), summary.GetProperty("refused").GetInt32()));
    }

    [Fact]
    public async Task ListShowAssign_OverTheInventory()
    {
        var partner = _server.DefaultPartner.ClientId;
        await _server.Admin.ImportDevicesAsync([new DeviceImportRow("00:24:e4:20:00:01", 47, "EU", "1.5", null)], Ct);
        var devfeat = Devfeat.For(_server, withCredentials: false);

        var unlinked = await devfeat.RunAsync(["admin", "devices", "list", "--linked", "false", "--model", "47", "--json"]);
        Assert.True(unlinked.ExitCode == 0, unlinked.ToString());
        var page = JsonDocument.Parse(unlinked.Out).RootElement.GetProperty("devices");
        Assert.Equal("00:24:e4:20:00:01", Assert.Single(page.EnumerateArray()).GetProperty("mac_address").GetString());

        var assigned = await devfeat.RunAsync(["admin", "devices", "assign", "00-24-E4-20-00-01", "--client-id", partner]);
        Assert.True(assigned.ExitCode == 0, assigned.ToString());
        Assert.Contains($"client_id:   {partner}", assigned.Out);

        var rotated = await devfeat.RunAsync(["admin", "devices", "rotate-credential", "00:24:e4:20:00:01", "--json"]);
        Assert.True(rotated.ExitCode == 0, rotated.ToString());
        Assert.Matches("^[0-9a-f]{64}$", JsonDocument.Parse(rotated.Out).RootElement.GetProperty("device_secret").GetString());

        var shown = await devfeat.RunAsync(["admin", "devices", "show", "0024e4200001"]);
        Assert.Contains("firmware:    1.5", shown.Out);
        Assert.Contains("credential:  yes", shown.Out);
        Assert.Contains("userid:      not linked", shown.Out);

        var mine = await devfeat.RunAsync(["admin", "devices", "list", "--client-id", partner]);
        Assert.Contains("00:24:e4:20:00:01", mine.Out);

        var missing = await devfeat.RunAsync(["admin", "devices", "show", "00:24:e4:20:00:09"]);
        Assert.Equal(5, missing.ExitCode);
        Assert.Contains("(device_not_found)", missing.Error);
        Assert.Equal(2, (await devfeat.RunAsync(["admin", "devices", "assign", "00:24:e4:20:00:01"])).ExitCode);
        var maybe = await devfeat.RunAsync(["admin", "devices", "list", "--linked", "maybe"]);
        Assert.Equal(2, maybe.ExitCode);
        Assert.Contains("--linked: 'maybe' is not true or false", maybe.Error);
    }
}
