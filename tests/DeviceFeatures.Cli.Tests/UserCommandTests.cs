using System.Text.Json;
using DeviceFeatures.Client;
using DeviceFeatures.Protocol.Admin;
using DeviceFeatures.Testing;

namespace DeviceFeatures.Cli.Tests;

public sealed class UserCommandTests : IAsyncLifetime
{
    private DeviceFeaturesTestServer _server = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync() => _server = await DeviceFeaturesTestServer.StartAsync(cancellationToken: Ct);

    public async ValueTask DisposeAsync() => await _server.DisposeAsync();

    private async Task ShipAsync(params string[] macs) =>
        await _server.Admin.ImportDevicesAsync(macs.Select(mac => new DeviceImportRow(mac, 17, "EU", null, _server.DefaultPartner.ClientId)), Ct);

    private static string[] ActivateArgs(string externalId, params string[] macs) =>
    [
        "users", "activate", "--external-id", externalId, .. macs.SelectMany(m => new[] { "--mac", m }),
        "--email", "rob@example.com", "--shortname", "ROB", "--birthdate", "1980-05-17", "--gender", "man",
        "--height", "1.83", "--weight", "82.5", "--timezone", "Europe/Paris", "--lang", "fr_FR", "--units", "imperial",
        "--firstname", "Robert", "--redirect-uri", "https://partner.example/cb",
    ];

    [Fact]
    public async Task Activate_PrintsTheCode_AndGetShowsTheProfile()
    {
        await ShipAsync("00:24:e4:cc:00:01");
        var devfeat = Devfeat.For(_server);

        var run = await devfeat.RunAsync(ActivateArgs("crm-1", "00:24:E4:CC:00:01"));

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Matches("^code: [0-9a-f]{40}$", run.Out.Trim());
        Assert.Contains("00:24:e4:cc:00:01", run.Error);
        var code = run.Out.Trim()["code: ".Length..];
        var tokens = await _server.Client.RequestTokenAsync(TokenGrant.AuthorizationCode(code, new Uri("https://partner.example/cb")), Ct);

        var table = await devfeat.RunAsync($"users get --user {tokens.UserId}");
        Assert.True(table.ExitCode == 0, table.ToString());
        Assert.Contains("rob@example.com", table.Out);
        Assert.Contains("Robert ROB", table.Out);
        var json = JsonDocument.Parse((await devfeat.RunAsync("users get --email ROB@example.com --json")).Out).RootElement;
        Assert.Equal("Europe/Paris", json.GetProperty("timezone").GetString());
        Assert.Equal(7, json.GetProperty("unit_pref").GetProperty("height").GetInt32());
    }

    [Fact]
    public async Task Activate_Json_AndRefusals_HaveTheirExitCodes()
    {
        await ShipAsync("00:24:e4:cc:00:02");
        var devfeat = Devfeat.For(_server);

        var json = await devfeat.RunAsync([.. ActivateArgs("crm-2", "00:24:e4:cc:00:02"), "--json"]);
        Assert.True(json.ExitCode == 0, json.ToString());
        var answer = JsonDocument.Parse(json.Out).RootElement;
        Assert.Equal("crm-2", answer.GetProperty("user").GetProperty("external_id").GetString());
        Assert.Equal("Body Pro 2", answer.GetProperty("devices")[0].GetProperty("model").GetString());

        var notYours = await devfeat.RunAsync(ActivateArgs("crm-3", "00:24:e4:cc:00:99"));
        Assert.Equal(5, notYours.ExitCode);
        Assert.Contains("00:24:e4:cc:00:99", notYours.Error);
        var badGender = await devfeat.RunAsync(ActivateArgs("crm-3", "00:24:e4:cc:00:02").Select(a => a == "man" ? "other" : a).ToArray());
        Assert.Equal(2, badGender.ExitCode);
        Assert.Contains("--gender: 'other' is not man or woman", badGender.Error);
        var neither = await devfeat.RunAsync("users get");
        Assert.Equal(2, neither.ExitCode);
        Assert.Contains("--user or --email", neither.Error);
        Assert.Equal(5, (await devfeat.RunAsync("users get --user 999999")).ExitCode);
    }
}
