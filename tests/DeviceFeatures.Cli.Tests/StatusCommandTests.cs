using System.Globalization;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using DeviceFeatures.Client;
using DeviceFeatures.Protocol.DeviceApi;
using DeviceFeatures.Testing;

namespace DeviceFeatures.Cli.Tests;

/// <summary><c>devfeat status</c> and the sync column of <c>devfeat admin state</c>, after a device really reported.</summary>
public sealed class StatusCommandTests : IAsyncLifetime
{
    private DeviceFeaturesTestServer _server = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync() => _server = await DeviceFeaturesTestServer.StartAsync(cancellationToken: Ct);

    public async ValueTask DisposeAsync() => await _server.DisposeAsync();

    /// <summary>The user's Body Pro 2 pulls its configuration and reports eyes closed mode applied and the pacemaker mode failed.</summary>
    private async Task<string> DeviceReportsAsync()
    {
        await _server.Client.EnableFeatureAsync(_server.UserId, DeviceModel.BodyPro2, FeatureName.EyesClosedMode, Ct);
        await _server.Client.EnableFeatureAsync(_server.UserId, DeviceModel.BodyPro2, FeatureName.Pacemaker, Ct);
        var mac = (await _server.Admin.GetUserAsync(_server.UserId, Ct)).Devices.Single(d => d.Model == 17).MacAddress;
        var secret = (await _server.Admin.RotateDeviceCredentialAsync(mac, Ct)).DeviceSecret;
        using var http = new HttpClient { BaseAddress = _server.BaseAddress };
        using var pulled = await SendAsync(http, mac, secret, HttpMethod.Get, "/device/v1/configuration");
        var version = (await pulled.Content.ReadFromJsonAsync(DeviceApiJsonContext.Default.DeviceConfiguration, Ct))!.Version;
        var report = new DeviceReport(version, "2.3.1",
            [new DeviceFeatureReport("feature_eyes_closed_mode", true), new DeviceFeatureReport("feature_pacemaker", false, "sensor missing")]);
        using var _ = await SendAsync(http, mac, secret, HttpMethod.Post, "/device/v1/report", JsonSerializer.Serialize(report, DeviceApiJsonContext.Default.DeviceReport));
        return mac;
    }

    private static async Task<HttpResponseMessage> SendAsync(HttpClient http, string mac, string secret, HttpMethod method, string path, string? body = null)
    {
        var bytes = body is null ? [] : Encoding.UTF8.GetBytes(body);
        var timestamp = TimeProvider.System.GetUtcNow().ToUnixTimeSeconds();
        var nonce = Guid.NewGuid().ToString("N");
        using var request = new HttpRequestMessage(method, path);
        if (body is not null)
        {
            request.Content = new ByteArrayContent(bytes);
            request.Content.Headers.ContentType = new("application/json");
        }

        request.Headers.Add(DeviceApiHeaders.Mac, mac);
        request.Headers.Add(DeviceApiHeaders.Timestamp, timestamp.ToString(CultureInfo.InvariantCulture));
        request.Headers.Add(DeviceApiHeaders.Nonce, nonce);
        request.Headers.Add(DeviceApiHeaders.Signature, DeviceSigning.Sign(secret, method.Method, path, mac, timestamp, nonce, bytes));
        var response = await http.SendAsync(request, Ct);
        response.EnsureSuccessStatusCode();
        return response;
    }

    [Fact]
    public async Task Status_ShowsEachFeaturesSyncStatus_AsTableAndJson()
    {
        var mac = await DeviceReportsAsync();
        var devfeat = Devfeat.For(_server);

        var table = await devfeat.RunAsync($"status --user {_server.UserId} --model body-pro-2");
        Assert.True(table.ExitCode == 0, table.ToString());
        Assert.Contains(mac, table.Out);
        Assert.Contains("firmware 2.3.1", table.Out);
        Assert.Matches(@"feature_eyes_closed_mode\s*│\s*in_sync\s*│\s*on\s*│\s*on", table.Out);
        Assert.Matches(@"feature_pacemaker\s*│\s*sync_failed\s*│\s*on\s*│.*│\s*sensor missing", table.Out);

        var json = await devfeat.RunAsync($"status --user {_server.UserId} --model 17 --feature pacemaker --json");
        Assert.True(json.ExitCode == 0, json.ToString());
        var device = JsonDocument.Parse(json.Out).RootElement.GetProperty("devices").EnumerateArray().Single();
        Assert.Equal(mac, device.GetProperty("mac_address").GetString());
        var feature = device.GetProperty("features").EnumerateArray().Single();
        Assert.Equal(("feature_pacemaker", "sync_failed", "sensor missing"),
            (feature.GetProperty("feature_name").GetString(), feature.GetProperty("status").GetString(), feature.GetProperty("reason").GetString()));
    }

    [Fact]
    public async Task Status_ForAnotherPartnersUser_IsRefusedLikeGetFeatures()
    {
        var other = await _server.CreatePartnerAsync("Other partner", Ct);
        var run = await Devfeat.For(_server).RunAsync($"status --user {other.UserId} --model 17");
        Assert.NotEqual(0, run.ExitCode);
        Assert.Contains("the userid provided is absent, or incorrect", run.Error);
    }

    [Fact]
    public async Task AdminState_ShowsASyncColumn_WithTheReasonOfAFailure()
    {
        await DeviceReportsAsync();
        var run = await Devfeat.For(_server).RunAsync($"admin state --user {_server.UserId}");
        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Matches(@"feature_eyes_closed_mode\s*│\s*on\s*│\s*choice\s*│\s*│\s*in_sync", run.Out);
        Assert.Matches(@"feature_pacemaker\s*│\s*on\s*│\s*choice\s*│\s*│\s*sync_failed: sensor missing", run.Out);
        Assert.Matches(@"feature_retake_high_htn\s*│\s*on\s*│\s*default\s*│\s*│\s*unknown", run.Out);
    }
}
