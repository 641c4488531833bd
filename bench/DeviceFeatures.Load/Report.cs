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
    long HighWaterMarkKb);

/// <summary>
/// The table of a run, its ratios and its targets, as Markdown: printed, and written into <c>docs/benchmarks.md</c>
/// between two markers so that the rest of that page (micro-benchmarks, profile notes) is kept.
/// </summary>
internal static class Report
{
    public const string BeginMarker = "<!-- load-report:begin (written by bench/DeviceFeatures.Load: everything up to load-report:end is replaced by each run) -->";
    public const string EndMarker = "<!-- load-report:end -->";
    private const double MemoryTargetMiB = 200;
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
        md.AppendLine(Invariant, $"| phases | first every workload once unmeasured ({Seconds(s.Warmup)} at 8 connections); then at each connection count{(s.Rounds > 1 ? $", {s.Rounds} rounds of" : "")} each workload in turn: {Seconds(s.Warmup)} warm-up, then {Seconds(s.Duration)} measured; closed loop, one HttpClient (SocketsHttpHandler, MaxConnectionsPerServer = N) and N workers |");
        md.AppendLine(Invariant, $"| command | `{s.CommandLine}` |");
        md.AppendLine();

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

        md.AppendLine();
        md.AppendLine(Invariant, $"### Targets (at {s.TargetConnections} connections)").AppendLine();
        md.AppendLine("| target | measured | verdict |").AppendLine("|---|--:|---|");
        foreach (var (target, measured, verdict) in Targets(facts, results))
        {
            md.AppendLine(Invariant, $"| {target} | {measured} | {verdict} |");
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

    /// <summary>The issue's targets with what this run measured; a phase with errors proves nothing either way.</summary>
    public static IReadOnlyList<(string Target, string Measured, string Verdict)> Targets(RunFacts facts, IReadOnlyList<PhaseResult> results)
    {
        var n = facts.Settings.TargetConnections;
        var list = new List<(string, string, string)>
        {
            RatioTarget(results, n, 'c', 'a', 0.50, perRequest: true, "(c) enable/disable flow ≥ 50 % of (a), per HTTP request"),
            RatioTarget(results, n, 'b', 'a', 0.80, perRequest: true, "(b) getnonce ≥ 80 % of (a)"),
            RatioTarget(results, n, 'd', 'a', 0.70, perRequest: true, "(d) getfeatures flow ≥ 70 % of (a), per HTTP request"),
            RatioTarget(results, n, 'c', 'e', 2.0, perRequest: false, "(c) flow ≥ 2 × (e) WireMock flow"),
        };

        var enable = results.Where(r => r.Workload.Letter == 'c' && r.Connections == n).ToArray();
        list.Add(enable.Length == 0
            ? ("p99 of enable/disablefeature ≤ 10 ms", "not measured", "not measured")
            : ("p99 of enable/disablefeature ≤ 10 ms", $"{Ms(Median(enable).Measured.P99)} ms", Verdict(Median(enable).Measured.P99 <= 10, enable)));

        var peakKb = Math.Max(facts.OverallPeakRssKb, facts.HighWaterMarkKb);
        list.Add(("server resident memory ≤ 200 MiB through the run",
            $"{MiB(facts.OverallPeakRssKb)} MiB sampled, {MiB(facts.HighWaterMarkKb)} MiB kernel high-water mark",
            peakKb == 0 ? "not measured" : peakKb / 1024.0 <= MemoryTargetMiB ? "met" : "**missed**"));
        return list;
    }

    private static (string, string, string) RatioTarget(IReadOnlyList<PhaseResult> results, int connections, char numerator, char denominator, double goal, bool perRequest, string target)
    {
        var ratio = RatioOf(results, numerator, denominator, connections, perRequest);
        if (ratio is null)
        {
            return (target, "not measured", "not measured");
        }

        var shown = goal >= 1 ? $"{ratio:0.00} ×" : $"{ratio * 100:0} %";
        return (target, shown, Verdict(ratio >= goal, results.Where(r => r.Connections == connections && (r.Workload.Letter == numerator || r.Workload.Letter == denominator))));
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

        if (ratios.Count == 0)
        {
            return null;
        }

        ratios.Sort();
        return ratios.Count % 2 == 1 ? ratios[ratios.Count / 2] : (ratios[(ratios.Count / 2) - 1] + ratios[ratios.Count / 2]) / 2;
    }

    /// <summary>The round with the median rate (the lower middle one for an even count).</summary>
    private static PhaseResult Median(PhaseResult[] rounds) => rounds.OrderBy(r => r.OperationsPerSecond).ElementAt((rounds.Length - 1) / 2);

    private static string Rate(double value) => value.ToString("N0", Invariant);

    private static string Ms(double value) => double.IsNaN(value) ? "" : value < 10 ? value.ToString("0.00", Invariant) : value.ToString("0.0", Invariant);

    private static string CpuPerRequest(PhaseResult r) =>
        double.IsNaN(r.ServerCpuPercent) || r.Requests == 0 ? "" : (r.ServerCpuPercent / 100 * 1_000_000 / r.RequestsPerSecond).ToString("0", Invariant);

    private static string Percent(double value) => double.IsNaN(value) ? "" : value.ToString("0", Invariant);

    private static string MiB(long kb) => (kb / 1024.0).ToString("0", Invariant);

    private static string Seconds(TimeSpan span) => span.TotalSeconds.ToString("0.###", Invariant) + " s";
}
