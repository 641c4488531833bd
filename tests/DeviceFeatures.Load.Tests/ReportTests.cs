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
    public async Task TheRunsOfEachProvider_ReplaceOnlyTheirOwnSection()
    {
        var path = Path.Combine(_directory, "benchmarks.md");
        var ct = TestContext.Current.CancellationToken;
        await Report.WriteSectionAsync(path, Report.SectionName(DatabaseKind.Sqlite), "sqlite 1", ct);
        await Report.WriteSectionAsync(path, Report.SectionName(DatabaseKind.Postgres), "postgres 1", ct);
        await Report.WriteSectionAsync(path, Report.SectionName(DatabaseKind.Sqlite), "sqlite 2", ct);
        await Report.WriteSectionAsync(path, Report.SectionName(DatabaseKind.Postgres), "postgres 2", ct);

        var text = await File.ReadAllTextAsync(path, ct);
        Assert.Contains($"{Report.BeginMarker}\nsqlite 2\n{Report.EndMarker}", text, StringComparison.Ordinal);
        Assert.Contains("\npostgres 2\n<!-- load-report-postgres:end -->", text, StringComparison.Ordinal);
        Assert.DoesNotContain("sqlite 1", text, StringComparison.Ordinal);
        Assert.DoesNotContain("postgres 1", text, StringComparison.Ordinal);
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
        // (a) answers 10,000 requests/s; the flow 2,000 flows/s = 4,000 requests/s = 40 % in round 1, 70 % in round 2
        // and 65 % in round 3: the median is 65 %, so the 60 % target is met. Server CPU is 80 % of a core in every
        // phase: 80 µs per request of (a), 123 µs per request of the flow's median round (6,500 requests/s).
        var results = new List<PhaseResult>();
        foreach (var (round, flows) in new[] { (1, 2_000), (2, 3_500), (3, 3_250) })
        {
            results.Add(Phase(Workload.Health, round, operationsPerSecond: 10_000));
            results.Add(Phase(Workload.FeatureFlow, round, operationsPerSecond: flows));
        }

        var targets = Report.Targets(Facts(), results);
        var flow = targets.Single(t => t.Target.StartsWith("(c) enable/disable flow", StringComparison.Ordinal));

        Assert.Equal("(c) enable/disable flow ≥ 60 % of (a), per HTTP request", flow.Target);
        Assert.Equal("65 % (c 123 µs / a 80 µs)", flow.Measured);
        Assert.Equal("met", flow.Verdict);
        Assert.Equal("not measured", targets.Single(t => t.Target.StartsWith("(b)", StringComparison.Ordinal)).Verdict);
    }

    [Fact]
    public void Budgets_AllowTheCoresOverTheRateTheGoalAsksFor_AndCountEveryProcess()
    {
        // (a) answers 10,000 requests/s: 60 % of it is 6,000 requests/s, which 2 cores allow at 333 µs per request. The
        // flow's 4,000 requests/s spend 80 % (server) + 40 % (tool) of a core: 200 + 100 = 300 µs per request, of which
        // the tool's 100 leave the server 233.
        var results = new List<PhaseResult>
        {
            Phase(Workload.Health, 1, operationsPerSecond: 10_000),
            Phase(Workload.FeatureFlow, 1, operationsPerSecond: 2_000),
            Phase(Workload.PeerFlow, 1, operationsPerSecond: 2_000, serverCpu: double.NaN),
        };

        var budgets = Report.Budgets(Facts(), results);
        var flow = budgets.Single(b => b.Target.StartsWith("(c) enable/disable flow", StringComparison.Ordinal));
        var peer = budgets.Single(b => b.Target.StartsWith("(c) flow ≥ 1 × (e)", StringComparison.Ordinal));

        Assert.Equal(333.3, flow.AllowedUs, 1);
        Assert.Equal(300, flow.MeasuredUs, 6);
        Assert.Equal(200, flow.ServerUs, 6);
        Assert.Equal(100, flow.OthersUs, 6);

        // Against (e)'s 4,000 requests/s: 2 cores allow 500 µs per request.
        Assert.Equal(500, peer.AllowedUs, 6);
        Assert.DoesNotContain(budgets, b => b.Target.StartsWith("(b)", StringComparison.Ordinal));
        Assert.Contains("| (c) enable/disable flow ≥ 60 % of (a), per HTTP request | 333 | 300 | 200 | 233 |", Report.Render(Facts(), results), StringComparison.Ordinal);
    }

    [Fact]
    public void Budgets_OnPostgres_CountTheDatabasesCpu()
    {
        var results = new List<PhaseResult>
        {
            Phase(Workload.Health, 1, operationsPerSecond: 10_000),
            Phase(Workload.FeatureFlow, 1, operationsPerSecond: 2_000) with { DatabaseCpuPercent = 60 },
        };

        var flow = Report.Budgets(Facts(), results).Single();

        // 60 % of a core over 4,000 requests/s: 150 µs more than the server's 200 and the tool's 100.
        Assert.Equal(450, flow.MeasuredUs, 6);
        Assert.Equal(250, flow.OthersUs, 6);
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
        Assert.Contains("| p99 ≤ 3 × p50 of (c) enable/disablefeature | 2.00 / 1.00 ms = 2.0 × | met |", markdown, StringComparison.Ordinal);
        Assert.DoesNotContain("PostgreSQL anchor", markdown, StringComparison.Ordinal);
        Assert.DoesNotContain("pgbench", markdown, StringComparison.Ordinal);
        Assert.Contains("--client-secret ***", markdown, StringComparison.Ordinal);
    }

    [Fact]
    public void Targets_NewRatios_AreJudgedAgainstTheirGoals_WithServerCpuOfBothWorkloads()
    {
        // Per HTTP request against (a) = 10,000/s: (b) 8,000/s = 80 % (met, the goal itself), (d) 3,400 flows/s =
        // 68 % (missed); (c) 2,000 flows/s against (e) 2,000 flows/s = 1.00 × (met; (e) has no server CPU).
        var results = new List<PhaseResult>
        {
            Phase(Workload.Health, 1, operationsPerSecond: 10_000, serverCpu: 100),
            Phase(Workload.GetNonce, 1, operationsPerSecond: 8_000, serverCpu: 100),
            Phase(Workload.GetFeaturesFlow, 1, operationsPerSecond: 3_400, serverCpu: 100),
            Phase(Workload.FeatureFlow, 1, operationsPerSecond: 2_000, serverCpu: 100),
            Phase(Workload.PeerFlow, 1, operationsPerSecond: 2_000, serverCpu: double.NaN),
        };

        var targets = Report.Targets(Facts(), results);

        Assert.Equal(("(b) getnonce ≥ 80 % of (a)", "80 % (b 125 µs / a 100 µs)", "met"), Find(targets, "(b) getnonce"));
        Assert.Equal(("(d) getfeatures flow ≥ 70 % of (a), per HTTP request", "68 % (d 147 µs / a 100 µs)", "**missed**"), Find(targets, "(d) getfeatures"));
        Assert.Equal(("(c) flow ≥ 1 × (e) WireMock flow", "1.00 × (c 250 µs / e n/a)", "met"), Find(targets, "(c) flow ≥"));
    }

    [Fact]
    public void Targets_TailOfEveryWorkload_IsJudgedAtThreeTimesItsMedian()
    {
        var results = new List<PhaseResult>
        {
            Phase(Workload.Health, 1, operationsPerSecond: 10_000, p50: 0.5, p99: 1.5),
            Phase(Workload.GetNonce, 1, operationsPerSecond: 8_000, p50: 0.5, p99: 1.6),
            Phase(Workload.FeatureFlow, 1, operationsPerSecond: 2_000, p50: 2, p99: 5, errors: 1),
        };

        var targets = Report.Targets(Facts(), results);

        Assert.Equal(("p99 ≤ 3 × p50 of (a) GET /health/live", "1.50 / 0.50 ms = 3.0 ×", "met"), Find(targets, "p99 ≤ 3 × p50 of (a)"));
        Assert.Equal(("p99 ≤ 3 × p50 of (b) getnonce", "1.60 / 0.50 ms = 3.2 ×", "**missed**"), Find(targets, "p99 ≤ 3 × p50 of (b)"));
        Assert.Equal("invalid: the phase had errors", Find(targets, "p99 ≤ 3 × p50 of (c)").Verdict);
        Assert.Equal(("p99 ≤ 3 × p50 of (d) getfeatures", "not measured", "not measured"), Find(targets, "p99 ≤ 3 × p50 of (d)"));
        Assert.Equal("not measured", Find(targets, "p99 ≤ 3 × p50 of (e)").Verdict);
        Assert.DoesNotContain(targets, t => t.Target.Contains("pgbench", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(3_000, 4_000, "0.75 × (3,000 device calls/s / 4,000 tps)", "met")]
    [InlineData(2_000, 4_000, "0.50 × (2,000 device calls/s / 4,000 tps)", "**missed**")]
    public void Targets_Postgres_DeviceCallsAgainstPgbenchPipelined(double flows, double tps, string measured, string verdict)
    {
        var results = new List<PhaseResult> { Phase(Workload.FeatureFlow, 1, operationsPerSecond: flows) };
        var anchor = new AnchorRun(null, "pgbench (PostgreSQL) 15.18", [Pgbench(PgBenchMode.OneStatementPerRoundTrip, 1, tps / 2), Pgbench(PgBenchMode.Pipelined, 1, tps)]);

        var target = Find(Report.Targets(Facts(postgres: Durable, anchor: anchor), results), "(c) device calls/s");

        Assert.Equal(("(c) device calls/s ≥ 0.7 × pgbench pipelined tps (PostgreSQL, same cluster)", measured, verdict), target);
    }

    [Fact]
    public void Targets_Postgres_AnchorIsTheMedianOfPerRoundRatios()
    {
        // Rounds: 3,000/4,000 = 0.75, 2,000/4,000 = 0.50, 3,600/4,000 = 0.90: the median ratio is 0.75.
        var results = new List<PhaseResult>();
        var anchorResults = new List<PgBenchResult>();
        foreach (var (round, flows) in new[] { (1, 3_000), (2, 2_000), (3, 3_600) })
        {
            results.Add(Phase(Workload.FeatureFlow, round, operationsPerSecond: flows));
            anchorResults.Add(Pgbench(PgBenchMode.Pipelined, round, 4_000));
        }

        var target = Find(Report.Targets(Facts(postgres: Durable, anchor: new AnchorRun(null, "pgbench 15", anchorResults)), results), "(c) device calls/s");

        Assert.StartsWith("0.75 ×", target.Measured, StringComparison.Ordinal);
        Assert.Equal("met", target.Verdict);
    }

    [Fact]
    public void Targets_Postgres_PgbenchNotFound_IsNotMeasured()
    {
        var results = new List<PhaseResult> { Phase(Workload.FeatureFlow, 1, operationsPerSecond: 3_000) };
        var anchor = AnchorRun.NotRun("pgbench not found (on the PATH or under /usr/lib/postgresql/*/bin)");

        var facts = Facts(postgres: Durable, anchor: anchor);
        var target = Find(Report.Targets(facts, results), "(c) device calls/s");
        var markdown = Report.Render(facts, results);

        Assert.Equal("pgbench not found (on the PATH or under /usr/lib/postgresql/*/bin)", target.Measured);
        Assert.Equal("not measured", target.Verdict);
        Assert.Contains("pgbench did not run: pgbench not found", markdown, StringComparison.Ordinal);
    }

    [Fact]
    public void Targets_Postgres_ErrorsOrAFailedPgbench_AreInvalid()
    {
        var anchor = new AnchorRun(null, "pgbench 15", [Pgbench(PgBenchMode.Pipelined, 1, 4_000)]);
        var withErrors = Find(Report.Targets(Facts(postgres: Durable, anchor: anchor), [Phase(Workload.FeatureFlow, 1, 3_000, errors: 2)]), "(c) device calls/s");
        Assert.Equal("invalid: the phase had errors", withErrors.Verdict);

        var aborted = new PgBenchResult(PgBenchMode.Pipelined, 32, 1, 5, null, 10, double.NaN, "pgbench: error: connection to server failed");
        var failed = Find(Report.Targets(Facts(postgres: Durable, anchor: new AnchorRun(null, "pgbench 15", [aborted])), [Phase(Workload.FeatureFlow, 1, 3_000)]),
            "(c) device calls/s");
        Assert.Equal(("pgbench: error: connection to server failed", "invalid: pgbench failed"), (failed.Measured, failed.Verdict));
    }

    [Fact]
    public void Targets_Postgres_WithoutFsync_IsInvalid_AndTheReportWarns()
    {
        var results = new List<PhaseResult> { Phase(Workload.FeatureFlow, 1, operationsPerSecond: 3_000) };
        var anchor = new AnchorRun(null, "pgbench 15", [Pgbench(PgBenchMode.Pipelined, 1, 4_000)]);
        var facts = Facts(postgres: Durable with { Fsync = "off" }, anchor: anchor);

        Assert.Equal("invalid: fsync or synchronous_commit is off", Find(Report.Targets(facts, results), "(c) device calls/s").Verdict);
        Assert.Contains("> **Warning:** this cluster runs with fsync off and synchronous_commit on", Report.Render(facts, results), StringComparison.Ordinal);
    }

    [Fact]
    public void Render_Postgres_ShowsTheClusterAndTheAnchorTable()
    {
        var results = new List<PhaseResult> { Phase(Workload.FeatureFlow, 1, operationsPerSecond: 3_000) with { DatabaseCpuPercent = 90 } };
        var anchor = new AnchorRun(null, "pgbench (PostgreSQL) 15.18",
            [Pgbench(PgBenchMode.OneStatementPerRoundTrip, 1, 2_000), Pgbench(PgBenchMode.Pipelined, 1, 4_000)]);

        var markdown = Report.Render(Facts(postgres: Durable, anchor: anchor), results);

        Assert.Contains("| PostgreSQL | 15.18; fsync on, synchronous_commit on, wal_level replica, max_connections 300, shared_buffers 256MB |", markdown, StringComparison.Ordinal);
        Assert.DoesNotContain("**Warning:**", markdown, StringComparison.Ordinal);
        Assert.Contains("### PostgreSQL anchor (pgbench, same cluster, same run)", markdown, StringComparison.Ordinal);
        Assert.Contains("| (c) enable/disable flow: device calls | 32 | 3,000 | 1.00 (p50) | 0 |  | 90 | 300 |  |", markdown, StringComparison.Ordinal);
        Assert.Contains("| pgbench, one statement per round trip | 32 | 2,000 | 16.0 | 0 | 20 | 120 | 600 | 1.50 × |", markdown, StringComparison.Ordinal);
        Assert.Contains("| pgbench, pipelined (one round trip) | 32 | 4,000 | 8.00 | 0 | 20 | 120 | 300 | 0.75 × |", markdown, StringComparison.Ordinal);
    }

    private static readonly PostgresServerFacts Durable = new("15.18", "on", "on", "replica", "300", "256MB");

    private static (string Target, string Measured, string Verdict) Find(IReadOnlyList<(string Target, string Measured, string Verdict)> targets, string prefix) =>
        targets.Single(t => t.Target.StartsWith(prefix, StringComparison.Ordinal));

    private static PgBenchResult Pgbench(PgBenchMode mode, int round, double tps) =>
        new(mode, 32, round, 5, new PgBenchOutput(tps, 32_000 / tps, (long)(tps * 5), 0), 20, 120, null);

    private static PhaseResult Phase(Workload workload, int round, double operationsPerSecond, long errors = 0, double p50 = 1, double p99 = 2, double serverCpu = 80)
    {
        var latency = new LatencySummary(100, p50, p99, 3, 4);
        var operations = (long)(operationsPerSecond * 5);
        return new PhaseResult(workload, 32, round, 5, operations, operations * workload.RequestsPerOperation, latency, latency,
            errors, errors > 0 ? [new("status 401: nonce used", (int)errors)] : [], 0, 120 * 1024, serverCpu, 40);
    }

    private static RunFacts Facts(long peakRssKb = 150 * 1024, PostgresServerFacts? postgres = null, AnchorRun? anchor = null) =>
        new(
            DateTimeOffset.UnixEpoch,
            new RunEnvironment("/repo", "abc123", false, 2, "Test CPU", 24),
            new LoadSettings
            {
                Connections = [32],
                Duration = TimeSpan.FromSeconds(5),
                Warmup = TimeSpan.FromSeconds(2),
                Workloads = Workload.All,
                Database = postgres is null ? DatabaseKind.Sqlite : DatabaseKind.Postgres,
                Users = 10_000,
                TargetConnections = 32,
                Rounds = 1,
                NoBuild = true,
                KeepDatabase = false,
                CommandLine = "dotnet run -c Release --project bench/DeviceFeatures.Load -- --client-secret ***",
            },
            postgres is null ? "SQLite" : "PostgreSQL",
            peakRssKb,
            peakRssKb,
            postgres,
            anchor);
}
