using System.Globalization;
using System.Text;

namespace DeviceFeatures.Load;

/// <summary>Setup facts the report states beside the numbers.</summary>
internal sealed record RunFacts(
    DateTimeOffset StartedAt,
    RunEnvironment Environment,
    LoadSettings Settings,
    string DatabaseDescription,
    long OverallPeakRssKb,
    long HighWaterMarkKb,
    PostgresServerFacts? PostgresServer = null,
    AnchorRun? Anchor = null);

/// <summary>A ratio target's CPU allowance per HTTP request against what its workload measured (<see cref="Report.Budgets"/>).</summary>
internal sealed record CpuBudget(string Target, double AllowedUs, double MeasuredUs, double ServerUs, double OthersUs);

/// <summary>
/// The table of a run, its ratios and its targets, as Markdown: printed, and written into <c>docs/benchmarks.md</c>
/// between two markers so that the rest of that page (micro-benchmarks, profile notes) is kept.
/// </summary>
internal static class Report
{
    public const string BeginMarker = "<!-- load-report:begin (written by bench/DeviceFeatures.Load: everything up to load-report:end is replaced by each run) -->";
    public const string EndMarker = "<!-- load-report:end -->";
    private const double MemoryTargetMiB = 200;
    private const double TailFactor = 3;
    private const double AnchorGoal = 0.7;
    private static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;

    public static string Render(RunFacts facts, IReadOnlyList<PhaseResult> results)
    {
        var s = facts.Settings;
        var env = facts.Environment;
        var md = new StringBuilder();
        md.AppendLine("## Load run").AppendLine();
        md.AppendLine("| | |").AppendLine("|---|---|");
        md.AppendLine(Invariant, $"| date | {facts.StartedAt.UtcDateTime:yyyy-MM-dd HH:mm} UTC |");
        md.AppendLine(Invariant, $"| machine | {env.Cores} cores (nproc), {env.CpuModel}, {env.MemoryGiB:0.0} GiB memory. **Shared** with other work while it ran: absolute numbers are noisy, compare the ratios of one run |");
        md.AppendLine(Invariant, $"| commit | `{env.Commit}`{(env.Dirty ? " with uncommitted changes" : "")} |");
        md.AppendLine(Invariant, $"| server | `dotnet DeviceFeatures.Host.dll` (Release, Production, log level Warning) on 127.0.0.1 |");
        md.AppendLine(Invariant, $"| database | {facts.DatabaseDescription} |");
        if (facts.PostgresServer is { } pg)
        {
            md.AppendLine(Invariant,
                $"| PostgreSQL | {pg.Version}; fsync {pg.Fsync}, synchronous_commit {pg.SynchronousCommit}, wal_level {pg.WalLevel}, max_connections {pg.MaxConnections}, shared_buffers {pg.SharedBuffers} |");
        }

        md.AppendLine(Invariant, $"| phases | first every workload once unmeasured ({Seconds(s.Warmup)} at 8 connections); then at each connection count{(s.Rounds > 1 ? $", {s.Rounds} rounds of" : "")} each workload in turn: {Seconds(s.Warmup)} warm-up, then {Seconds(s.Duration)} measured; closed loop, one HttpClient (SocketsHttpHandler, MaxConnectionsPerServer = N) and N workers |");
        md.AppendLine(Invariant, $"| command | `{s.CommandLine}` |");
        md.AppendLine();
        if (facts.PostgresServer is { Durable: false } nonDurable)
        {
            md.AppendLine(Invariant,
                $"> **Warning:** this cluster runs with fsync {nonDurable.Fsync} and synchronous_commit {nonDurable.SynchronousCommit}: a commit does not wait for the disk, so neither the server's rates nor pgbench's are the measure the targets mean, and the pgbench target is invalid.");
            md.AppendLine();
        }

        md.AppendLine("Workloads:").AppendLine();
        foreach (var workload in s.Workloads)
        {
            md.AppendLine(Invariant, $"- **({workload.Letter})** {workload.Description}.");
        }

        md.AppendLine();
        md.AppendLine("### Throughput and latency").AppendLine();
        md.AppendLine("Latencies are those of the request named in the second column (for a flow: the device call, not its getnonce); " +
            "a flow's operation is one getnonce plus one device call. Errors: any HTTP status other than 200, any in-body status other than 0, any transport error. " +
            "CPU is the share of one core used over the measured window (the machine has " + env.Cores.ToString(Invariant) + "): a server well below the cores left to it is waiting, not computing. " +
            "CPU per HTTP request (server CPU time divided by requests answered) is the steadiest column on a shared machine: it does not depend on how much CPU was left to the server. " +
            "For (e) the mock runs inside the load tool, so its CPU is in the tool's column.");
        md.AppendLine();
        var rounds = s.Rounds > 1;
        md.AppendLine("| workload | measured request | conns | operations/s | HTTP requests/s |" + (rounds ? " operations/s, min-max of rounds |" : "") +
            " p50 ms | p99 ms | p99.9 ms | flow p99 ms | errors | server RSS peak MiB | server CPU % | server CPU µs per HTTP request | load tool CPU % |");
        md.AppendLine("|---|---|--:|--:|--:|" + (rounds ? "--:|" : "") + "--:|--:|--:|--:|--:|--:|--:|--:|--:|");
        foreach (var group in results.GroupBy(r => (r.Workload.Letter, r.Connections)).OrderBy(g => g.Key.Letter).ThenBy(g => g.Key.Connections))
        {
            // With several rounds, the row is the round with the median rate; errors and memory cover every round.
            var r = Median(group.ToArray());
            var spread = rounds ? $" {Rate(group.Min(p => p.OperationsPerSecond))}-{Rate(group.Max(p => p.OperationsPerSecond))} |" : "";
            var peak = group.Max(p => p.PeakRssKb);
            md.AppendLine(Invariant,
                $"| ({r.Workload.Letter}) {r.Workload.Name} | {r.Workload.MeasuredRequest} | {r.Connections} | {Rate(r.OperationsPerSecond)} | {Rate(r.RequestsPerSecond)} |{spread} " +
                $"{Ms(r.Measured.P50)} | {Ms(r.Measured.P99)} | {Ms(r.Measured.P999)} | {(r.Workload.IsFlow ? Ms(r.Flow.P99) : "")} | " +
                $"{group.Sum(p => p.Errors).ToString("N0", Invariant)} | {(peak > 0 ? MiB(peak) : "")} | {Percent(r.ServerCpuPercent)} | {CpuPerRequest(r)} | {Percent(r.GeneratorCpuPercent)} |");
        }

        md.AppendLine();
        md.AppendLine("### Ratios (same run)").AppendLine();
        md.AppendLine("(b), (c) and (d) are compared with (a) per HTTP request; (c) is compared with (e) per flow." +
            (s.Rounds > 1 ? " Each ratio is the median of the ratios of the rounds, each round comparing phases run back to back." : "")).AppendLine();
        md.AppendLine("| conns | (b)/(a) getnonce | (c)/(a) enable/disable flow | (d)/(a) getfeatures flow | (c)/(e) flow vs WireMock |");
        md.AppendLine("|--:|--:|--:|--:|--:|");
        foreach (var connections in s.Connections)
        {
            md.AppendLine(Invariant,
                $"| {connections} | {Ratio(results, 'b', 'a', connections, perRequest: true)} | {Ratio(results, 'c', 'a', connections, perRequest: true)} | " +
                $"{Ratio(results, 'd', 'a', connections, perRequest: true)} | {Ratio(results, 'c', 'e', connections, perRequest: false, asMultiple: true)} |");
        }

        if (facts.Anchor is { } anchor)
        {
            RenderAnchor(md, facts, anchor, results);
        }

        md.AppendLine();
        md.AppendLine(Invariant, $"### Targets (at {s.TargetConnections} connections)").AppendLine();
        md.AppendLine("Ratio targets show the server CPU per HTTP request of both workloads beside the ratio (the (e) mock runs in the load tool: no server CPU).").AppendLine();
        md.AppendLine("| target | measured | verdict |").AppendLine("|---|--:|---|");
        foreach (var (target, measured, verdict) in Targets(facts, results))
        {
            md.AppendLine(Invariant, $"| {target} | {measured} | {verdict} |");
        }

        if (Budgets(facts, results) is { Count: > 0 } budgets)
        {
            md.AppendLine().AppendLine(Invariant, $"### What the ratio targets allow (CPU per HTTP request, on all {env.Cores} cores)").AppendLine();
            md.AppendLine("A ratio target is reachable only if its workload's requests cost, every process of the run together (the server, the load " +
                "tool" + (s.Database == DatabaseKind.Postgres ? ", PostgreSQL" : "") + "), at most the machine's cores divided by the rate the goal asks for: " +
                "`cores / (goal × the other workload's HTTP requests/s)`. A measured cost above that allowance proves the target out of " +
                "reach in this run, whatever the waiting; one below it proves nothing. The last column is what the allowance leaves the " +
                "server once the other processes' measured share is taken.").AppendLine();
            md.AppendLine("| target | allowed, all processes µs | measured, all processes µs | of which server µs | left for the server µs |");
            md.AppendLine("|---|--:|--:|--:|--:|");
            foreach (var b in budgets)
            {
                md.AppendLine(Invariant, $"| {b.Target} | {b.AllowedUs:0} | {b.MeasuredUs:0} | {b.ServerUs:0} | {b.AllowedUs - b.OthersUs:0} |");
            }
        }

        var failing = results.Where(r => r.Errors > 0 || r.WarmupErrors > 0).ToArray();
        if (failing.Length > 0)
        {
            md.AppendLine().AppendLine("### Errors").AppendLine();
            foreach (var r in failing)
            {
                md.AppendLine(Invariant, $"- ({r.Workload.Letter}) at {r.Connections} connections, round {r.Round}: {r.Errors:N0} measured, {r.WarmupErrors:N0} during warm-up");
                foreach (var (kind, count) in r.ErrorKinds)
                {
                    md.AppendLine(Invariant, $"  - {count:N0} × {kind}");
                }
            }
        }

        return md.ToString();
    }

    /// <summary>Where a run's report goes in the page: one section per provider, so that each keeps its last recorded run.</summary>
    public static string SectionName(DatabaseKind database) => database == DatabaseKind.Postgres ? "load-report-postgres" : "load-report";

    /// <summary>Puts the report between the markers of <paramref name="path"/>, keeping everything around them.</summary>
    public static Task WriteAsync(string path, string report, CancellationToken cancellationToken) =>
        WriteSectionAsync(path, "load-report", BeginMarker, EndMarker, report, cancellationToken);

    /// <summary>Puts a report between the markers <c>&lt;!-- NAME:begin --&gt;</c> and <c>&lt;!-- NAME:end --&gt;</c>, keeping the rest.</summary>
    public static Task WriteSectionAsync(string path, string name, string report, CancellationToken cancellationToken) =>
        WriteSectionAsync(path, name, $"<!-- {name}:begin (written by bench/DeviceFeatures.Load: everything up to {name}:end is replaced by each run) -->",
            $"<!-- {name}:end -->", report, cancellationToken);

    private static async Task WriteSectionAsync(string path, string name, string beginMarker, string endMarker, string report, CancellationToken cancellationToken)
    {
        var section = $"{beginMarker}\n{report.TrimEnd()}\n{endMarker}\n";
        string content;
        if (!File.Exists(path))
        {
            content = $"# Benchmarks\n\n{section}";
        }
        else
        {
            var existing = await File.ReadAllTextAsync(path, cancellationToken).ConfigureAwait(false);
            var begin = existing.IndexOf($"<!-- {name}:begin", StringComparison.Ordinal);
            var end = existing.IndexOf(endMarker, StringComparison.Ordinal);
            if (begin >= 0 && end > begin)
            {
                var after = existing[(end + endMarker.Length)..].TrimStart('\n');
                content = string.Concat(existing.AsSpan(0, begin), section, after.Length > 0 ? "\n" + after : "");
            }
            else
            {
                content = $"{existing.TrimEnd()}\n\n{section}";
            }
        }

        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        await File.WriteAllTextAsync(path, content, cancellationToken).ConfigureAwait(false);
    }

    // The ratio targets. (c) against (e) compares flows, which are two HTTP requests on both sides.
    private static readonly (char Numerator, char Denominator, double Goal, bool PerRequest, string Target)[] RatioGoals =
    [
        ('b', 'a', 0.80, true, "(b) getnonce ≥ 80 % of (a)"),
        ('d', 'a', 0.70, true, "(d) getfeatures flow ≥ 70 % of (a), per HTTP request"),
        ('c', 'a', 0.60, true, "(c) enable/disable flow ≥ 60 % of (a), per HTTP request"),
        ('c', 'e', 1.0, false, "(c) flow ≥ 1 × (e) WireMock flow"),
    ];

    /// <summary>
    /// For each ratio target, the CPU per HTTP request its workload could spend at most, every process of the run
    /// together, for the goal to be reachable with every core busy: <c>cores / (goal × the other workload's HTTP
    /// requests/s)</c>, beside what it measured (the median rounds of both). A measured cost above the allowance proves
    /// the target out of reach in this run whatever the waiting; one below it proves nothing.
    /// </summary>
    public static IReadOnlyList<CpuBudget> Budgets(RunFacts facts, IReadOnlyList<PhaseResult> results)
    {
        var n = facts.Settings.TargetConnections;
        var budgets = new List<CpuBudget>();
        foreach (var (numerator, denominator, goal, _, target) in RatioGoals)
        {
            var top = results.Where(r => r.Workload.Letter == numerator && r.Connections == n).ToArray();
            var bottom = results.Where(r => r.Workload.Letter == denominator && r.Connections == n).ToArray();
            if (top.Length == 0 || bottom.Length == 0)
            {
                continue;
            }

            var (x, y) = (Median(top), Median(bottom));
            if (double.IsNaN(x.ServerCpuPercent) || y.Requests == 0)
            {
                continue;
            }

            var server = PerRequest(x.ServerCpuPercent, x.RequestsPerSecond);
            var others = PerRequest(x.GeneratorCpuPercent, x.RequestsPerSecond) + (double.IsNaN(x.DatabaseCpuPercent) ? 0 : PerRequest(x.DatabaseCpuPercent, x.RequestsPerSecond));
            var allowed = facts.Environment.Cores * 1_000_000 / (goal * y.RequestsPerSecond);
            budgets.Add(new CpuBudget(target, allowed, server + others, server, others));
        }

        return budgets;
    }

    /// <summary>µs of CPU per request (or per transaction) from a share of one core, in %, and a rate.</summary>
    private static double PerRequest(double cpuPercent, double requestsPerSecond) => cpuPercent / 100 * 1_000_000 / requestsPerSecond;

    /// <summary>The issue's targets with what this run measured; a phase with errors proves nothing either way.</summary>
    public static IReadOnlyList<(string Target, string Measured, string Verdict)> Targets(RunFacts facts, IReadOnlyList<PhaseResult> results)
    {
        var n = facts.Settings.TargetConnections;
        var list = RatioGoals.Select(g => RatioTarget(results, n, g.Numerator, g.Denominator, g.Goal, g.PerRequest, g.Target)).ToList();

        foreach (var workload in Workload.All)
        {
            list.Add(TailTarget(results, n, workload));
        }

        var peakKb = Math.Max(facts.OverallPeakRssKb, facts.HighWaterMarkKb);
        list.Add(("server resident memory ≤ 200 MiB through the run",
            $"{MiB(facts.OverallPeakRssKb)} MiB sampled, {MiB(facts.HighWaterMarkKb)} MiB kernel high-water mark",
            peakKb == 0 ? "not measured" : peakKb / 1024.0 <= MemoryTargetMiB ? "met" : "**missed**"));

        if (facts.Settings.Database == DatabaseKind.Postgres)
        {
            list.Add(AnchorTarget(facts, results, n));
        }

        return list;
    }

    /// <summary>How a pgbench mode is named in the report.</summary>
    public static string ModeName(PgBenchMode mode) => mode == PgBenchMode.Pipelined ? "pipelined (one round trip)" : "one statement per round trip";

    private static (string, string, string) TailTarget(IReadOnlyList<PhaseResult> results, int connections, Workload workload)
    {
        var target = $"p99 ≤ 3 × p50 of ({workload.Letter}) {workload.MeasuredRequest}";
        var phases = results.Where(r => r.Workload.Letter == workload.Letter && r.Connections == connections).ToArray();
        if (phases.Length == 0)
        {
            return (target, "not measured", "not measured");
        }

        var m = Median(phases).Measured;
        var factor = m.P99 / m.P50;
        return (target, $"{Ms(m.P99)} / {Ms(m.P50)} ms = {factor:0.0} ×", Verdict(m.P99 <= TailFactor * m.P50, phases));
    }

    private static (string, string, string) AnchorTarget(RunFacts facts, IReadOnlyList<PhaseResult> results, int connections)
    {
        const string Target = "(c) device calls/s ≥ 0.7 × pgbench pipelined tps (PostgreSQL, same cluster)";
        if (facts.Anchor is not { } anchor)
        {
            return (Target, "not measured (--pgbench none)", "not measured");
        }

        if (anchor.Unavailable is { } reason)
        {
            return (Target, reason, "not measured");
        }

        var flows = results.Where(r => r.Workload.Letter == 'c' && r.Connections == connections).ToArray();
        var pipelined = anchor.Results.Where(r => r.Mode == PgBenchMode.Pipelined && r.Connections == connections).ToArray();
        if (flows.Length == 0 || pipelined.Length == 0)
        {
            return (Target, "not measured", "not measured");
        }

        if (pipelined.FirstOrDefault(r => r.Failed) is { } failed)
        {
            return (Target, failed.Problem ?? $"{failed.Output?.Failed:N0} failed transactions", "invalid: pgbench failed");
        }

        if (AnchorRatio(results, anchor, PgBenchMode.Pipelined, connections) is not { } ratio)
        {
            return (Target, "not measured", "not measured");
        }

        var flow = Median(flows);
        var tps = MedianTps(pipelined);
        var measured = $"{ratio:0.00} × ({Rate(flow.OperationsPerSecond)} device calls/s / {Rate(tps)} tps)";
        if (facts.PostgresServer is { Durable: false })
        {
            return (Target, measured, "invalid: fsync or synchronous_commit is off");
        }

        return (Target, measured, Verdict(ratio >= AnchorGoal, flows));
    }

    /// <summary>The median over rounds of (c)'s operations/s (one device call each) over pgbench's tps of the same round.</summary>
    private static double? AnchorRatio(IReadOnlyList<PhaseResult> results, AnchorRun anchor, PgBenchMode mode, int connections)
    {
        var ratios = new List<double>();
        foreach (var flow in results.Where(r => r.Workload.Letter == 'c' && r.Connections == connections))
        {
            if (anchor.Results.FirstOrDefault(r => r.Mode == mode && r.Connections == connections && r.Round == flow.Round) is { Failed: false, Output: { Tps: > 0 } output })
            {
                ratios.Add(flow.OperationsPerSecond / output.Tps);
            }
        }

        return MedianOf(ratios);
    }

    private static double MedianTps(PgBenchResult[] rounds) =>
        rounds.Where(r => !r.Failed).Select(r => r.Output!.Tps).Order().ElementAtOrDefault((rounds.Count(r => !r.Failed) - 1) / 2);

    private static void RenderAnchor(StringBuilder md, RunFacts facts, AnchorRun anchor, IReadOnlyList<PhaseResult> results)
    {
        var s = facts.Settings;
        md.AppendLine();
        md.AppendLine("### PostgreSQL anchor (pgbench, same cluster, same run)").AppendLine();
        if (anchor.Unavailable is { } reason)
        {
            md.AppendLine(Invariant, $"pgbench did not run: {reason}.");
            return;
        }

        md.Append(anchor.PgBenchVersion).Append(
            " ran the writes of one enable/disablefeature call (spend a nonce, upsert the choice, append an audit event, commit: " +
            "the server's own statements and tables) on this run's database, right after the workloads of each round; clients = connections, " +
            string.Create(Invariant, $"`-j` = min(connections, {facts.Environment.Cores}), `-M prepared`, `-n`, an unreported warm-up run of {Seconds(s.Warmup)} then {Seconds(s.Duration)} measured (whole seconds). ") +
            "One statement per round trip: BEGIN, three INSERTs and END each wait for their answer (five round trips); pipelined: the same five between " +
            "`\\startpipeline` and `\\endpipeline` (one round trip). tps is pgbench's \"without initial connection time\". The (c) row is the server's flow at the same connections: " +
            "its device calls/s (one per operation) and the PostgreSQL CPU they cost. The ratio is the median over rounds of (c)'s device calls/s over the tps of the same round. " +
            "CPU is the share of one core over the run; PostgreSQL's is its postmaster and all its processes (only when the cluster runs on this machine)." +
            (s.Rounds > 1 ? " Each row is the round with the median rate." : "")).AppendLine().AppendLine();
        md.AppendLine("| what | conns | transactions/s | latency average ms | failed | pgbench CPU % | PostgreSQL CPU % | PostgreSQL CPU µs per transaction | (c) device calls/s ÷ this |");
        md.AppendLine("|---|--:|--:|--:|--:|--:|--:|--:|--:|");
        foreach (var connections in anchor.Results.Select(r => r.Connections).Distinct().Order())
        {
            if (results.Where(r => r.Workload.Letter == 'c' && r.Connections == connections).ToArray() is { Length: > 0 } flows)
            {
                var flow = Median(flows);
                md.AppendLine(Invariant,
                    $"| (c) enable/disable flow: device calls | {connections} | {Rate(flow.OperationsPerSecond)} | {Ms(flow.Measured.P50)} (p50) | {flows.Sum(p => p.Errors):N0} |  | " +
                    $"{Percent(flow.DatabaseCpuPercent)} | {PerTransaction(flow.DatabaseCpuPercent, flow.OperationsPerSecond)} |  |");
            }

            foreach (var mode in Enum.GetValues<PgBenchMode>())
            {
                var rounds = anchor.Results.Where(r => r.Mode == mode && r.Connections == connections).ToArray();
                var ok = rounds.Where(r => !r.Failed).OrderBy(r => r.Output!.Tps).ToArray();
                var problem = rounds.FirstOrDefault(r => r.Problem is not null)?.Problem;
                var failedCount = rounds.Sum(r => r.Output?.Failed ?? 0);
                var failed = problem is not null ? $"{failedCount:N0}; {problem.Replace("|", "\\|", StringComparison.Ordinal)}" : failedCount.ToString("N0", Invariant);
                if (ok.Length == 0)
                {
                    md.AppendLine(Invariant, $"| pgbench, {ModeName(mode)} | {connections} |  |  | {failed} |  |  |  |  |");
                    continue;
                }

                var r = ok[(ok.Length - 1) / 2];
                var ratio = AnchorRatio(results, anchor, mode, connections);
                md.AppendLine(Invariant,
                    $"| pgbench, {ModeName(mode)} | {connections} | {Rate(r.Output!.Tps)} | {Ms(r.Output.LatencyAverageMs)} | {failed} | {Percent(r.ClientCpuPercent)} | " +
                    $"{Percent(r.DatabaseCpuPercent)} | {PerTransaction(r.DatabaseCpuPercent, r.Output.Tps)} | {(ratio is { } x ? $"{x:0.00} ×" : "")} |");
            }
        }
    }

    private static string PerTransaction(double cpuPercent, double perSecond) =>
        double.IsNaN(cpuPercent) || perSecond <= 0 ? "" : PerRequest(cpuPercent, perSecond).ToString("0", Invariant);

    private static (string, string, string) RatioTarget(IReadOnlyList<PhaseResult> results, int connections, char numerator, char denominator, double goal, bool perRequest, string target)
    {
        var ratio = RatioOf(results, numerator, denominator, connections, perRequest);
        if (ratio is null)
        {
            return (target, "not measured", "not measured");
        }

        var shown = goal >= 1 ? $"{ratio:0.00} ×" : $"{ratio * 100:0} %";
        var cpu = $"{numerator} {CpuAt(results, numerator, connections)} / {denominator} {CpuAt(results, denominator, connections)}";
        return (target, $"{shown} ({cpu})", Verdict(ratio >= goal, results.Where(r => r.Connections == connections && (r.Workload.Letter == numerator || r.Workload.Letter == denominator))));
    }

    /// <summary>Server CPU µs per HTTP request of a workload's median round, or n/a (the mock of (e) has no server).</summary>
    private static string CpuAt(IReadOnlyList<PhaseResult> results, char letter, int connections)
    {
        var phases = results.Where(r => r.Workload.Letter == letter && r.Connections == connections).ToArray();
        var cpu = phases.Length == 0 ? "" : CpuPerRequest(Median(phases));
        return cpu.Length == 0 ? "n/a" : $"{cpu} µs";
    }

    private static string Verdict(bool met, IEnumerable<PhaseResult> phases) =>
        phases.Any(p => p.Errors > 0) ? "invalid: the phase had errors" : met ? "met" : "**missed**";

    private static string Ratio(IReadOnlyList<PhaseResult> results, char numerator, char denominator, int connections, bool perRequest, bool asMultiple = false) =>
        RatioOf(results, numerator, denominator, connections, perRequest) is not { } ratio ? ""
            : asMultiple ? $"{ratio:0.00} ×" : $"{ratio * 100:0} %";

    /// <summary>The median over rounds of the ratio of two workloads measured in the same round.</summary>
    private static double? RatioOf(IReadOnlyList<PhaseResult> results, char numerator, char denominator, int connections, bool perRequest)
    {
        var ratios = new List<double>();
        foreach (var top in results.Where(r => r.Workload.Letter == numerator && r.Connections == connections))
        {
            var bottom = results.FirstOrDefault(r => r.Workload.Letter == denominator && r.Connections == connections && r.Round == top.Round);
            if (bottom is not null && bottom.Operations > 0)
            {
                ratios.Add(perRequest ? top.RequestsPerSecond / bottom.RequestsPerSecond : top.OperationsPerSecond / bottom.OperationsPerSecond);
            }
        }

        return MedianOf(ratios);
    }

    private static double? MedianOf(List<double> values)
    {
        if (values.Count == 0)
        {
            return null;
        }

        values.Sort();
        return values.Count % 2 == 1 ? values[values.Count / 2] : (values[(values.Count / 2) - 1] + values[values.Count / 2]) / 2;
    }

    /// <summary>The round with the median rate (the lower middle one for an even count).</summary>
    private static PhaseResult Median(PhaseResult[] rounds) => rounds.OrderBy(r => r.OperationsPerSecond).ElementAt((rounds.Length - 1) / 2);

    private static string Rate(double value) => value.ToString("N0", Invariant);

    private static string Ms(double value) => double.IsNaN(value) ? "" : value < 10 ? value.ToString("0.00", Invariant) : value.ToString("0.0", Invariant);

    private static string CpuPerRequest(PhaseResult r) =>
        double.IsNaN(r.ServerCpuPercent) || r.Requests == 0 ? "" : PerRequest(r.ServerCpuPercent, r.RequestsPerSecond).ToString("0", Invariant);

    private static string Percent(double value) => double.IsNaN(value) ? "" : value.ToString("0", Invariant);

    private static string MiB(long kb) => (kb / 1024.0).ToString("0", Invariant);

    private static string Seconds(TimeSpan span) => span.TotalSeconds.ToString("0.###", Invariant) + " s";
}
