using System.Collections.Concurrent;
using System.Net;
using System.Text;
using Microsoft.Extensions.Time.Testing;

namespace DeviceFeatures.Cli.Tests;

/// <summary>On a 601, every worker of a bulk run pauses for the service's wait instead of hammering on.</summary>
public sealed class BulkRateLimitTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private sealed class RateLimitingWithings(FakeTimeProvider time) : HttpMessageHandler
    {
        private int _nonces;
        private int _limited;

        public ConcurrentQueue<(DateTimeOffset At, bool Limited)> DeviceCalls { get; } = new();

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            string json;
            if (request.RequestUri!.AbsolutePath == "/v2/signature")
            {
                json = $$$"""{"status":0,"body":{"nonce":"{{{Interlocked.Increment(ref _nonces):x40}}}"}}""";
            }
            else if (Interlocked.Increment(ref _limited) == 5)
            {
                DeviceCalls.Enqueue((time.GetUtcNow(), true));
                json = """{"status":601,"body":{"wait_seconds":5},"error":"Too many request"}""";
            }
            else
            {
                // Like a network round trip: while one worker learns of the 601, the others cannot fire off dozens.
                DeviceCalls.Enqueue((time.GetUtcNow(), false));
                await Task.Delay(20, cancellationToken);
                json = """{"status":0,"body":{}}""";
            }

            return new HttpResponseMessage(HttpStatusCode.OK) { Content = new StringContent(json, Encoding.UTF8, "application/json") };
        }
    }

    [Fact]
    public async Task A601_PausesEveryWorker_ForWaitSeconds()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 11, 24, 9, 0, 0, TimeSpan.Zero));
        var withings = new RateLimitingWithings(time);
        var folder = TestFiles.NewFolder();
        var file = Path.Combine(folder, "rows.csv");
        await File.WriteAllLinesAsync(file, Enumerable.Range(1, 40).Select(i => $"{i},17,pacemaker,enable"), Ct);

        var devfeat = new Devfeat { Time = time, HttpClientFactory = () => new HttpClient(withings) };
        devfeat.Environment["DEVFEAT_ENDPOINT"] = "https://wbsapi.example.test/";
        devfeat.Environment["DEVFEAT_CLIENT_ID"] = "client";
        devfeat.Environment["DEVFEAT_CLIENT_SECRET"] = "secret";

        // The clock moves only while no request is being made: without the pause, every row would go through at once.
        var run = devfeat.RunAsync(["bulk", "--file", file, "--concurrency", "4"]);
        var seen = 0;
        while (!run.IsCompleted)
        {
            if (await Task.WhenAny(run, Task.Delay(50, Ct)) != run && withings.DeviceCalls.Count == seen)
            {
                time.Advance(TimeSpan.FromSeconds(1));
            }

            seen = withings.DeviceCalls.Count;
        }

        var result = await run;
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("succeeded 40, failed 0, skipped 0", result.Out);
        Assert.Contains("rate limited (601): pausing every request for 5 s", result.Error);

        // The four rows before the 601, and the few the other workers started before it reached them, carry its
        // time; the remaining rows all waited the 5 s the service asked for.
        var limitedAt = withings.DeviceCalls.Single(c => c.Limited).At;
        var calls = withings.DeviceCalls.Where(c => !c.Limited).ToList();
        Assert.DoesNotContain(calls, c => c.At > limitedAt && c.At < limitedAt.AddSeconds(5));
        Assert.InRange(calls.Count(c => c.At == limitedAt), 4, 15);
        Assert.InRange(calls.Count(c => c.At >= limitedAt.AddSeconds(5)), 25, 36);
        Assert.Equal(41, withings.DeviceCalls.Count);
    }
}
