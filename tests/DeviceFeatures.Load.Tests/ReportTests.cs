namespace DeviceFeatures.Load.Tests;

public sealed class ReportTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("devicefeatures-load-tests-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public async Task WriteAsync_ReplacesOnlyTheMarkedSection()
    {
        var path = Path.Combine(_directory, "benchmarks.md");
        await File.WriteAllTextAsync(path,
            $"# Title\n\nBefore.\n\n{Report.BeginMarker}\nold table\n{Report.EndMarker}\n\n## After\n\nKept.\n", TestContext.Current.CancellationToken);

        await Report.WriteAsync(path, "new table\n", TestContext.Current.CancellationToken);
        var text = await File.ReadAllTextAsync(path, TestContext.Current.CancellationToken);

        Assert.Equal($"# Title\n\nBefore.\n\n{Report.BeginMarker}\nnew table\n{Report.EndMarker}\n\n## After\n\nKept.\n", text);
    }

    [Fact]
    public async Task WriteAsync_FileWithoutMarkers_GetsTheSectionAppended()
    {
        var path = Path.Combine(_directory, "notes.md");
        await File.WriteAllTextAsync(path, "# Notes\n\nText.\n", TestContext.Current.CancellationToken);

        await Report.WriteAsync(path, "table", TestContext.Current.CancellationToken);

        Assert.Equal($"# Notes\n\nText.\n\n{Report.BeginMarker}\ntable\n{Report.EndMarker}\n",
            await File.ReadAllTextAsync(path, TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task WriteAsync_NoFile_CreatesOne()
    {
        var path = Path.Combine(_directory, "docs", "new.md");

        await Report.WriteAsync(path, "table", TestContext.Current.CancellationToken);

        Assert.StartsWith("# Benchmarks", await File.ReadAllTextAsync(path, TestContext.Current.CancellationToken), StringComparison.Ordinal);
    }

    [Fact]
    public void Targets_AreJudgedPerHttpRequest_AndOnMedianRatiosOfRounds()
    {
        // (a) answers 10,000 requests/s; the flow 2,000 flows/s = 4,000 requests/s = 40 % in round 1, 60 % in round 2
        // and 55 % in round 3: the median is 55 %, so the 50 % target is met.
        var results = new List<PhaseResult>();
        foreach (var (round, flows) in new[] { (1, 2_000), (2, 3_000), (3, 2_750) })
        {
            results.Add(Phase(Workload.Health, round, operationsPerSecond: 10_000));
            results.Add(Phase(Workload.FeatureFlow, round, operationsPerSecond: flows));
        }

        var targets = Report.Targets(Facts(), results);
        var flow = targets.Single(t => t.Target.StartsWith("(c) enable/disable flow", StringComparison.Ordinal));

        Assert.Equal("55 %", flow.Measured);
        Assert.Equal("met", flow.Verdict);
        Assert.Equal("not measured", targets.Single(t => t.Target.StartsWith("(b)", StringComparison.Ordinal)).Verdict);
    }

    [Fact]
    public void Targets_APhaseWithErrors_ProvesNothing()
    {
        var results = new List<PhaseResult>
        {
            Phase(Workload.Health, 1, operationsPerSecond: 10_000),
            Phase(Workload.GetNonce, 1, operationsPerSecond: 9_000, errors: 3),
        };

        var target = Report.Targets(Facts(), results).Single(t => t.Target.StartsWith("(b)", StringComparison.Ordinal));

        Assert.Equal("invalid: the phase had errors", target.Verdict);
    }

    [Fact]
    public void Targets_MemoryAbove200MiB_IsMissed()
    {
        var target = Report.Targets(Facts(peakRssKb: 210 * 1024), []).Single(t => t.Target.StartsWith("server resident memory", StringComparison.Ordinal));
        Assert.Equal("**missed**", target.Verdict);
    }

    [Fact]
    public void Render_ListsEveryPhaseRatioAndTarget()
    {
        var results = new List<PhaseResult>();
        foreach (var workload in Workload.All)
        {
            results.Add(Phase(workload, 1, operationsPerSecond: workload.IsFlow ? 1_000 : 10_000));
        }

        var markdown = Report.Render(Facts(), results);

        Assert.Contains("| (c) enable/disable flow | enable/disablefeature | 32 | 1,000 | 2,000 |", markdown, StringComparison.Ordinal);
        Assert.Contains("| 32 | 100 % | 20 % | 20 % | 1.00 × |", markdown, StringComparison.Ordinal);
        Assert.Contains("| p99 of enable/disablefeature ≤ 10 ms | 2.00 ms | met |", markdown, StringComparison.Ordinal);
        Assert.Contains("--client-secret ***", markdown, StringComparison.Ordinal);
    }

    private static PhaseResult Phase(Workload workload, int round, double operationsPerSecond, long errors = 0)
    {
        var latency = new LatencySummary(100, 1, 2, 3, 4);
        var operations = (long)(operationsPerSecond * 5);
        return new PhaseResult(workload, 32, round, 5, operations, operations * workload.RequestsPerOperation, latency, latency,
            errors, errors > 0 ? [new("status 401: nonce used", (int)errors)] : [], 0, 120 * 1024, 80, 40);
    }

    private static RunFacts Facts(long peakRssKb = 150 * 1024) =>
        new(
            DateTimeOffset.UnixEpoch,
            new RunEnvironment("/repo", "abc123", false, 2, "Test CPU", 24),
            new LoadSettings
            {
                Connections = [32],
                Duration = TimeSpan.FromSeconds(5),
                Warmup = TimeSpan.FromSeconds(2),
                Workloads = Workload.All,
                Database = DatabaseKind.Sqlite,
                Users = 10_000,
                TargetConnections = 32,
                Rounds = 1,
                NoBuild = true,
                KeepDatabase = false,
                CommandLine = "dotnet run -c Release --project bench/DeviceFeatures.Load -- --client-secret ***",
            },
            "SQLite",
            peakRssKb,
            peakRssKb);
}
