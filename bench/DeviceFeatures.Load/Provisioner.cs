using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;

namespace DeviceFeatures.Load;

/// <summary>
/// Creates the load's partner and its users through the admin API, as an operator would: many requests in
/// flight at once, each user with one EU Body Pro 2.
/// </summary>
internal sealed class Provisioner(Uri baseAddress, string adminKey) : IDisposable
{
    private const int Parallelism = 32;
    private readonly HttpClient _http = CreateClient(baseAddress, adminKey);

    public async Task<PartnerCredentials> CreatePartnerAsync(CancellationToken cancellationToken)
    {
        using var response = await _http.PostAsJsonAsync("/admin/api/partners", new { name = "Load test partner" }, cancellationToken).ConfigureAwait(false);
        var json = await ReadAsync(response, "create the partner", cancellationToken).ConfigureAwait(false);
        return new PartnerCredentials(json.GetProperty("client_id").GetString()!, json.GetProperty("client_secret").GetString()!);
    }

    /// <summary>Creates <paramref name="count"/> users and answers their ids in creation order.</summary>
    public async Task<int[]> CreateUsersAsync(string clientId, int count, Action<int> progress, CancellationToken cancellationToken)
    {
        var ids = new int[count];
        var done = 0;
        await Parallel.ForEachAsync(Enumerable.Range(0, count), new ParallelOptions { MaxDegreeOfParallelism = Parallelism, CancellationToken = cancellationToken },
            async (index, ct) =>
            {
                // A locally administered MAC address per user: 02:4c plus the index.
                var mac = string.Create(CultureInfo.InvariantCulture, $"02:4c:{(index >> 24) & 0xff:x2}:{(index >> 16) & 0xff:x2}:{(index >> 8) & 0xff:x2}:{index & 0xff:x2}");
                var body = new { client_id = clientId, devices = new[] { new { mac_address = mac, model = 17, market = "EU" } } };
                using var response = await _http.PostAsJsonAsync("/admin/api/users", body, ct).ConfigureAwait(false);
                var json = await ReadAsync(response, "create a user", ct).ConfigureAwait(false);
                ids[index] = json.GetProperty("userid").GetInt32();
                var n = Interlocked.Increment(ref done);
                if (n % 1000 == 0)
                {
                    progress(n);
                }
            }).ConfigureAwait(false);
        return ids;
    }

    public void Dispose() => _http.Dispose();

    private static HttpClient CreateClient(Uri baseAddress, string adminKey)
    {
        var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = Parallelism, UseProxy = false })
        {
            BaseAddress = baseAddress,
            Timeout = LoadLimits.RequestTimeout,
        };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", adminKey);
        return http;
    }

    private static async Task<JsonElement> ReadAsync(HttpResponseMessage response, string what, CancellationToken cancellationToken)
    {
        var text = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
        {
            throw new LoadException($"could not {what}: HTTP {(int)response.StatusCode} {text}");
        }

        using var document = JsonDocument.Parse(text);
        return document.RootElement.Clone();
    }
}

/// <summary>Times a setup step for the report.</summary>
internal static class Timed
{
    public static async Task<(T Result, TimeSpan Elapsed)> RunAsync<T>(Func<Task<T>> step)
    {
        var start = Stopwatch.GetTimestamp();
        var result = await step().ConfigureAwait(false);
        return (result, Stopwatch.GetElapsedTime(start));
    }
}
