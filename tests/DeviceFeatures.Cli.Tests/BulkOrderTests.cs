using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Text;
using System.Text.RegularExpressions;

namespace DeviceFeatures.Cli.Tests;

/// <summary>The results file follows the input file's lines, whatever order the rows finish in.</summary>
public sealed partial class BulkOrderTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>
    /// Holds the call for one user until every other call of the run has been answered, so that its row finishes
    /// last; refuses the calls for some users with 2553.
    /// </summary>
    private sealed partial class SlowRowWithings(int slowUser, int otherCalls, params int[] refusedUsers) : HttpMessageHandler
    {
        private readonly TaskCompletionSource _othersAnswered = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _nonces;
        private int _answered;

        public ConcurrentQueue<int> AnsweredUsers { get; } = new();

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            string json;
            if (request.RequestUri!.AbsolutePath == "/v2/signature")
            {
                json = $$$"""{"status":0,"body":{"nonce":"{{{Interlocked.Increment(ref _nonces):x40}}}"}}""";
            }
            else
            {
                var body = await request.Content!.ReadAsStringAsync(cancellationToken);
                var user = int.Parse(UserId().Match(body).Groups[1].Value, CultureInfo.InvariantCulture);
                if (user == slowUser)
                {
                    await _othersAnswered.Task.WaitAsync(cancellationToken);
                }

                AnsweredUsers.Enqueue(user);
                json = refusedUsers.Contains(user)
                    ? """{"status":2553,"body":{},"error":"Unauthorized: not granted"}"""
                    : """{"status":0,"body":{}}""";
                if (user != slowUser && Interlocked.Increment(ref _answered) == otherCalls)
                {
                    _othersAnswered.SetResult();
                }
            }

            return new HttpResponseMessage(HttpStatusCode.OK) { Content = new StringContent(json, Encoding.UTF8, "application/json") };
        }

        [GeneratedRegex("(?:^|&)userid=([0-9]+)")]
        private static partial Regex UserId();
    }

    private static Devfeat Against(HttpMessageHandler withings)
    {
        var devfeat = new Devfeat { HttpClientFactory = () => new HttpClient(withings) };
        devfeat.Environment["DEVFEAT_ENDPOINT"] = "https://wbsapi.example.test/";
        devfeat.Environment["DEVFEAT_CLIENT_ID"] = "client";
        devfeat.Environment["DEVFEAT_CLIENT_SECRET"] = "secret";
        return devfeat;
    }

    private static async Task<string[]> ResultLinesAsync(string file) =>
        [.. (await File.ReadAllLinesAsync(file + ".results.csv", Ct)).Skip(1).Select(l => l.Split(',')[0])];

    [Fact]
    public async Task RowsFinishingOutOfOrder_AreWrittenInTheInputsLineOrder_AlsoWhenResumed()
    {
        var file = TestFiles.NewPath("changes.csv");
        await File.WriteAllLinesAsync(file,
        [
            "userid,model,feature_name,action", // 1
            "1,17,pacemaker,enable",            // 2: held until every other row has been answered
            "2,17,pacemaker,enable",            // 3
            "3,17,pacemaker,enable",            // 4: refused the first time
            "x,17,pacemaker,enable",            // 5: invalid
            "4,17,pacemaker,enable",            // 6
            "# a comment",                      // 7
            "5,17,pacemaker,enable",            // 8
            "6,17,pacemaker,enable",            // 9: refused the first time
            "7,17,pacemaker,enable",            // 10
            "8,17,pacemaker,enable",            // 11
        ], Ct);

        var first = new SlowRowWithings(slowUser: 1, otherCalls: 7, refusedUsers: [3, 6]);
        var run = await Against(first).RunAsync(["bulk", "--file", file, "--concurrency", "4"]);

        Assert.True(run.ExitCode == 1, run.ToString());
        Assert.Contains("succeeded 6, failed 3, skipped 0", run.Out);
        Assert.Equal(1, first.AnsweredUsers.Last());
        Assert.Equal(["2", "3", "4", "5", "6", "8", "9", "10", "11"], await ResultLinesAsync(file));
        var results = await File.ReadAllLinesAsync(file + ".results.csv", Ct);
        Assert.Equal("2,1,17,feature_pacemaker,enable,ok,0,", results[1]);
        Assert.StartsWith("4,3,17,feature_pacemaker,enable,failed,2553,", results[3], StringComparison.Ordinal);
        Assert.StartsWith("5,,,,,invalid,,", results[4], StringComparison.Ordinal);

        // The resumed run retries lines 4 and 9 (line 9 finishing first) and reports line 5 again, after the first run's lines.
        var second = new SlowRowWithings(slowUser: 3, otherCalls: 1);
        var resumed = await Against(second).RunAsync(["bulk", "--file", file, "--concurrency", "4", "--resume"]);

        Assert.True(resumed.ExitCode == 1, resumed.ToString());
        Assert.Contains("succeeded 2, failed 1, skipped 6", resumed.Out);
        Assert.Equal([6, 3], second.AnsweredUsers);
        Assert.Equal(["2", "3", "4", "5", "6", "8", "9", "10", "11", "4", "5", "9"], await ResultLinesAsync(file));
    }
}
