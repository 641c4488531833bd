using System.Globalization;
using System.Text;
using DeviceFeatures.Protocol.DeviceApi;
using DeviceFeatures.Testing;

namespace DeviceFeatures.Client.Tests;

public sealed class FeatureStatusClientTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>A signed device request, as docs/device-api.md describes it.</summary>
    private static async Task<HttpResponseMessage> DeviceAsync(HttpClient http, string mac, string secret, HttpMethod method, string path, string? body = null)
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
    public async Task GetFeatureStatus_FollowsTheDevice_FromUnknownToInSyncAndSyncFailed()
    {
        await using var server = await DeviceFeaturesTestServer.StartAsync(cancellationToken: Ct);
        var client = server.Client;
        var mac = (await server.Admin.GetUserAsync(server.UserId, Ct)).Devices.Single(d => d.Model == 17).MacAddress;

        var never = Assert.Single(await client.GetFeatureStatusAsync(server.UserId, DeviceModel.BodyPro2, FeatureName.EyesClosedMode, Ct));
        Assert.Equal(mac, never.MacAddress);
        Assert.Null(never.LastSeen);
        var unknown = Assert.Single(never.Features);
        Assert.Equal((FeatureName.EyesClosedMode, SyncStatus.Unknown, false), (unknown.Name, unknown.Status, unknown.Active));

        await client.EnableFeatureAsync(server.UserId, DeviceModel.BodyPro2, FeatureName.EyesClosedMode, Ct);
        await client.EnableFeatureAsync(server.UserId, DeviceModel.BodyPro2, FeatureName.Pacemaker, Ct);
        var secret = (await server.Admin.RotateDeviceCredentialAsync(mac, Ct)).DeviceSecret;
        using var http = new HttpClient { BaseAddress = server.BaseAddress };
        using var pulled = await DeviceAsync(http, mac, secret, HttpMethod.Get, "/device/v1/configuration");
        var version = (await System.Net.Http.Json.HttpContentJsonExtensions.ReadFromJsonAsync(pulled.Content, DeviceApiJsonContext.Default.DeviceConfiguration, Ct))!.Version;
        Assert.Equal(SyncStatus.Pending,
            Assert.Single(Assert.Single(await client.GetFeatureStatusAsync(server.UserId, DeviceModel.BodyPro2, FeatureName.EyesClosedMode, Ct)).Features).Status);

        var report = $$"""{"version":{{version}},"firmware":"2.3.1","features":[{"feature_name":"feature_eyes_closed_mode","applied":true},{"feature_name":"feature_pacemaker","applied":false,"reason":"sensor missing"}]}""";
        using (await DeviceAsync(http, mac, secret, HttpMethod.Post, "/device/v1/report", report))
        {
        }

        var device = Assert.Single(await client.GetFeatureStatusAsync(server.UserId, DeviceModel.BodyPro2, cancellationToken: Ct));
        Assert.Equal("2.3.1", device.Firmware);
        Assert.NotNull(device.LastSeen);
        var eyes = device.Features.Single(f => f.Name == FeatureName.EyesClosedMode);
        Assert.Equal(new FeatureSyncStatus(FeatureName.EyesClosedMode, SyncStatus.InSync, true, version, version, true, null, eyes.ReportedAt), eyes);
        Assert.NotNull(eyes.ReportedAt);
        var pacemaker = device.Features.Single(f => f.Name == FeatureName.Pacemaker);
        Assert.Equal((SyncStatus.SyncFailed, "sensor missing"), (pacemaker.Status, pacemaker.Reason));

        Assert.Empty(await client.GetFeatureStatusAsync(server.UserId, DeviceModel.SleepSensor, cancellationToken: Ct));
        var refused = await Assert.ThrowsAsync<InvalidParamsException>(() => client.GetFeatureStatusAsync(int.MaxValue, DeviceModel.BodyPro2, cancellationToken: Ct));
        Assert.Equal(247, refused.Status);
    }
}
