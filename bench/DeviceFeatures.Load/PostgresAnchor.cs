using System.Globalization;
using Npgsql;

namespace DeviceFeatures.Load;

/// <summary>Where the pgbench anchor runs: at the target connection count (the default), at every count, or not at all.</summary>
internal enum AnchorScope
{
    Target,
    All,
    None,
}

/// <summary>The PostgreSQL server's settings that decide what a commit costs, read with <c>SHOW</c>.</summary>
internal sealed record PostgresServerFacts(string Version, string Fsync, string SynchronousCommit, string WalLevel, string MaxConnections, string SharedBuffers)
{
    /// <summary>A commit waits for the disk only with both on; without, every rate here (ours and pgbench's) is a different measure.</summary>
    public bool Durable => Fsync == "on" && SynchronousCommit != "off";

    public static async Task<PostgresServerFacts> ReadAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        async Task<string> Show(string setting)
        {
            await using var command = new NpgsqlCommand($"SHOW {setting}", connection);
            return Convert.ToString(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false), CultureInfo.InvariantCulture) ?? "";
        }

        return new PostgresServerFacts(
            await Show("server_version").ConfigureAwait(false),
            await Show("fsync").ConfigureAwait(false),
            await Show("synchronous_commit").ConfigureAwait(false),
            await Show("wal_level").ConfigureAwait(false),
            await Show("max_connections").ConfigureAwait(false),
            await Show("shared_buffers").ConfigureAwait(false));
    }
}

/// <summary>
/// One pgbench run of the anchor; <see cref="Output"/> is null when it failed (<see cref="Problem"/> says why). Its CPU
/// columns are shares of one core over the run: pgbench's own, and PostgreSQL's (the postmaster and its children;
/// NaN when the cluster does not run on this machine).
/// </summary>
internal sealed record PgBenchResult(
    PgBenchMode Mode, int Connections, int Round, int Seconds, PgBenchOutput? Output, double ClientCpuPercent, double DatabaseCpuPercent, string? Problem)
{
    public bool Failed => Output is null || Problem is not null || Output.Failed > 0;
}

/// <summary>What the anchor did in a run: <see cref="Unavailable"/> says why it did not run at all.</summary>
internal sealed record AnchorRun(string? Unavailable, string? PgBenchVersion, IReadOnlyList<PgBenchResult> Results)
{
    public static AnchorRun NotRun(string reason) => new(reason, null, []);
}

/// <summary>
/// The PostgreSQL anchor: pgbench runs the writes of one enable/disablefeature call (spend a nonce, upsert the choice,
/// append an audit event, commit) against the run's own database, right after the workloads of a round, first one
/// statement per round trip, then pipelined in one round trip. What the server reaches in calls/s is then read as a
/// share of what the same cluster commits of the same transaction, measured in the same minutes.
/// </summary>
internal sealed class PostgresAnchor : IDisposable
{
    private const string SavedChoices = "load_anchor_saved_choices";
    private readonly PgBenchRunner _pgbench;
    private readonly PgBenchConnection _connection;
    private readonly string _connectionString;
    private readonly Dictionary<string, string> _variables;
    private readonly string _directory;
    private readonly PostgresCpu? _databaseCpu;
    private readonly List<PgBenchResult> _results = [];

    private PostgresAnchor(PgBenchRunner pgbench, string connectionString, Dictionary<string, string> variables, PostgresCpu? databaseCpu)
    {
        _pgbench = pgbench;
        _connectionString = connectionString;
        _connection = PgBenchConnection.From(connectionString);
        _variables = variables;
        _databaseCpu = databaseCpu;
        _directory = Directory.CreateTempSubdirectory("devicefeatures-pgbench-").FullName;
        foreach (var mode in Enum.GetValues<PgBenchMode>())
        {
            File.WriteAllText(ScriptPath(mode), PgBenchScripts.Render(mode));
        }
    }

    public AnchorRun Run => new(null, _pgbench.VersionText, _results.ToArray());

    /// <summary>Finds pgbench; answers the reason instead when the anchor cannot run.</summary>
    public static async Task<(PostgresAnchor? Anchor, string? Unavailable)> PrepareAsync(
        string connectionString, string clientId, UserRange users, PostgresCpu? databaseCpu, CancellationToken cancellationToken)
    {
        var pgbench = await PgBenchRunner.FindAsync(cancellationToken).ConfigureAwait(false);
        if (pgbench is null)
        {
            return (null, "pgbench not found (on the PATH or under /usr/lib/postgresql/*/bin)");
        }

        var variables = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            [PgBenchScripts.PartnerVariable] = clientId,
            [PgBenchScripts.FirstUserVariable] = users.First.ToString(CultureInfo.InvariantCulture),
            [PgBenchScripts.LastUserVariable] = users.Last.ToString(CultureInfo.InvariantCulture),
        };
        return (new PostgresAnchor(pgbench, connectionString, variables, databaseCpu), null);
    }

    /// <summary>
    /// Both modes at <paramref name="connections"/> clients, each after an unreported warm-up run. The choices the
    /// anchor overwrites are put back afterwards: the feature flow relies on every call changing the stored choice.
    /// </summary>
    public async Task RunRoundAsync(int connections, int round, TimeSpan warmup, TimeSpan duration, Action<string> progress, CancellationToken cancellationToken)
    {
        await ExecuteAsync($"""
            DROP TABLE IF EXISTS {SavedChoices};
            CREATE UNLOGGED TABLE {SavedChoices} AS SELECT * FROM choices WHERE model = {WireWorker.Model} AND feature_name = '{WireWorker.Feature}'
            """, cancellationToken).ConfigureAwait(false);
        try
        {
            foreach (var mode in Enum.GetValues<PgBenchMode>())
            {
                var result = await RunModeAsync(mode, connections, round, warmup, duration, cancellationToken).ConfigureAwait(false);
                _results.Add(result);
                progress(Describe(result));
            }
        }
        finally
        {
            await ExecuteAsync($"""
                BEGIN;
                DELETE FROM choices WHERE model = {WireWorker.Model} AND feature_name = '{WireWorker.Feature}';
                INSERT INTO choices SELECT * FROM {SavedChoices};
                COMMIT;
                DROP TABLE {SavedChoices}
                """, CancellationToken.None).ConfigureAwait(false);
        }
    }

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private async Task<PgBenchResult> RunModeAsync(PgBenchMode mode, int connections, int round, TimeSpan warmup, TimeSpan duration, CancellationToken cancellationToken)
    {
        // pgbench counts whole seconds.
        var seconds = Math.Max(1, (int)Math.Round(duration.TotalSeconds));
        if (!_pgbench.Supports(mode))
        {
            return new PgBenchResult(mode, connections, round, seconds, null, double.NaN, double.NaN, $"needs pgbench 14 or later ({_pgbench.VersionText})");
        }

        var threads = Math.Min(connections, Environment.ProcessorCount);
        if (warmup > TimeSpan.Zero)
        {
            await _pgbench.RunAsync(_connection, ScriptPath(mode), connections, threads, Math.Max(1, (int)Math.Ceiling(warmup.TotalSeconds)), _variables, cancellationToken)
                .ConfigureAwait(false);
        }

        var database0 = _databaseCpu?.Read();
        var (exitCode, output, error, clientCpu, elapsed) = await _pgbench.RunAsync(
            _connection, ScriptPath(mode), connections, threads, seconds, _variables, cancellationToken).ConfigureAwait(false);
        var database1 = _databaseCpu?.Read();
        var wall = elapsed.TotalSeconds;
        var parsed = PgBenchOutput.Parse(output);
        var problem = exitCode != 0 || parsed is null
            ? PgBenchOutput.FirstError(error) ?? $"pgbench exited with code {exitCode}"
            : null;
        var databaseCpu = database0 is { } d0 && database1 is { } d1 ? (d1 - d0).TotalSeconds / wall * 100 : double.NaN;
        return new PgBenchResult(mode, connections, round, seconds, problem is null ? parsed : null, clientCpu.TotalSeconds / wall * 100, databaseCpu, problem);
    }

    private string ScriptPath(PgBenchMode mode) => Path.Combine(_directory, mode == PgBenchMode.Pipelined ? "pipelined.sql" : "one-statement-per-round-trip.sql");

    private async Task ExecuteAsync(string sql, CancellationToken cancellationToken)
    {
        await using var connection = new NpgsqlConnection(_connectionString);
        await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    private static string Describe(PgBenchResult r) =>
        r.Output is { } o && r.Problem is null
            ? FormattableString.Invariant($"pgbench {Report.ModeName(r.Mode),-30} {r.Connections,4} clients round {r.Round}: {o.Tps,9:N0} tps  latency average {o.LatencyAverageMs:0.00} ms  failed {o.Failed:N0}  cpu pgbench {r.ClientCpuPercent:0} %")
            : $"pgbench {Report.ModeName(r.Mode)} {r.Connections} clients round {r.Round}: {r.Problem}";
}

/// <summary>
/// CPU time of a local PostgreSQL cluster: its postmaster's own and reaped children's, plus every live child's
/// (backends, WAL writer, checkpointer). A backend that exits between two readings moves from the second sum into
/// the postmaster's reaped time, so the difference of two readings is the cluster's CPU in between.
/// </summary>
internal sealed class PostgresCpu(int postmasterPid)
{
    /// <summary>The postmaster of the connection's backend, when that backend runs on this machine.</summary>
    public static async Task<PostgresCpu?> FindAsync(string connectionString, CancellationToken cancellationToken)
    {
        var host = new NpgsqlConnectionStringBuilder(connectionString).Host ?? "";
        if (!(host.StartsWith('/') || host is "127.0.0.1" or "localhost" or "::1"))
        {
            return null;
        }

        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var command = new NpgsqlCommand("SELECT pg_backend_pid()", connection);
        var backend = Convert.ToInt32(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false), CultureInfo.InvariantCulture);
        var parent = ReadParent(backend);
        return parent is { } pid && ReadTimes(pid) is not null ? new PostgresCpu(pid) : null;
    }

    public TimeSpan? Read()
    {
        if (ReadTimes(postmasterPid) is not { } own)
        {
            return null;
        }

        var ticks = own.Self + own.Children;
        foreach (var directory in Directory.EnumerateDirectories("/proc"))
        {
            if (int.TryParse(Path.GetFileName(directory), NumberStyles.None, CultureInfo.InvariantCulture, out var pid) && pid != postmasterPid
                && ReadTimes(pid) is { } times && times.Parent == postmasterPid)
            {
                ticks += times.Self + times.Children;
            }
        }

        return TimeSpan.FromMilliseconds(ticks * 10);
    }

    private static int? ReadParent(int pid) => ReadTimes(pid)?.Parent;

    /// <summary>From <c>/proc/PID/stat</c>: the parent, utime + stime, and cutime + cstime, in ticks of 1/100 s.</summary>
    private static (int Parent, long Self, long Children)? ReadTimes(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            return (int.Parse(fields[1], CultureInfo.InvariantCulture),
                long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture),
                long.Parse(fields[13], CultureInfo.InvariantCulture) + long.Parse(fields[14], CultureInfo.InvariantCulture));
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException or ArgumentOutOfRangeException)
        {
            return null;
        }
    }
}
