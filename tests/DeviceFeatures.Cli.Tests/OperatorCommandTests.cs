using System.Text.Json;
using DeviceFeatures.Testing;

namespace DeviceFeatures.Cli.Tests;

public sealed class OperatorCommandTests : IAsyncLifetime
{
    private DeviceFeaturesTestServer _server = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync() => _server = await DeviceFeaturesTestServer.StartAsync(cancellationToken: Ct);

    public async ValueTask DisposeAsync() => await _server.DisposeAsync();

    // A sign-in at the console as a browser does it: the form's token, then the form; a redirect is a session.
    private async Task<bool> SignsInAsync(string name, string password)
    {
        using var http = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false, CookieContainer = new System.Net.CookieContainer() })
        {
            BaseAddress = _server.BaseAddress,
        };
        var page = await http.GetStringAsync("/console/sign-in", Ct);
        var token = System.Text.RegularExpressions.Regex.Match(page, "name=\"__RequestVerificationToken\" type=\"hidden\" value=\"([^\"]+)\"").Groups[1].Value;
        using var form = new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["Name"] = name,
            ["Password"] = password,
            ["__RequestVerificationToken"] = token,
        });
        using var response = await http.PostAsync("/console/sign-in", form, Ct);
        return response.StatusCode == System.Net.HttpStatusCode.Redirect;
    }

    [Fact]
    public async Task Operators_ListShowSetRoleDisableEnableUnlockResetDelete()
    {
        var devfeat = Devfeat.For(_server, withCredentials: false);
        Assert.Equal(0, (await devfeat.RunAsync("admin operators create --name root --role administrator")).ExitCode);
        Assert.Equal(0, (await devfeat.RunAsync("admin operators create --name ana --role support")).ExitCode);

        var list = await devfeat.RunAsync("admin operators list");
        Assert.True(list.ExitCode == 0, list.ToString());
        Assert.Contains("root", list.Out);
        Assert.Contains("ana", list.Out);
        var json = JsonDocument.Parse((await devfeat.RunAsync("admin operators list --json")).Out).RootElement;
        Assert.Equal(["ana", "root"], json.EnumerateArray().Select(o => o.GetProperty("name").GetString()));

        Assert.Contains("role:    customer_success", (await devfeat.RunAsync("admin operators set-role ana customer_success")).Out);
        Assert.Equal(2, (await devfeat.RunAsync("admin operators set-role ana root")).ExitCode);
        Assert.Contains("state:   disabled", (await devfeat.RunAsync("admin operators disable ana")).Out);
        Assert.Contains("state:   active", (await devfeat.RunAsync("admin operators enable ana")).Out);
        Assert.Contains("state:   active", (await devfeat.RunAsync("admin operators unlock ana")).Out);
        Assert.Contains("role:    customer_success", (await devfeat.RunAsync("admin operators show ana")).Out);

        var generated = await devfeat.RunAsync("admin operators reset-password --name ana");
        Assert.StartsWith("password: ", generated.Out);
        Assert.Contains("not shown again", generated.Error);
        var chosen = await devfeat.RunAsync("admin operators reset-password --name ana --password-stdin", "  a password from stdin \n");
        Assert.True(chosen.ExitCode == 0, chosen.ToString());
        Assert.DoesNotContain("a password from stdin", chosen.Out + chosen.Error);
        Assert.True(await SignsInAsync("ana", "  a password from stdin "), "the password is exactly the line sent, its spaces included");
        Assert.False(await SignsInAsync("ana", "a password from stdin"));

        var empty = await devfeat.RunAsync("admin operators reset-password --name ana --password-stdin", "\n");
        Assert.Equal(2, empty.ExitCode);
        Assert.Contains("holds no password", empty.Error);
        Assert.Equal(2, (await devfeat.RunAsync("admin operators create --name bo --role support --password-stdin", "")).ExitCode);
        devfeat.InputRedirected = false;
        var terminal = await devfeat.RunAsync("admin operators create --name bo --role support --password-stdin");
        Assert.Equal(2, terminal.ExitCode);
        Assert.Contains("standard input is the terminal", terminal.Error);
        devfeat.InputRedirected = true;
        Assert.Equal(0, (await devfeat.RunAsync("admin operators create --name bo --role support --password-stdin", "bo's chosen password\r\n")).ExitCode);
        Assert.True(await SignsInAsync("bo", "bo's chosen password"));
        Assert.True(await SignsInAsync("ana", "  a password from stdin "), "a refused command changed nothing");

        var last = await devfeat.RunAsync("admin operators disable root");
        Assert.Equal(5, last.ExitCode);
        Assert.Contains("(last_administrator)", last.Error);
        Assert.Equal(5, (await devfeat.RunAsync("admin operators delete root")).ExitCode);

        Assert.Equal("deleted ana", (await devfeat.RunAsync("admin operators delete ana")).Out.Trim());
        var missing = await devfeat.RunAsync("admin operators show ana");
        Assert.Equal(5, missing.ExitCode);
        Assert.Contains("(operator_not_found)", missing.Error);
    }
}
