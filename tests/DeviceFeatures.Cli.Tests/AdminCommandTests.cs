using System.Text.Json;
using DeviceFeatures.Client;
using DeviceFeatures.Testing;

namespace DeviceFeatures.Cli.Tests;

public sealed class AdminCommandTests : IAsyncLifetime
{
    private DeviceFeaturesTestServer _server = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync() => _server = await DeviceFeaturesTestServer.StartAsync(cancellationToken: Ct);

    public async ValueTask DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task Partners_CreateListRotateSuspendResume()
    {
        var devfeat = Devfeat.For(_server, withCredentials: false);
        var created = await devfeat.RunAsync(["admin", "partners", "create", "Acme Health", "--json"]);
        Assert.True(created.ExitCode == 0, created.ToString());
        var partner = JsonDocument.Parse(created.Out).RootElement;
        var clientId = partner.GetProperty("client_id").GetString()!;
        Assert.Matches("^[0-9a-f]{64}$", partner.GetProperty("client_secret").GetString()!);

        var list = await devfeat.RunAsync("admin partners list");
        Assert.Contains("Acme Health", list.Out);
        Assert.Contains(clientId, list.Out);

        var rotated = await devfeat.RunAsync($"admin partners rotate-secret {clientId} --overlap 600");
        Assert.StartsWith("client_secret: ", rotated.Out);
        Assert.Contains("The previous secret is accepted until", rotated.Error);
        Assert.Contains("no longer works", (await devfeat.RunAsync($"admin partners rotate-secret {clientId} --overlap 0")).Error);

        Assert.Equal($"{clientId}: 600 requests per minute", (await devfeat.RunAsync($"admin partners rate-limit {clientId} 600")).Out.Trim());
        Assert.Equal($"{clientId}: unlimited", (await devfeat.RunAsync($"admin partners rate-limit {clientId} 0")).Out.Trim());
        Assert.EndsWith("(the default)", (await devfeat.RunAsync($"admin partners rate-limit {clientId} default")).Out.Trim());
        Assert.Equal(2, (await devfeat.RunAsync($"admin partners rate-limit {clientId} lots")).ExitCode);
        Assert.Equal($"{clientId} is suspended", (await devfeat.RunAsync($"admin partners suspend {clientId}")).Out.Trim());
        Assert.Equal($"{clientId} is active", (await devfeat.RunAsync($"admin partners resume {clientId}")).Out.Trim());

        var missing = await devfeat.RunAsync("admin partners suspend nobody");
        Assert.Equal(5, missing.ExitCode);
        Assert.Contains("(partner_not_found)", missing.Error);
    }

    [Fact]
    public async Task OperatorsCreate_GeneratesAPassword_OrReadsOneFromStdin()
    {
        var devfeat = Devfeat.For(_server, withCredentials: false);
        var generated = await devfeat.RunAsync("admin operators create --name ana --role customer_success --json");
        Assert.True(generated.ExitCode == 0, generated.ToString());
        var created = JsonDocument.Parse(generated.Out).RootElement;
        Assert.Equal(("ana", "customer_success"), (created.GetProperty("name").GetString(), created.GetProperty("role").GetString()));
        Assert.True(created.GetProperty("password").GetString()!.Length >= 12);

        var chosen = await devfeat.RunAsync("admin operators create --name ben --role support --password-stdin", "a password from stdin\n");
        Assert.True(chosen.ExitCode == 0, chosen.ToString());
        Assert.DoesNotContain("password:", chosen.Out);
        Assert.DoesNotContain("a password from stdin", chosen.Out + chosen.Error);

        var again = await devfeat.RunAsync("admin operators create --name ana --role support");
        Assert.NotEqual(0, again.ExitCode);
        Assert.Contains("(operator_exists)", again.Error);
        Assert.Equal(2, (await devfeat.RunAsync("admin operators create --name cid --role root")).ExitCode);
    }

    [Fact]
    public async Task UsersCreate_LinksDevicesGivenAsMacModelMarket()
    {
        var devfeat = Devfeat.For(_server, withCredentials: false);
        var run = await devfeat.RunAsync(["admin", "users", "create", "--client-id", _server.DefaultPartner.ClientId,
            "--device", "00:24:E4:AB:CD:01:body-pro-2:us", "--device", "00:24:e4:ab:cd:02:47:EU"]);
        Assert.True(run.ExitCode == 0, run.ToString());
        var userId = int.Parse(run.Out.Trim(), System.Globalization.CultureInfo.InvariantCulture);

        var user = await _server.Admin.GetUserAsync(userId, Ct);
        Assert.Equal(["00:24:e4:ab:cd:01 17 US", "00:24:e4:ab:cd:02 47 EU"],
            user.Devices.Select(d => $"{d.MacAddress} {d.Model} {d.Market}").Order());

        var bad = await devfeat.RunAsync(["admin", "users", "create", "--client-id", _server.DefaultPartner.ClientId, "--device", "nonsense"]);
        Assert.Equal(2, bad.ExitCode);
        Assert.Contains("MAC:MODEL:MARKET", bad.Error);
    }

    [Fact]
    public async Task Entitlements_GrantListRevoke()
    {
        var devfeat = Devfeat.For(_server, withCredentials: false);
        var clientId = _server.DefaultPartner.ClientId;
        Assert.Equal($"granted feature_esc to {clientId}", (await devfeat.RunAsync($"admin entitlements grant {clientId} esc")).Out.Trim());
        Assert.Contains("feature_esc", (await devfeat.RunAsync($"admin entitlements list {clientId}")).Out);
        await _server.Client.EnableFeatureAsync(_server.UserId, DeviceModel.BodyPro2, FeatureName.ElectrochemicalSkinConductance, Ct);

        Assert.Equal(0, (await devfeat.RunAsync($"admin entitlements revoke {clientId} esc")).ExitCode);
        Assert.Equal("[]", (await devfeat.RunAsync($"admin entitlements list {clientId} --json")).Out.Trim());
        Assert.Equal(5, (await devfeat.RunAsync($"admin entitlements grant {clientId} pwv")).ExitCode);
    }

    [Fact]
    public async Task State_ShowsEveryDevicesEffectiveFeatures()
    {
        await _server.Client.DisableFeatureAsync(_server.UserId, DeviceModel.BodyPro2, FeatureName.FatMass, Ct);
        var run = await Devfeat.For(_server).RunAsync($"admin state --user {_server.UserId}");
        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Matches(@"feature_fat_mass\s*│\s*off\s*│\s*choice", run.Out);
        Assert.Matches(@"feature_esc\s*│\s*off\s*│\s*default\s*│\s*gated feature not granted", run.Out);
        Assert.Contains("BPM Pro 2 (47)", run.Out);
    }

    [Fact]
    public async Task Audit_PrintsExportsAndFilters()
    {
        await _server.Client.EnableFeatureAsync(_server.UserId, DeviceModel.BodyPro2, FeatureName.Pacemaker, Ct);
        var devfeat = Devfeat.For(_server);

        var text = await devfeat.RunAsync($"admin audit --user {_server.UserId}");
        Assert.Contains("feature.enabled  by " + _server.DefaultPartner.ClientId, text.Out);
        Assert.Contains("feature_pacemaker default -> on", text.Out);

        var file = TestFiles.NewPath("audit.jsonl");
        var export = await devfeat.RunAsync(["admin", "audit", "--client-id", _server.DefaultPartner.ClientId, "--export", file]);
        Assert.True(export.ExitCode == 0, export.ToString());
        var lines = await File.ReadAllLinesAsync(file, Ct);
        Assert.Equal(["partner.created", "user.created", "feature.enabled"], lines.Select(l => JsonDocument.Parse(l).RootElement.GetProperty("kind").GetString()));
        Assert.Contains("Exported 3 event(s)", export.Error);
    }

    [Fact]
    public async Task AuditFollow_PrintsNewEventsUntilCancelled()
    {
        var devfeat = Devfeat.For(_server);
        using var stop = new CancellationTokenSource();
        var output = new ConcurrentStringWriter();
        var follow = devfeat.RunUntilAsync(Devfeat.Split($"admin audit --user {_server.UserId} --follow --json"), null, stop.Token, output);

        // The existing event first, then the one made while following.
        await WaitForAsync(() => output.ToString().Contains("user.created", StringComparison.Ordinal), follow);
        await _server.Client.EnableFeatureAsync(_server.UserId, DeviceModel.BodyPro2, FeatureName.PulseWaveVelocity, Ct);
        await WaitForAsync(() => output.ToString().Contains("feature_pwv", StringComparison.Ordinal), follow);

        await stop.CancelAsync();
        var run = await follow;
        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Equal(2, run.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
    }

    private static async Task WaitForAsync(Func<bool> condition, Task running)
    {
        while (!condition())
        {
            Assert.False(running.IsCompleted, "The follower stopped on its own.");
            await Task.Delay(10, Ct);
        }
    }

    [Fact]
    public async Task AdminWithoutKey_IsNotConfigured_AndWrongKeyIsAuthenticationFailed()
    {
        var devfeat = Devfeat.For(_server, withAdminKey: false);
        Assert.Equal(3, (await devfeat.RunAsync("admin partners list")).ExitCode);
        devfeat.Environment["DEVFEAT_ADMIN_KEY"] = "wrong";
        Assert.Equal(4, (await devfeat.RunAsync("admin partners list")).ExitCode);
    }

    [Fact]
    public async Task AdminWithAWrongKey_ShowsWhatTheServerSaysToDo()
    {
        var devfeat = Devfeat.For(_server, withAdminKey: false);
        devfeat.Environment["DEVFEAT_ADMIN_KEY"] = "wrong";
        var run = await devfeat.RunAsync("admin partners list");
        Assert.Equal(4, run.ExitCode);
        Assert.Contains("Admin:ApiKey", run.Error);
        Assert.Contains("(admin_key_invalid)", run.Error);
    }
}
