using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using DeviceFeatures.Cli.Simulation;
using DeviceFeatures.Client.Admin;

namespace DeviceFeatures.Load;

/// <summary>The sync scenario's settings: N devices waiting in long polls, changes at a steady rate.</summary>
internal sealed record SyncSettings
{
    public const int MaxDevices = FleetSettings.MaxCount;

    public required int Devices { get; init; }
    public required double ChangeRate { get; init; }
    public required TimeSpan Duration { get; init; }
    public required int WaitSeconds { get; init; }
    public required DatabaseKind Database { get; init; }
    public string? Postgres { get; init; }
    public string? Output { get; init; }
    public required bool NoBuild { get; init; }
    public required bool KeepDatabase { get; init; }
    public required string CommandLine { get; init; }

    /// <summary>What is wrong with the numbers given, in words for the command line.</summary>
    public static IReadOnlyList<string> Problems(int devices, double changeRate, TimeSpan duration, int waitSeconds)
    {
        var problems = new List<string>();
        if (devices is < 1 or > MaxDevices)
        {
            problems.Add($"--devices must be from 1 to {MaxDevices:N0}");
        }

        if (changeRate is < 0.1 or > 1000)
        {
            problems.Add("--change-rate must be from 0.1 to 1000 changes per second");
        }

        if (duration <= TimeSpan.Zero || duration > LoadLimits.MaxPhase)
        {
            problems.Add($"--duration must be above 0 and at most {LoadLimits.MaxPhase.TotalMinutes:0} minutes");
        }

        if (waitSeconds is < 1 or > 60)
        {
            problems.Add("--wait must be from 1 to 60 seconds (the server's DeviceApi:MaxWaitSeconds)");
        }

        return problems;
    }
}

/// <summary>What the sync scenario measured, besides the fleet's own result.</summary>
internal sealed record SyncMeasurement(FleetResult Fleet, long RssAllWaitingKb, long PeakRssKb, long HighWaterMarkKb, TimeSpan Provisioning, double ServerCpuPercent);

/// <summary>
/// The sync scenario: starts the server like the other workloads, provisions N devices (one admin import per 1,000,
/// and a user per device), lets them all wait in long polls, then makes changes through the partner wire API at a
/// steady rate and measures how long each takes to reach its device, with the server's memory meanwhile. The devices
/// and the change maker are those of <c>devfeat device fleet</c>.
/// </summary>
internal static class SyncScenario
{
    public const double LatencyTargetMs = 1000;
    public const double MemoryTargetMiB = 400;
    public const int MemoryTargetDevices = 10_000;

    public static async Task<int> RunAsync(SyncSettings settings, CancellationToken cancellationToken)
    {
        // Every waiting device holds a socket in this process and another in the server, which inherits this limit.
        if (FileDescriptors.Problem(settings.Devices) is { } problem)
        {
            throw new LoadException(problem);
        }

        var startedAt = TimeProvider.System.GetUtcNow();
        var environment = await RunEnvironment.DetectAsync(cancellationToken).ConfigureAwait(false);
        await environment.EnsureServerBuildAsync(settings.NoBuild, Progress, cancellationToken).ConfigureAwait(false);

        var adminKey = "load-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(24));
        string? throwawayDirectory = null;
        PostgresDatabase? postgres = null;
        string connectionString;
        string databaseDescription;
        if (settings.Database == DatabaseKind.Postgres)
        {
            postgres = await PostgresDatabase.CreateAsync(settings.Postgres!, cancellationToken).ConfigureAwait(false);
            postgres.Keep = settings.KeepDatabase;
            connectionString = postgres.ConnectionString;
            databaseDescription = $"PostgreSQL, throwaway database `{postgres.Name}`";
        }
        else
        {
            throwawayDirectory = Directory.CreateTempSubdirectory("devicefeatures-sync-").FullName;
            connectionString = $"Data Source={Path.Combine(throwawayDirectory, "load.db")}";
            databaseDescription = "SQLite, throwaway file on the local disk, WAL, synchronous=FULL";
        }

        Progress(databaseDescription);
        try
        {
            var port = ServerProcess.FreePort();
            await using var server = await ServerProcess.StartAsync(environment.ServerDll, port,
            [
                $"--Storage:Provider={(settings.Database == DatabaseKind.Postgres ? "postgres" : "sqlite")}",
                $"--Storage:ConnectionString={connectionString}",
                $"--Admin:ApiKey={adminKey}",
                "--Logging:LogLevel:Default=Warning",
                "--Demo:Enabled=false",
                "--RateLimit:Enabled=false",
            ], cancellationToken).ConfigureAwait(false);
            Progress($"server pid {server.Pid} on {server.BaseAddress}");
            await using var memory = new MemorySampler(server.Pid);

            var fleet = new Fleet(server.BaseAddress, CreateHttpClient, TimeProvider.System, Progress);
            using var adminHttp = CreateHttpClient();
            var admin = new DeviceFeaturesAdminClient(adminHttp, server.BaseAddress, adminKey);
            var provisioning = Stopwatch.GetTimestamp();
            var devices = await fleet.ProvisionAsync(admin, settings.Devices, cancellationToken).ConfigureAwait(false);
            var provisioned = Stopwatch.GetElapsedTime(provisioning);
            Progress($"provisioned {settings.Devices:N0} devices in {provisioned.TotalSeconds:0.0} s");

            long rssAllWaiting = 0;
            Task<(double Server, double Generator, double Database)>? cpu = null;
            var result = await fleet.RunAsync(devices, new FleetSettings
            {
                Count = settings.Devices,
                Duration = settings.Duration,
                ChangeRate = settings.ChangeRate,
                Wait = TimeSpan.FromSeconds(settings.WaitSeconds),
            }, () =>
            {
                // The window of the target: from the moment every device waits to the end of the changes.
                memory.BeginWindow();
                rssAllWaiting = ReadRssKb(server.Pid);
                cpu = new CpuMeter(server.Pid).MeasureAsync(TimeSpan.Zero, settings.Duration, cancellationToken);
            }, cancellationToken).ConfigureAwait(false);
            var peak = memory.EndWindow();
            var serverCpu = cpu is null ? double.NaN : (await cpu.ConfigureAwait(false)).Server;
            if (server.HasExited)
            {
                throw new LoadException($"the server exited during the run:{Environment.NewLine}{server.Tail}");
            }

            var measurement = new SyncMeasurement(result, rssAllWaiting, peak, memory.HighWaterMarkKb(), provisioned, serverCpu);
            var report = SyncReport.Render(startedAt, environment, settings, databaseDescription, measurement);
            await Console.Out.WriteLineAsync(report).ConfigureAwait(false);
            if (settings.Output is { } output)
            {
                var path = Path.IsPathRooted(output) ? output : Path.Combine(environment.RepositoryRoot, output);
                await Report.WriteSectionAsync(path, SyncReport.SectionName(settings.Database), report, CancellationToken.None).ConfigureAwait(false);
                Progress($"report written to {path}");
            }

            return result.NotArrived > 0 || result.ChangesRefused > 0 ? LoadCommand.RequestErrors : LoadCommand.Ok;
        }
        finally
        {
            if (postgres is not null)
            {
                await postgres.DisposeAsync().ConfigureAwait(false);
            }

            if (throwawayDirectory is not null && !settings.KeepDatabase)
            {
                Directory.Delete(throwawayDirectory, recursive: true);
            }
        }
    }

    /// <summary>One client for every device: as many connections as devices, each held by a long poll.</summary>
    private static HttpClient CreateHttpClient() => new(new SocketsHttpHandler
    {
        MaxConnectionsPerServer = int.MaxValue,
        PooledConnectionLifetime = Timeout.InfiniteTimeSpan,
        PooledConnectionIdleTimeout = TimeSpan.FromMinutes(5),
        ConnectTimeout = TimeSpan.FromSeconds(30),
        UseCookies = false,
        UseProxy = false,
        AutomaticDecompression = DecompressionMethods.None,
    })
    {
        Timeout = TimeSpan.FromSeconds(120),
    };

    private static long ReadRssKb(int pid)
    {
        try
        {
            var line = File.ReadLines($"/proc/{pid.ToString(CultureInfo.InvariantCulture)}/status").FirstOrDefault(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
            var digits = line?["VmRSS:".Length..].Trim().Split(' ')[0];
            return long.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out var kb) ? kb : 0;
        }
        catch (IOException)
        {
            return 0;
        }
    }

    private static void Progress(string line) => Console.Error.WriteLine(line);
}

/// <summary>The sync scenario's report, as Markdown: one section per provider in docs/benchmarks.md.</summary>
internal static class SyncReport
{
    private static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;

    public static string SectionName(DatabaseKind database) => database == DatabaseKind.Postgres ? "sync-report-postgres" : "sync-report-sqlite";

    public static string Render(DateTimeOffset startedAt, RunEnvironment env, SyncSettings s, string database, SyncMeasurement m)
    {
        var f = m.Fleet;
        var md = new StringBuilder();
        md.AppendLine(Invariant, $"## Sync run: {(s.Database == DatabaseKind.Postgres ? "PostgreSQL" : "SQLite")}").AppendLine();
        md.AppendLine("| | |").AppendLine("|---|---|");
        md.AppendLine(Invariant, $"| date | {startedAt.UtcDateTime:yyyy-MM-dd HH:mm} UTC |");
        md.AppendLine(Invariant, $"| machine | {env.Cores} cores (nproc), {env.CpuModel}, {env.MemoryGiB:0.0} GiB memory; the load tool and the server share it |");
        md.AppendLine(Invariant, $"| commit | `{env.Commit}`{(env.Dirty ? " with uncommitted changes" : "")} |");
        md.AppendLine(Invariant, $"| server | `dotnet DeviceFeatures.Host.dll` (Release, Production, log level Warning) on 127.0.0.1 |");
        md.AppendLine(Invariant, $"| database | {database} |");
        md.AppendLine(Invariant, $"| devices | {f.Devices:N0} Body Pro 2, each with its own user, provisioned in {m.Provisioning.TotalSeconds:0.0} s (admin import of 1,000 per request, one user per device, 16 in flight) |");
        md.AppendLine(Invariant, $"| scenario | every device pulls, reports, then long-polls with `wait={s.WaitSeconds}`; once all wait, `feature_eyes_closed_mode` is toggled through the partner wire API (getnonce + enable/disablefeature) for one device's user after another, {s.ChangeRate:0.##} per second for {s.Duration.TotalSeconds:0.#} s; arrival is timed from the change's answer to the device's receipt of the new value |");
        md.AppendLine(Invariant, $"| command | `{s.CommandLine}` |");
        md.AppendLine();
        md.AppendLine("| measure | value |").AppendLine("|---|--:|");
        md.AppendLine(Invariant, $"| changes made / refused / skipped | {f.ChangesMade:N0} / {f.ChangesRefused:N0} / {f.ChangesSkipped:N0} |");
        md.AppendLine(Invariant, $"| arrived / not arrived | {f.Arrived:N0} / {f.NotArrived:N0} |");
        md.AppendLine(Invariant, $"| change to device p50 | {Ms(f.Percentile(0.50))} ms |");
        md.AppendLine(Invariant, $"| change to device p99 | {Ms(f.Percentile(0.99))} ms |");
        md.AppendLine(Invariant, $"| change to device max | {Ms(f.Max)} ms |");
        md.AppendLine(Invariant, $"| device requests/s during the changes | {f.DeviceRequestsPerSecond:N0} |");
        md.AppendLine(Invariant, $"| server RSS when all devices waited | {MiB(m.RssAllWaitingKb)} MiB |");
        md.AppendLine(Invariant, $"| server RSS peak while they waited (sampled every 50 ms) | {MiB(m.PeakRssKb)} MiB |");
        md.AppendLine(Invariant, $"| server RSS kernel high-water mark (whole run, provisioning included) | {MiB(m.HighWaterMarkKb)} MiB |");
        md.AppendLine(Invariant, $"| server CPU during the changes (% of one core) | {(double.IsNaN(m.ServerCpuPercent) ? "" : m.ServerCpuPercent.ToString("0", Invariant))} |");
        md.AppendLine();
        md.AppendLine("Answers by kind:").AppendLine();
        md.AppendLine("| answer | count |").AppendLine("|---|--:|");
        foreach (var (kind, count) in f.Answers)
        {
            md.AppendLine(Invariant, $"| {kind} | {count:N0} |");
        }

        md.AppendLine();
        md.AppendLine("| target | measured | verdict |").AppendLine("|---|--:|---|");
        foreach (var (target, measured, verdict) in Targets(m))
        {
            md.AppendLine(Invariant, $"| {target} | {measured} | {verdict} |");
        }

        return md.ToString();
    }

    /// <summary>The issue's targets: p99 change-to-device ≤ 1 s; RSS ≤ 400 MiB with 10,000 devices waiting.</summary>
    public static IReadOnlyList<(string Target, string Measured, string Verdict)> Targets(SyncMeasurement m)
    {
        var f = m.Fleet;
        var p99 = f.Percentile(0.99);
        var latency = f.Arrived == 0 ? "not measured"
            : f.NotArrived > 0 ? "**missed**: some changes never arrived"
            : p99 <= SyncScenario.LatencyTargetMs ? "met" : "**missed**";
        var peakMiB = m.PeakRssKb / 1024.0;
        var memory = m.PeakRssKb == 0 ? "not measured"
            : f.Devices < SyncScenario.MemoryTargetDevices ? $"not judged: {f.Devices:N0} devices, the target is for {SyncScenario.MemoryTargetDevices:N0}"
            : peakMiB <= SyncScenario.MemoryTargetMiB ? "met" : "**missed**";
        return
        [
            ("p99 change to device ≤ 1 s", $"{Ms(p99)} ms", latency),
            ("server RSS ≤ 400 MiB with 10,000 devices waiting", $"{MiB(m.PeakRssKb)} MiB", memory),
        ];
    }

    private static string Ms(double value) => double.IsNaN(value) ? "-" : value.ToString("0.0", Invariant);

    private static string MiB(long kb) => (kb / 1024.0).ToString("0", Invariant);
}
