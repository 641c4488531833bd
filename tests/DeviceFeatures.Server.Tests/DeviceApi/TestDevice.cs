using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using DeviceFeatures.Protocol.Admin;
using DeviceFeatures.Protocol.DeviceApi;
using DeviceFeatures.Server.Tests.Infrastructure;

namespace DeviceFeatures.Server.Tests.DeviceApi;

/// <summary>A device's view of the device API: it signs each request with its own secret, as docs/device-api.md says.</summary>
public sealed class TestDevice(ServerFactory server, string mac, string secret, HttpClient? http = null)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public string Mac { get; } = mac;

    public string Secret { get; set; } = secret;

    public HttpClient Http { get; } = http ?? server.CreateClient();

    public static string NewNonce() => Guid.NewGuid().ToString("N");

    /// <summary>A signed request; any part of the signing can be replaced to forge a wrong one.</summary>
    public HttpRequestMessage Request(
        HttpMethod method, string pathAndQuery, string? body = null, string? nonce = null, long? timestamp = null, string? signWith = null, string? asMac = null)
    {
        var bytes = body is null ? [] : Encoding.UTF8.GetBytes(body);
        var ts = timestamp ?? server.Time.GetUtcNow().ToUnixTimeSeconds();
        nonce ??= NewNonce();
        var request = new HttpRequestMessage(method, pathAndQuery);
        if (body is not null)
        {
            request.Content = new ByteArrayContent(bytes);
            request.Content.Headers.ContentType = new("application/json");
        }

        request.Headers.Add(DeviceApiHeaders.Mac, asMac ?? Mac);
        request.Headers.Add(DeviceApiHeaders.Timestamp, ts.ToString(CultureInfo.InvariantCulture));
        request.Headers.Add(DeviceApiHeaders.Nonce, nonce);
        request.Headers.Add(DeviceApiHeaders.Signature, DeviceSigning.Sign(signWith ?? Secret, method.Method, pathAndQuery, asMac ?? Mac, ts, nonce, bytes));
        return request;
    }

    public async Task<HttpResponseMessage> PullAsync(long? ifNoneMatch = null, int? wait = null, CancellationTokenSource? abort = null)
    {
        var request = Request(HttpMethod.Get, wait is { } w ? $"/device/v1/configuration?wait={w}" : "/device/v1/configuration");
        if (ifNoneMatch is { } version)
        {
            request.Headers.TryAddWithoutValidation("If-None-Match", $"\"{version}\"");
        }

        return await Http.SendAsync(request, abort?.Token ?? Ct);
    }

    public async Task<DeviceConfiguration> ConfigurationAsync()
    {
        using var response = await PullAsync();
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var configuration = (await response.Content.ReadFromJsonAsync(DeviceApiJsonContext.Default.DeviceConfiguration, Ct))!;
        Assert.Equal($"\"{configuration.Version}\"", response.Headers.ETag?.ToString());
        return configuration;
    }

    public Task<HttpResponseMessage> ReportAsync(long version, string? firmware, params (string Feature, bool Applied, string? Reason)[] features) =>
        Http.SendAsync(Request(HttpMethod.Post, "/device/v1/report", System.Text.Json.JsonSerializer.Serialize(
            new DeviceReport(version, firmware, features.Select(f => new DeviceFeatureReport(f.Feature, f.Applied, f.Reason)).ToArray()),
            DeviceApiJsonContext.Default.DeviceReport)), Ct);

    public static async Task<AdminProblem> ProblemAsync(HttpResponseMessage response, HttpStatusCode status, string code)
    {
        Assert.Equal(status, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = (await response.Content.ReadFromJsonAsync(AdminJsonContext.Default.AdminProblem, Ct))!;
        Assert.Equal(code, problem.Code);
        return problem;
    }
}
