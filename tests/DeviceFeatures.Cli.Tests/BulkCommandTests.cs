using System.Globalization;
using System.Text;
using System.Text.Json;
using DeviceFeatures.Client;
using DeviceFeatures.Client.Admin;
using DeviceFeatures.Protocol.Admin;
using DeviceFeatures.Testing;

namespace DeviceFeatures.Cli.Tests;

public sealed class BulkCommandTests : IAsyncLifetime
{
    private DeviceFeaturesTestServer _server = null!;
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "devfeat-bulk", Guid.NewGuid().ToString("n"));

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        Directory.CreateDirectory(_folder);
        _server = await DeviceFeaturesTestServer.StartAsync(cancellationToken: Ct);
    }

    public async ValueTask DisposeAsync()
    {
        await _server.DisposeAsync();
        Directory.Delete(_folder, recursive: true);
    }

    [Fact]
    public async Task ThousandRows_WithBadRowsMixedIn_AppliesTheGoodOnes_AndReportsTheBad()
    {
        // 63 users x 16 (model, feature) pairs gives every good row its own key, so the end state does not depend on order.
        var partner = _server.DefaultPartner;
        var users = new List<int>();
        for (var i = 0; i < 63; i++)
        {
            users.Add(await _server.CreateUserAsync(partner.ClientId,
                [new DeviceLink(DeviceFeaturesTestServer.RandomMac(), 17, "EU"), new DeviceLink(DeviceFeaturesTestServer.RandomMac(), 47, "EU")], Ct));
        }

        var pairs = FeatureName.Known.Where(f => f != FeatureName.ElectrochemicalSkinConductance && f != FeatureName.SleepApnea)
            .Select(f => (Model: f.Value.Contains("htn", StringComparison.Ordinal) ? 47 : 17, Feature: f.Value)).ToList();
        Assert.Equal(15, pairs.Count);

        var csv = new StringBuilder("userid,model,feature_name,action\n");
        var expected = new Dictionary<(int, int, string), bool>();
        var (malformed, refused, line) = (0, 0, 1);
        var random = new Random(42);
        while (line < 1001)
        {
            line++;
            var roll = random.Next(100);
            if (roll < 4)
            {
                csv.AppendLine(random.Next(3) switch { 0 => "abc,17,pacemaker,enable", 1 => "5,17,pacemaker,toggle", _ => "5,17,pacemaker" });
                malformed++;
            }
            else if (roll < 6)
            {
                csv.AppendLine(CultureInfo.InvariantCulture, $"{users[0]},47,pacemaker,enable"); // not on a BPM Pro 2
                refused++;
            }
            else
            {
                var user = users[random.Next(users.Count)];
                var (model, feature) = pairs[random.Next(pairs.Count)];
                if (expected.ContainsKey((user, model, feature)))
                {
                    line--;
                    continue;
                }

                var enable = random.Next(2) == 0;
                expected[(user, model, feature)] = enable;
                csv.AppendLine(CultureInfo.InvariantCulture, $"{user},{(model == 17 ? "body-pro-2" : "47")},{feature.Replace("feature_", "", StringComparison.Ordinal)},{(enable ? "enable" : "disable")}");
            }
        }

        var file = Path.Combine(_folder, "changes.csv");
        await File.WriteAllTextAsync(file, csv.ToString(), Ct);

        var run = await Devfeat.For(_server).RunAsync(["bulk", "--file", file, "--concurrency", "8", "--json"]);
        Assert.True(run.ExitCode == 1, run.ToString());
        var summary = JsonDocument.Parse(run.Out).RootElement;
        Assert.True(expected.Count == summary.GetProperty("succeeded").GetInt32(), $"expected {expected.Count} to succeed\n{run}");
        Assert.True(malformed + refused == summary.GetProperty("failed").GetInt32(), $"expected {malformed + refused} to fail\n{run}");
        Assert.Equal(0, summary.GetProperty("skipped").GetInt32());
        Assert.Equal(1000, expected.Count + malformed + refused);

        // Each bad row is reported with its line number; the results file has a line per row.
        var results = await File.ReadAllLinesAsync(file + ".results.csv", Ct);
        Assert.Equal(1001, results.Length);
        Assert.Equal(malformed, results.Count(r => r.Contains(",invalid,", StringComparison.Ordinal)));
        Assert.Equal(refused, results.Count(r => r.Contains(",failed,506,", StringComparison.Ordinal)));
        Assert.Equal(malformed + refused, run.Error.Split('\n').Count(l => l.StartsWith("line ", StringComparison.Ordinal)));

        foreach (var user in users)
        {
            foreach (var model in new[] { 17, 47 })
            {
                var recorded = (await _server.Client.GetFeaturesAsync(user, model, Ct)).ToDictionary(c => c.Name.Value, c => c.Active);
                var wanted = expected.Where(e => e.Key.Item1 == user && e.Key.Item2 == model).ToDictionary(e => e.Key.Item3, e => e.Value);
                Assert.Equal(wanted, recorded);
            }
        }
    }

    [Fact]
    public async Task Resume_SkipsRowsThatSucceeded_AndRetriesTheOthers()
    {
        var user = _server.UserId;
        var file = Path.Combine(_folder, "gated.csv");
        await File.WriteAllLinesAsync(file,
        [
            "userid,model,feature_name,action",
            $"{user},17,pacemaker,enable",
            $"{user},17,esc,enable",
            $"{user},17,pwv,enable",
        ], Ct);
        var devfeat = Devfeat.For(_server);

        var first = await devfeat.RunAsync(["bulk", "--file", file]);
        Assert.Equal(1, first.ExitCode);
        Assert.Contains("succeeded 2, failed 1, skipped 0", first.Out);
        Assert.Contains("line 3: failed (2553)", first.Error);

        await _server.Admin.GrantEntitlementAsync(_server.DefaultPartner.ClientId, "feature_esc", Ct);
        var second = await devfeat.RunAsync(["bulk", "--file", file, "--resume"]);
        Assert.True(second.ExitCode == 0, second.ToString());
        Assert.Contains("succeeded 1, failed 0, skipped 2", second.Out);

        // Only three changes were made in all: the resumed run did not replay the rows that had succeeded.
        var events = await _server.Admin.GetAuditAsync(new AuditFilter(Userid: user), cancellationToken: Ct);
        Assert.Equal(3, events.Events.Count(e => e.Kind == "feature.enabled"));
    }

    [Fact]
    public async Task WrongCredentials_StopTheRunEarly_AndResumeFinishesIt()
    {
        var file = Path.Combine(_folder, "many.csv");
        await File.WriteAllLinesAsync(file, Enumerable.Range(0, 200).Select(i =>
            $"{_server.UserId},17,{FeatureName.Known[i % 10].Value},{(i % 2 == 0 ? "enable" : "disable")}"), Ct);
        var devfeat = Devfeat.For(_server);
        devfeat.Environment["DEVFEAT_CLIENT_SECRET"] = "wrong";

        var stopped = await devfeat.RunAsync(["bulk", "--file", file, "--concurrency", "2"]);
        Assert.True(stopped.ExitCode == 4, stopped.ToString());
        var attempted = (await File.ReadAllLinesAsync(file + ".results.csv", Ct)).Length - 1;
        Assert.InRange(attempted, 1, 10);

        devfeat.Environment["DEVFEAT_CLIENT_SECRET"] = _server.DefaultPartner.ClientSecret;
        var resumed = await devfeat.RunAsync(["bulk", "--file", file, "--resume", "--concurrency", "1"]);
        Assert.True(resumed.ExitCode == 0, resumed.ToString());
        Assert.Contains("succeeded 200, failed 0, skipped 0", resumed.Out);
    }

    [Fact]
    public async Task UnreachableService_StopsTheRunEarly()
    {
        var file = Path.Combine(_folder, "unreachable.csv");
        await File.WriteAllLinesAsync(file, Enumerable.Range(0, 100).Select(_ => $"{_server.UserId},17,pacemaker,enable"), Ct);
        var devfeat = Devfeat.For(_server);
        devfeat.Environment["DEVFEAT_ENDPOINT"] = "http://127.0.0.1:9/";

        var run = await devfeat.RunAsync(["bulk", "--file", file, "--concurrency", "1"]);
        Assert.True(run.ExitCode == 6, run.ToString());
        Assert.Equal(2, (await File.ReadAllLinesAsync(file + ".results.csv", Ct)).Length);
    }

    [Fact]
    public async Task MissingFile_IsAUsageError()
    {
        var run = await Devfeat.For(_server).RunAsync(["bulk", "--file", Path.Combine(_folder, "nope.csv")]);
        Assert.Equal(2, run.ExitCode);
        Assert.Contains("does not exist", run.Error);
    }

    [Fact]
    public async Task BadConcurrency_IsAUsageError() =>
        Assert.Equal(2, (await Devfeat.For(_server).RunAsync(["bulk", "--file", "x.csv", "--concurrency", "0"])).ExitCode);
}
