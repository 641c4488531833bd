using System.Text.Json;
using DeviceFeatures.Client;
using DeviceFeatures.Testing;

namespace DeviceFeatures.Cli.Tests;

public sealed class FeatureCommandTests : IAsyncLifetime
{
    private DeviceFeaturesTestServer _server = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync() => _server = await DeviceFeaturesTestServer.StartAsync(cancellationToken: Ct);

    public async ValueTask DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task Enable_WithShortNames_SwitchesTheFeature()
    {
        var run = await Devfeat.For(_server).RunAsync($"enable eyes_closed_mode --user {_server.UserId} --model body-pro-2");
        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Equal($"enabled feature_eyes_closed_mode for user {_server.UserId} on Body Pro 2 (model 17)", run.Out.Trim());
        Assert.Contains(new FeatureChoice(FeatureName.EyesClosedMode, true), await _server.Client.GetFeaturesAsync(_server.UserId, 17, Ct));
    }

    [Fact]
    public async Task DisableThenList_ShowsTheChoice_AsTableAndJson()
    {
        var devfeat = Devfeat.For(_server);
        Assert.Equal(0, (await devfeat.RunAsync($"disable fat_mass -u {_server.UserId} -m 17")).ExitCode);

        var table = await devfeat.RunAsync($"list --user {_server.UserId} --model 17");
        Assert.Matches(@"feature_fat_mass\s*│\s*off", table.Out);

        var json = await devfeat.RunAsync($"list --user {_server.UserId} --model 17 --json");
        var features = JsonDocument.Parse(json.Out).RootElement.GetProperty("features");
        Assert.Equal("feature_fat_mass", features[0].GetProperty("feature_name").GetString());
        Assert.False(features[0].GetProperty("active").GetBoolean());
    }

    [Fact]
    public async Task List_WithNoChoice_SaysSoOnStandardError()
    {
        var run = await Devfeat.For(_server).RunAsync($"list --user {_server.UserId} --model bpm-pro-2");
        Assert.Equal(0, run.ExitCode);
        Assert.Equal("", run.Out);
        Assert.Contains("No choice recorded", run.Error);
    }

    [Fact]
    public async Task Credentials_FromOptions_OverrideTheEnvironment()
    {
        var devfeat = Devfeat.For(_server);
        devfeat.Environment["DEVFEAT_CLIENT_SECRET"] = "wrong";
        var wrong = await devfeat.RunAsync("nonce");
        Assert.Equal(4, wrong.ExitCode);
        Assert.Contains("error: Authentication failed: invalid signature", wrong.Error);

        var right = await devfeat.RunAsync(["nonce", "--client-secret", _server.DefaultPartner.ClientSecret]);
        Assert.Equal(0, right.ExitCode);
        Assert.Matches("^[0-9a-f]{40}$", right.Out.Trim());
    }

    [Fact]
    public async Task Configure_WritesAPrivateProfile_AndNeverEchoesTheSecret()
    {
        var devfeat = Devfeat.For(_server, withCredentials: false);
        var secret = _server.DefaultPartner.ClientSecret;
        var configure = await devfeat.RunAsync(
            ["configure", "--endpoint", _server.BaseAddress.ToString(), "--client-id", _server.DefaultPartner.ClientId, "--client-secret-stdin"],
            input: secret + "\n");
        Assert.True(configure.ExitCode == 0, configure.ToString());
        Assert.DoesNotContain(secret, configure.Out + configure.Error);
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(devfeat.ProfilePath));
        }

        devfeat.Environment.Remove("DEVFEAT_ENDPOINT");
        var run = await devfeat.RunAsync($"enable pacemaker --user {_server.UserId} --model 17");
        Assert.True(run.ExitCode == 0, run.ToString());
    }

    [Fact]
    public async Task NamedProfiles_AreKeptApart()
    {
        var devfeat = Devfeat.For(_server, withCredentials: false);
        await devfeat.RunAsync(["configure", "--profile", "staging", "--client-id", _server.DefaultPartner.ClientId, "--client-secret", _server.DefaultPartner.ClientSecret]);

        Assert.Equal(3, (await devfeat.RunAsync("nonce")).ExitCode);
        Assert.Equal(0, (await devfeat.RunAsync("nonce --profile staging")).ExitCode);
        devfeat.Environment["DEVFEAT_PROFILE"] = "staging";
        Assert.Equal(0, (await devfeat.RunAsync("nonce")).ExitCode);
    }

    [Fact]
    public async Task EmptyProfileVariable_MeansTheDefaultProfile()
    {
        var devfeat = Devfeat.For(_server, withCredentials: false);
        await devfeat.RunAsync(["configure", "--client-id", _server.DefaultPartner.ClientId, "--client-secret", _server.DefaultPartner.ClientSecret]);
        devfeat.Environment["DEVFEAT_PROFILE"] = "";
        Assert.Equal(0, (await devfeat.RunAsync("nonce")).ExitCode);
    }

    [Fact]
    public async Task ConfigureAdminUrlAlone_IsSaved()
    {
        var devfeat = Devfeat.For(_server);
        var run = await devfeat.RunAsync(["configure", "--admin-url", _server.BaseAddress.ToString(), "--json"]);
        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Contains(_server.BaseAddress.ToString().TrimEnd('/'), await File.ReadAllTextAsync(devfeat.ProfilePath, Ct));
    }

    [Fact]
    public async Task BrokenProfilesFile_StopsOnlyTheCommandsThatNeedIt()
    {
        var devfeat = Devfeat.For(_server, withCredentials: false);
        Directory.CreateDirectory(Path.GetDirectoryName(devfeat.ProfilePath)!);
        await File.WriteAllTextAsync(devfeat.ProfilePath, "{ not json", Ct);

        Assert.Equal(0, (await devfeat.RunAsync("catalog")).ExitCode);
        var nonce = await devfeat.RunAsync("nonce");
        Assert.Equal(3, nonce.ExitCode);
        Assert.Contains("not valid JSON", nonce.Error);
    }

    [Fact]
    public async Task AdminCommand_AgainstAnUnreachableServer_IsUnavailable()
    {
        var devfeat = Devfeat.For(_server);
        devfeat.Environment["DEVFEAT_ENDPOINT"] = "http://127.0.0.1:9/";
        var run = await devfeat.RunAsync("admin partners list");
        Assert.True(run.ExitCode == 6, run.ToString());
        Assert.Contains("could not be reached", run.Error);
    }

    [Fact]
    public async Task MissingCredentials_AreNotConfigured()
    {
        var run = await Devfeat.For(_server, withCredentials: false).RunAsync($"enable pacemaker --user {_server.UserId} --model 17");
        Assert.Equal(3, run.ExitCode);
        Assert.Contains("devfeat configure", run.Error);
    }

    [Theory]
    [InlineData("enable time_travel --user USER --model 17", 5, "unknown feature_name 'feature_time_travel'")]
    [InlineData("enable pacemaker --user 2000000000 --model 17", 5, "absent, or incorrect")]
    [InlineData("enable esc --user USER --model 17", 5, "needs a grant")]
    [InlineData("enable pacemaker --user USER --model toaster", 2, "'toaster' is not a device model")]
    [InlineData("enable pacemaker --model 17", 2, "--user")]
    [InlineData("enable 'bad name' --user USER --model 17", 2, "")]
    [InlineData("frobnicate", 2, "")]
    public async Task Refusals_AndUsageErrors_HaveNamedExitCodes(string commandLine, int exitCode, string message)
    {
        var run = await Devfeat.For(_server).RunAsync(commandLine.Replace("USER", _server.UserId.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal));
        Assert.True(run.ExitCode == exitCode, run.ToString());
        Assert.Contains(message, run.Error);
        Assert.Equal("", run.Out);
    }

    [Fact]
    public async Task Refusal_WithJson_IsAJsonErrorOnStandardError()
    {
        var run = await Devfeat.For(_server).RunAsync($"enable time_travel --user {_server.UserId} --model 17 --json");
        Assert.Equal(5, run.ExitCode);
        var error = JsonDocument.Parse(run.Error).RootElement;
        Assert.Equal(504, error.GetProperty("status").GetInt32());
        Assert.Equal(5, error.GetProperty("exit_code").GetInt32());
    }

    [Fact]
    public async Task UnreachableEndpoint_IsUnavailable()
    {
        var devfeat = Devfeat.For(_server);
        devfeat.Environment["DEVFEAT_ENDPOINT"] = "http://127.0.0.1:9/";
        var run = await devfeat.RunAsync("nonce");
        Assert.Equal(6, run.ExitCode);
    }

    [Fact]
    public async Task Catalog_ListsEveryFeature()
    {
        var run = await new Devfeat().RunAsync("catalog --json");
        Assert.Equal(0, run.ExitCode);
        var features = JsonDocument.Parse(run.Out).RootElement;
        Assert.Equal(17, features.GetArrayLength());
        var nhs = features.EnumerateArray().Single(f => f.GetProperty("feature_name").GetString() == "feature_nhs");
        Assert.Equal("EU", nhs.GetProperty("markets")[0].GetString());

        var table = await new Devfeat().RunAsync("catalog --model sleep-sensor");
        Assert.Contains("feature_sleep_rx", table.Out);
        Assert.Contains("grant needed", table.Out);
        Assert.DoesNotContain("feature_pacemaker", table.Out);
    }

    [Fact]
    public async Task Help_ListsTheExitCodes()
    {
        var run = await new Devfeat().RunAsync("--help");
        Assert.Equal(0, run.ExitCode);
        Assert.Contains("Exit codes:", run.Out);
        Assert.Contains("7  rate limited", run.Out);
    }
}
