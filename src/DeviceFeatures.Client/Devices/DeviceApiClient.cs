using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using DeviceFeatures.Protocol.Admin;
using DeviceFeatures.Protocol.DeviceApi;

namespace DeviceFeatures.Client.Devices;

/// <summary>
/// One device's client of the device API (<c>/device/v1</c>, docs/device-api.md): pulls the device's whole
/// configuration, waits for the next change with a long poll, and reports what the device applied. Every request is
/// signed with the device's own secret (<see cref="DeviceSigning"/>), a fresh nonce and the current time, so a request
/// is never replayable and never needs to be retried with the same headers.
/// </summary>
/// <remarks>
/// Thread-safe: a device may report while a long poll waits. The <see cref="HttpClient"/> is not disposed by this
/// client; its <see cref="HttpClient.Timeout"/> must be longer than the longest wait asked for (the server caps a wait
/// at <c>DeviceApi:MaxWaitSeconds</c>, 60 by default).
/// </remarks>
public sealed class DeviceApiClient
{
    private const string ConfigurationPath = "/device/v1/configuration";
    private const string ReportPath = "/device/v1/report";
    private readonly HttpClient _http;
    private readonly Uri _base;
    private readonly string _pathPrefix;
    private readonly string _secret;
    private readonly TimeProvider _time;

    /// <summary>Creates a device's client.</summary>
    /// <param name="httpClient">The HTTP client to send with (shared by many devices if wanted).</param>
    /// <param name="baseAddress">The server's base address, e.g. <c>http://127.0.0.1:5080/</c>.</param>
    /// <param name="macAddress">The device's MAC address, as the inventory knows it (any separators, any case).</param>
    /// <param name="deviceSecret">The device's secret, shown once by the import or by a credential rotation.</param>
    /// <param name="timeProvider">The clock the requests are timestamped with; the system clock when null.</param>
    public DeviceApiClient(HttpClient httpClient, Uri baseAddress, string macAddress, string deviceSecret, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(httpClient);
        ArgumentNullException.ThrowIfNull(baseAddress);
        ArgumentException.ThrowIfNullOrEmpty(macAddress);
        ArgumentException.ThrowIfNullOrEmpty(deviceSecret);
        if (!baseAddress.IsAbsoluteUri)
        {
            throw new ArgumentException("The base address must be an absolute URI.", nameof(baseAddress));
        }

        _http = httpClient;
        _base = new Uri(baseAddress.GetLeftPart(UriPartial.Authority));

        // A server mounted under a path (behind a proxy) signs the path it sees, which includes that prefix.
        _pathPrefix = baseAddress.AbsolutePath.TrimEnd('/');
        MacAddress = macAddress;
        _secret = deviceSecret;
        _time = timeProvider ?? TimeProvider.System;
    }

    /// <summary>The device's MAC address, as given.</summary>
    public string MacAddress { get; }

    /// <summary>
    /// Pulls the device's configuration. With <paramref name="knownVersion"/> (the version the device runs) the server
    /// answers "not modified" when nothing changed; with <paramref name="wait"/> too, it first waits up to that long
    /// for a change (a long poll) and answers as soon as one is committed.
    /// </summary>
    /// <param name="knownVersion">The version the device runs, sent as <c>If-None-Match</c>; null for an unconditional pull.</param>
    /// <param name="wait">How long the server may wait for a change (whole seconds, at most the server's maximum); ignored without <paramref name="knownVersion"/>.</param>
    /// <param name="cancellationToken">Cancels the call (and ends the wait on the server).</param>
    /// <returns>The configuration, or "not modified" with the current version.</returns>
    /// <exception cref="DeviceApiException">The server refused the request (its <c>code</c> says why).</exception>
    /// <exception cref="DeviceFeaturesTransportException">No answer could be had.</exception>
    public async Task<DeviceConfigurationResult> GetConfigurationAsync(long? knownVersion = null, TimeSpan? wait = null, CancellationToken cancellationToken = default)
    {
        var path = ConfigurationPath;
        if (knownVersion is not null && wait is { } w && w > TimeSpan.Zero)
        {
            path += "?wait=" + ((long)Math.Ceiling(w.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
        }

        using var request = Signed(HttpMethod.Get, path, []);
        if (knownVersion is { } version)
        {
            request.Headers.TryAddWithoutValidation("If-None-Match", Tag(version));
        }

        return await SendAsync(request, async (response, ct) =>
        {
            if (response.StatusCode == HttpStatusCode.NotModified)
            {
                return DeviceConfigurationResult.NotModified(VersionOf(response) ?? knownVersion ?? 0);
            }

            var configuration = await ReadAsync(response, DeviceApiJsonContext.Default.DeviceConfiguration, ct).ConfigureAwait(false);
            return DeviceConfigurationResult.Modified(configuration);
        }, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Reports what the device applied: the configuration's version, per feature applied or failed (with a reason), and
    /// the firmware. A report for an older version than one already recorded changes nothing
    /// (<see cref="DeviceReportReceipt.Recorded"/> is false).
    /// </summary>
    /// <param name="report">The report.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The server's receipt.</returns>
    /// <exception cref="DeviceApiException">The server refused the report (e.g. <see cref="DeviceProblemCodes.VersionAhead"/>).</exception>
    /// <exception cref="DeviceFeaturesTransportException">No answer could be had.</exception>
    public async Task<DeviceReportReceipt> ReportAsync(DeviceReport report, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(report);
        var body = JsonSerializer.SerializeToUtf8Bytes(report, DeviceApiJsonContext.Default.DeviceReport);
        using var request = Signed(HttpMethod.Post, ReportPath, body);
        request.Content = new ByteArrayContent(body);
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        return await SendAsync(request, (response, ct) => ReadAsync(response, DeviceApiJsonContext.Default.DeviceReportReceipt, ct), cancellationToken)
            .ConfigureAwait(false);
    }

    private HttpRequestMessage Signed(HttpMethod method, string path, byte[] body)
    {
        var pathAndQuery = _pathPrefix + path;
        var timestamp = _time.GetUtcNow().ToUnixTimeSeconds();
        var nonce = Guid.NewGuid().ToString("N");
        var request = new HttpRequestMessage(method, new Uri(_base, pathAndQuery));
        request.Headers.Add(DeviceApiHeaders.Mac, MacAddress);
        request.Headers.Add(DeviceApiHeaders.Timestamp, timestamp.ToString(CultureInfo.InvariantCulture));
        request.Headers.Add(DeviceApiHeaders.Nonce, nonce);
        request.Headers.Add(DeviceApiHeaders.Signature, DeviceSigning.Sign(_secret, method.Method, pathAndQuery, MacAddress, timestamp, nonce, body));
        return request;
    }

    // Every failure to get an answer is a transport exception, as the other clients' are.
    private async Task<T> SendAsync<T>(HttpRequestMessage request, Func<HttpResponseMessage, CancellationToken, Task<T>> read, CancellationToken cancellationToken)
    {
        try
        {
            using var response = await _http.SendAsync(request, cancellationToken).ConfigureAwait(false);
            if (!response.IsSuccessStatusCode && response.StatusCode != HttpStatusCode.NotModified)
            {
                throw await RefusalAsync(response, cancellationToken).ConfigureAwait(false);
            }

            return await read(response, cancellationToken).ConfigureAwait(false);
        }
        catch (HttpRequestException ex)
        {
            throw new DeviceFeaturesTransportException($"The device API at {_base} could not be reached: {ex.Message}", (int?)ex.StatusCode, isTransient: true, ex);
        }
        catch (OperationCanceledException ex) when (!cancellationToken.IsCancellationRequested)
        {
            throw new DeviceFeaturesTransportException($"The device API at {_base} did not answer in time.", null, isTransient: true, ex);
        }
    }

    private static async Task<T> ReadAsync<T>(HttpResponseMessage response, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> type, CancellationToken cancellationToken)
    {
        try
        {
            return await response.Content.ReadFromJsonAsync(type, cancellationToken).ConfigureAwait(false)
                ?? throw new DeviceFeaturesTransportException("The device API answered with no body.", (int)response.StatusCode, isTransient: false);
        }
        catch (JsonException ex)
        {
            throw new DeviceFeaturesTransportException($"The device API answered with unreadable JSON: {ex.Message}", (int)response.StatusCode, isTransient: false, ex);
        }
    }

    private static async Task<DeviceFeaturesException> RefusalAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        var status = (int)response.StatusCode;
        AdminProblem? problem = null;
        if (response.Content.Headers.ContentType?.MediaType == "application/problem+json")
        {
            try
            {
                problem = await response.Content.ReadFromJsonAsync(AdminJsonContext.Default.AdminProblem, cancellationToken).ConfigureAwait(false);
            }
            catch (JsonException)
            {
                // Unreadable: treated like an answer that is not the service's.
            }
        }

        // Without a problem+json and its code the answer is not the device API's (a proxy's error page, for example).
        if (problem?.Code is not { Length: > 0 } code)
        {
            return new DeviceFeaturesTransportException($"The device API answered HTTP {status} without a problem description.", status, isTransient: status >= 500 || status == 429);
        }

        return DeviceApiException.FromProblem(status, code, problem.Detail ?? problem.Title ?? response.ReasonPhrase ?? code);
    }

    private static string Tag(long version) => "\"" + version.ToString(CultureInfo.InvariantCulture) + "\"";

    private static long? VersionOf(HttpResponseMessage response) =>
        response.Headers.ETag?.Tag is { Length: > 2 } tag && long.TryParse(tag.AsSpan(1, tag.Length - 2), NumberStyles.None, CultureInfo.InvariantCulture, out var version)
            ? version
            : null;
}

/// <summary>What a pull answered: a configuration, or "not modified" (the device's version is still current).</summary>
public sealed class DeviceConfigurationResult
{
    private DeviceConfigurationResult(DeviceConfiguration? configuration, long version)
    {
        Configuration = configuration;
        Version = version;
    }

    /// <summary>The configuration; null when <see cref="IsNotModified"/>.</summary>
    public DeviceConfiguration? Configuration { get; }

    /// <summary>The current version (the configuration's, or the one the server's <c>ETag</c> named).</summary>
    public long Version { get; }

    /// <summary>True when the version the device runs is still current (HTTP 304): nothing to apply.</summary>
    public bool IsNotModified => Configuration is null;

    internal static DeviceConfigurationResult Modified(DeviceConfiguration configuration) => new(configuration, configuration.Version);

    internal static DeviceConfigurationResult NotModified(long version) => new(null, version);
}
