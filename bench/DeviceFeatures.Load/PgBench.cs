using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace DeviceFeatures.Load;

/// <summary>How the anchor's transaction reaches PostgreSQL.</summary>
internal enum PgBenchMode
{
    /// <summary>BEGIN, the three statements and END, each waiting for its answer: five round trips.</summary>
    OneStatementPerRoundTrip,

    /// <summary>The same five statements between <c>\startpipeline</c> and <c>\endpipeline</c>: one round trip.</summary>
    Pipelined,
}

/// <summary>What one pgbench run printed: its rate, its mean latency and its transactions.</summary>
internal sealed partial record PgBenchOutput(double Tps, double LatencyAverageMs, long Transactions, long Failed)
{
    /// <summary>
    /// Reads pgbench's summary. pgbench 14 and later print <c>tps = N (without initial connection time)</c>; older
    /// versions print two lines, <c>including</c> and <c>excluding connections establishing</c>, of which the second is
    /// the one comparable with a run whose connections are already open (as the server's pool is).
    /// </summary>
    public static PgBenchOutput? Parse(string output)
    {
        double? tps = null;
        double? firstTps = null;
        double latency = double.NaN;
        long? transactions = null;
        long failed = 0;
        foreach (var raw in output.Split('\n'))
        {
            var line = raw.Trim();
            if (TpsLine().Match(line) is { Success: true } t)
            {
                var value = double.Parse(t.Groups[1].Value, CultureInfo.InvariantCulture);
                firstTps ??= value;
                if (t.Groups[2].Value is "without initial connection time" or "excluding connections establishing")
                {
                    tps = value;
                }
            }
            else if (LatencyLine().Match(line) is { Success: true } l)
            {
                latency = double.Parse(l.Groups[1].Value, CultureInfo.InvariantCulture);
            }
            else if (ProcessedLine().Match(line) is { Success: true } p)
            {
                transactions = long.Parse(p.Groups[1].Value, CultureInfo.InvariantCulture);
            }
            else if (FailedLine().Match(line) is { Success: true } f)
            {
                failed = long.Parse(f.Groups[1].Value, CultureInfo.InvariantCulture);
            }
        }

        return (tps ?? firstTps) is { } rate && transactions is { } count ? new PgBenchOutput(rate, latency, count, failed) : null;
    }

    /// <summary>The first error pgbench reported on standard error (an aborted client, a refused connection), if any.</summary>
    public static string? FirstError(string error)
    {
        var line = error.Split('\n').Select(l => l.Trim()).FirstOrDefault(l => l.StartsWith("pgbench: error:", StringComparison.Ordinal) || l.StartsWith("pgbench: fatal:", StringComparison.Ordinal));
        return line is null ? null : line.Length <= 200 ? line : string.Concat(line.AsSpan(0, 200), "...");
    }

    [GeneratedRegex(@"^tps = (\d+(?:\.\d+)?)(?: \(([^)]*)\))?")]
    private static partial Regex TpsLine();

    [GeneratedRegex(@"^latency average = (\d+(?:\.\d+)?) ms")]
    private static partial Regex LatencyLine();

    [GeneratedRegex(@"^number of transactions actually processed: (\d+)")]
    private static partial Regex ProcessedLine();

    [GeneratedRegex(@"^number of failed transactions: (\d+)")]
    private static partial Regex FailedLine();
}

/// <summary>
/// The pgbench scripts of the anchor: the writes of one enable/disablefeature call, as the server's statements
/// (<c>NonceStatements</c>, <c>ChoiceStatements</c>, <c>AuditStatements</c>) make them, in one transaction. The nonce is
/// 20 bytes like the server's, led by the current second as the server's are, so that the primary key of
/// <c>used_nonces</c> is filled in the same order; times are the server's Unix milliseconds.
/// </summary>
internal static class PgBenchScripts
{
    /// <summary>Variables the tool passes with <c>-D</c>: the partner's client id and the provisioned user ids.</summary>
    public const string PartnerVariable = "partner";
    public const string FirstUserVariable = "first_user";
    public const string LastUserVariable = "last_user";

    /// <summary>The nonce lifetime the server's configuration defaults to, in seconds (its expiry column's value).</summary>
    public const int NonceLifetimeSeconds = 600;

    public static string Render(PgBenchMode mode)
    {
        var feature = $"'{WireWorker.Feature}'";
        var model = WireWorker.Model.ToString(CultureInfo.InvariantCulture);
        const string NowMs = "(extract(epoch FROM now()) * 1000)::bigint";
        var s = new StringBuilder();
        s.Append("\\set r1 random(1, 9000000000000000000)\n");
        s.Append("\\set r2 random(1, 9000000000000000000)\n");
        s.Append(CultureInfo.InvariantCulture, $"\\set uid random(:{FirstUserVariable}, :{LastUserVariable})\n");
        s.Append("\\set active random(0, 1)\n");
        if (mode == PgBenchMode.Pipelined)
        {
            s.Append("\\startpipeline\n");
        }

        s.Append("BEGIN;\n");
        s.Append(CultureInfo.InvariantCulture,
            $"INSERT INTO used_nonces (nonce, client_id, expires_at) VALUES (int4send(extract(epoch FROM now())::integer) || int8send(:r1) || int8send(:r2), :{PartnerVariable}, (extract(epoch FROM now())::bigint + {NonceLifetimeSeconds}) * 1000) ON CONFLICT (nonce) DO NOTHING;\n");
        s.Append(CultureInfo.InvariantCulture,
            $"INSERT INTO choices (userid, model, feature_name, active, updated_at) VALUES (:uid, {model}, {feature}, :active::boolean, {NowMs}) ON CONFLICT (userid, model, feature_name) DO UPDATE SET active = excluded.active, updated_at = excluded.updated_at;\n");
        s.Append(CultureInfo.InvariantCulture,
            $"INSERT INTO audit_events (occurred_at, kind, actor, client_id, userid, model, feature_name, old_value, new_value, request_id, detail) VALUES ({NowMs}, CASE WHEN :active::boolean THEN 'feature.enabled' ELSE 'feature.disabled' END, :{PartnerVariable}, :{PartnerVariable}, :uid, {model}, {feature}, NOT :active::boolean, :active::boolean, :r1, NULL);\n");
        s.Append("END;\n");
        if (mode == PgBenchMode.Pipelined)
        {
            s.Append("\\endpipeline\n");
        }

        return s.ToString();
    }
}

/// <summary>Finds pgbench and runs it as a child process, with the password in its environment only.</summary>
internal sealed partial class PgBenchRunner(string path, int majorVersion, string versionText)
{
    public string Path { get; } = path;

    public int MajorVersion { get; } = majorVersion;

    /// <summary>What <c>pgbench --version</c> printed, e.g. <c>pgbench (PostgreSQL) 15.18</c>.</summary>
    public string VersionText { get; } = versionText;

    /// <summary>pgbench on the PATH, or the newest under <c>/usr/lib/postgresql/*/bin</c>; null when there is none.</summary>
    public static async Task<PgBenchRunner?> FindAsync(CancellationToken cancellationToken)
    {
        var candidates = new List<string>();
        foreach (var directory in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(System.IO.Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            candidates.Add(System.IO.Path.Combine(directory, "pgbench"));
        }

        if (Directory.Exists("/usr/lib/postgresql"))
        {
            candidates.AddRange(Directory.GetDirectories("/usr/lib/postgresql")
                .Select(d => (Directory: d, Version: int.TryParse(System.IO.Path.GetFileName(d), NumberStyles.None, CultureInfo.InvariantCulture, out var v) ? v : 0))
                .OrderByDescending(d => d.Version)
                .Select(d => System.IO.Path.Combine(d.Directory, "bin", "pgbench")));
        }

        foreach (var candidate in candidates.Where(File.Exists))
        {
            var (exitCode, output, _) = await RunEnvironment.RunProcessAsync(candidate, ["--version"], cancellationToken).ConfigureAwait(false);
            if (exitCode == 0 && VersionPattern().Match(output) is { Success: true } match)
            {
                return new PgBenchRunner(candidate, int.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture), output.Trim());
            }
        }

        return null;
    }

    /// <summary>pipelines (<c>\startpipeline</c>) came with pgbench 14.</summary>
    public bool Supports(PgBenchMode mode) => mode != PgBenchMode.Pipelined || MajorVersion >= 14;

    /// <summary>
    /// Runs one script for <paramref name="seconds"/> with <paramref name="clients"/> clients and answers what it
    /// printed, with the CPU time pgbench itself used (read from this process's reaped children, since the child's
    /// own counters are gone once it has exited).
    /// </summary>
    public async Task<(int ExitCode, string Output, string Error, TimeSpan ClientCpu, TimeSpan Elapsed)> RunAsync(
        PgBenchConnection connection, string scriptPath, int clients, int threads, int seconds, IReadOnlyDictionary<string, string> variables,
        CancellationToken cancellationToken)
    {
        var info = new ProcessStartInfo(Path) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in Arguments(connection, scriptPath, clients, threads, seconds, variables))
        {
            info.ArgumentList.Add(argument);
        }

        if (connection.Password is { } password)
        {
            info.Environment["PGPASSWORD"] = password;
        }

        var cpuBefore = ReapedChildrenCpu();
        var start = Stopwatch.GetTimestamp();
        using var process = Process.Start(info) ?? throw new LoadException($"could not start {Path}");
        var (exitCode, output, error) = await RunEnvironment.WaitAsync(process, cancellationToken).ConfigureAwait(false);
        var elapsed = Stopwatch.GetElapsedTime(start);
        return (exitCode, output, error, ReapedChildrenCpu() - cpuBefore, elapsed);
    }

    /// <summary>The command line, without any secret: the password goes through <c>PGPASSWORD</c>.</summary>
    public static IReadOnlyList<string> Arguments(
        PgBenchConnection connection, string scriptPath, int clients, int threads, int seconds, IReadOnlyDictionary<string, string> variables)
    {
        var list = new List<string> { "-n", "-M", "prepared", "-c", Invariant(clients), "-j", Invariant(threads), "-T", Invariant(seconds), "-f", scriptPath };
        if (connection.Host is { } host)
        {
            list.AddRange(["-h", host]);
        }

        if (connection.Port is { } port)
        {
            list.AddRange(["-p", Invariant(port)]);
        }

        if (connection.Username is { } user)
        {
            list.AddRange(["-U", user]);
        }

        foreach (var (name, value) in variables)
        {
            list.AddRange(["-D", $"{name}={value}"]);
        }

        list.Add(connection.Database);
        return list;
    }

    /// <summary>User plus system time of this process's children that have exited and been waited for (<c>/proc/self/stat</c> cutime, cstime).</summary>
    private static TimeSpan ReapedChildrenCpu()
    {
        try
        {
            var stat = File.ReadAllText("/proc/self/stat");
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');

            // After the command name: field 3 (state) is index 0, so cutime (16) and cstime (17) are 13 and 14; in clock ticks of 1/100 s.
            var ticks = long.Parse(fields[13], CultureInfo.InvariantCulture) + long.Parse(fields[14], CultureInfo.InvariantCulture);
            return TimeSpan.FromMilliseconds(ticks * 10);
        }
        catch (IOException)
        {
            return TimeSpan.Zero;
        }
    }

    private static string Invariant(int value) => value.ToString(CultureInfo.InvariantCulture);

    [GeneratedRegex(@"\(PostgreSQL\) (\d+)")]
    private static partial Regex VersionPattern();
}

/// <summary>Where pgbench connects: the <c>--postgres</c> server and the run's database; the password never reaches a command line.</summary>
internal sealed record PgBenchConnection(string? Host, int? Port, string? Username, string? Password, string Database)
{
    public static PgBenchConnection From(string connectionString)
    {
        var builder = new Npgsql.NpgsqlConnectionStringBuilder(connectionString);
        return new PgBenchConnection(
            string.IsNullOrEmpty(builder.Host) ? null : builder.Host,
            builder.Port,
            string.IsNullOrEmpty(builder.Username) ? null : builder.Username,
            string.IsNullOrEmpty(builder.Password) ? null : builder.Password,
            builder.Database ?? "postgres");
    }
}
