using System.Collections.Concurrent;
using System.Net;
using System.Text;
using Microsoft.Extensions.Time.Testing;

namespace DeviceFeatures.Client.Tests;

/// <summary>
/// A scripted Withings for behaviour the real server does not produce on demand (601, 522, proxies, unknown values):
/// it hands out numbered nonces and answers each device call with the next scripted answer.
/// </summary>
internal sealed class StubWithings(FakeTimeProvider? time = null) : HttpMessageHandler
{
    private readonly ConcurrentQueue<Func<HttpResponseMessage>> _script = new();
    private int _nonces;

    public ConcurrentQueue<Seen> Requests { get; } = new();

    public sealed record Seen(string Path, Dictionary<string, string> Form, DateTimeOffset At);

    public StubWithings Then(string json, HttpStatusCode status = HttpStatusCode.OK, string mediaType = "application/json")
    {
        _script.Enqueue(() => new HttpResponseMessage(status) { Content = new StringContent(json, Encoding.UTF8, mediaType) });
        return this;
    }

    public StubWithings ThenThrow(Exception exception)
    {
        _script.Enqueue(() => throw exception);
        return this;
    }

    public IEnumerable<Seen> DeviceCalls => Requests.Where(r => r.Path == "/v2/device");

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var body = request.Content is null ? "" : await request.Content.ReadAsStringAsync(cancellationToken);
        var form = body.Split('&', StringSplitOptions.RemoveEmptyEntries)
            .Select(p => p.Split('=', 2))
            .ToDictionary(p => Uri.UnescapeDataString(p[0]), p => Uri.UnescapeDataString(p.Length > 1 ? p[1].Replace('+', ' ') : ""));
        var path = request.RequestUri!.AbsolutePath;
        Requests.Enqueue(new Seen(path, form, time?.GetUtcNow() ?? default));

        if (path == "/v2/signature")
        {
            var nonce = Interlocked.Increment(ref _nonces).ToString("x40", System.Globalization.CultureInfo.InvariantCulture);
            return Json($$$"""{"status":0,"body":{"nonce":"{{{nonce}}}"}}""");
        }

        return _script.TryDequeue(out var next) ? next() : Json("""{"status":0,"body":{}}""");
    }

    private static HttpResponseMessage Json(string json) =>
        new(HttpStatusCode.OK) { Content = new StringContent(json, Encoding.UTF8, "application/json") };
}
