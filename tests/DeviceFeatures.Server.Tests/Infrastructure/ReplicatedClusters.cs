using System.Diagnostics;
using System.Globalization;
using Npgsql;

namespace DeviceFeatures.Server.Tests.Infrastructure;

/// <summary>
/// A PostgreSQL primary and its synchronous standby, of one test's own, on free loopback ports: streaming replication
/// set up as docs/deployment.md describes, so that the test can kill the primary and promote the standby. Built with
/// the local server binaries, as <see cref="PrivateCluster"/> is (as the <c>postgres</c> user when the test runs as
/// root).
/// </summary>
/// <remarks>
/// <c>synchronous_standby_names</c> is given on the primary's command line, not in its configuration files: the
/// standby is a copy of those files, and a promoted standby that named a synchronous standby of its own would wait
/// for one at every commit. Both clusters run with <c>fsync=off</c>, for speed: the test kills processes, it does
/// not cut the power, and a killed process loses nothing that was written to the kernel.
/// </remarks>
public sealed class ReplicatedClusters : IDisposable
{
    /// <summary>The standby's <c>application_name</c>, which the primary names as its synchronous standby.</summary>
    public const string StandbyName = "devicefeatures_standby";

    private readonly string _bin;
    private readonly string _root;
    private readonly string _primary;
    private readonly string _standby;
    private int? _killedShmId;

    private ReplicatedClusters(string bin)
    {
        _bin = bin;
        _root = Directory.CreateTempSubdirectory("devicefeatures-pg-pair-").FullName;
        if (PrivateCluster.IsRoot)
        {
            PrivateCluster.Run("chown", "postgres:postgres", _root);
        }

        _primary = Path.Combine(_root, "primary");
        _standby = Path.Combine(_root, "standby");
        PrimaryPort = ServerProcess.FreePort();
        StandbyPort = ServerProcess.FreePort();
        try
        {
            Build();
        }
        catch
        {
            // Whatever was started is stopped, and the folder removed: nothing outlives a failed set-up.
            Dispose();
            throw;
        }
    }

    public int PrimaryPort { get; }

    public int StandbyPort { get; }

    /// <summary>Both hosts, the primary first, as the server is given them; no target: the server asks for the primary.</summary>
    public string ConnectionString => $"Host=127.0.0.1:{PrimaryPort},127.0.0.1:{StandbyPort};Username=postgres;Database=postgres";

    /// <summary>A connection string to one of the two clusters alone, outside every pool.</summary>
    public static string Direct(int port) => $"Host=127.0.0.1;Port={port};Username=postgres;Database=postgres;Pooling=false;Timeout=5";

    /// <summary>The pair; skips the calling test when no server binaries are installed here.</summary>
    public static ReplicatedClusters Create()
    {
        var bin = PrivateCluster.FindBinaries("pg_basebackup");
        Assert.SkipWhen(bin is null,
            "This test runs a PostgreSQL primary and standby of its own and needs the server binaries (initdb, pg_ctl, " +
            "pg_basebackup); none were found on PATH or under /usr/lib/postgresql.");
        return new ReplicatedClusters(bin!);
    }

    /// <summary>
    /// SIGKILL to the primary's postmaster and every process it started (backends, WAL sender, checkpointer...): the
    /// primary is gone as if its machine had died, with no shutdown of any kind. The postmaster is stopped first
    /// (SIGSTOP), so that it can start no new process while its children are listed and killed.
    /// </summary>
    /// <returns>The number of processes killed.</returns>
    public int KillPrimary()
    {
        var lines = File.ReadAllLines(Path.Combine(_primary, "postmaster.pid"));
        var postmaster = int.Parse(lines[0], CultureInfo.InvariantCulture);

        // The seventh line holds the key and id of the System V segment, which a killed postmaster leaves behind.
        if (lines.Length > 6 && lines[6].Split(' ', StringSplitOptions.RemoveEmptyEntries) is [_, var shm])
        {
            _killedShmId = int.Parse(shm, CultureInfo.InvariantCulture);
        }

        // The shell's own kill: a minimal system may have no kill program.
        PrivateCluster.Run("sh", "-c", $"kill -STOP {postmaster}");
        List<int> processes = [postmaster, .. ChildrenOf(postmaster)];
        PrivateCluster.Run("sh", "-c", $"kill -KILL {string.Join(' ', processes)}");

        var deadline = Stopwatch.StartNew();
        while (processes.Any(IsAlive))
        {
            Assert.True(deadline.Elapsed < TimeSpan.FromSeconds(10), "The killed PostgreSQL processes did not go away.");
            Thread.Sleep(5);
        }

        return processes.Count;
    }

    /// <summary>
    /// <c>pg_ctl stop -m immediate</c> on the standby: the primary still names it as its synchronous standby, so every
    /// commit on the primary from now on waits for a standby that is not there.
    /// </summary>
    public void StopStandby() => RunPostgres("pg_ctl", "-D", _standby, "-m", "immediate", "-w", "stop");

    /// <summary><c>pg_ctl promote</c>, waiting until the standby accepts changes.</summary>
    public void PromoteStandby() => RunPostgres("pg_ctl", "-D", _standby, "-w", "promote");

    public void Dispose()
    {
        foreach (var data in new[] { _standby, _primary })
        {
            try
            {
                RunPostgres("pg_ctl", "-D", data, "-m", "immediate", "-w", "stop");
            }
            catch (InvalidOperationException)
            {
                // Killed, or never started.
            }
        }

        if (_killedShmId is { } id)
        {
            try
            {
                PrivateCluster.Run("ipcrm", "-m", id.ToString(CultureInfo.InvariantCulture));
            }
            catch (Exception ex) when (ex is InvalidOperationException or System.ComponentModel.Win32Exception)
            {
                // Already removed, or no ipcrm here: a few bytes stay until the next reboot.
            }
        }

        Directory.Delete(_root, recursive: true);
    }

    private void Build()
    {
        RunPostgres("initdb", "-D", _primary, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync");

        // initdb's trust configuration already lets local replication connections in; say so rather than rely on it.
        File.AppendAllText(Path.Combine(_primary, "pg_hba.conf"), "\nhost replication all 127.0.0.1/32 trust\n");
        RunPostgres("pg_ctl", "-D", _primary, "-l", Path.Combine(_root, "primary.log"), "-w", "-o",
            $"-p {PrimaryPort} -c listen_addresses=127.0.0.1 -k {_primary} -c fsync=off -c max_connections=100 " +
            $"-c wal_level=replica -c max_wal_senders=4 -c synchronous_commit=on -c synchronous_standby_names={StandbyName}",
            "start");

        // The standby: a base backup with -R (standby.signal, and primary_conninfo naming it as the primary expects).
        RunPostgres("pg_basebackup", "-D", _standby, "-d", $"host=127.0.0.1 port={PrimaryPort} user=postgres application_name={StandbyName}",
            "-R", "-X", "stream", "-c", "fast", "--no-sync");
        RunPostgres("pg_ctl", "-D", _standby, "-l", Path.Combine(_root, "standby.log"), "-w", "-o",
            $"-p {StandbyPort} -c listen_addresses=127.0.0.1 -k {_standby} -c fsync=off -c max_connections=100",
            "start");
        WaitForSynchronousStandby();
    }

    private void WaitForSynchronousStandby()
    {
        using var connection = new NpgsqlConnection(Direct(PrimaryPort));
        connection.Open();
        using var query = new NpgsqlCommand("SELECT sync_state FROM pg_stat_replication WHERE application_name = @name", connection);
        query.Parameters.AddWithValue("name", StandbyName);
        var waited = Stopwatch.StartNew();
        while (query.ExecuteScalar() as string != "sync")
        {
            Assert.True(waited.Elapsed < TimeSpan.FromSeconds(30), "The standby did not become the primary's synchronous standby.");
            Thread.Sleep(20);
        }
    }

    /// <summary>The processes whose parent is <paramref name="parent"/>, from /proc.</summary>
    private static List<int> ChildrenOf(int parent)
    {
        var children = new List<int>();
        foreach (var directory in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(directory), out var pid) || Stat(pid) is not { } stat)
            {
                continue;
            }

            if (stat.Parent == parent)
            {
                children.Add(pid);
            }
        }

        return children;
    }

    /// <summary>Alive: present and not a zombie (a killed process whose parent, dead too, never collects it).</summary>
    private static bool IsAlive(int pid) => Stat(pid) is { State: not 'Z' and not 'X' };

    private static (char State, int Parent)? Stat(int pid)
    {
        string text;
        try
        {
            text = File.ReadAllText($"/proc/{pid}/stat");
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }

        // "pid (command) state ppid ...": the command may hold spaces and parentheses, so read after the last ')'.
        var fields = text[(text.LastIndexOf(')') + 2)..].Split(' ');
        return (fields[0][0], int.Parse(fields[1], CultureInfo.InvariantCulture));
    }

    private void RunPostgres(string tool, params string[] arguments)
    {
        var path = Path.Combine(_bin, tool);
        if (PrivateCluster.IsRoot)
        {
            PrivateCluster.Run("runuser", ["-u", "postgres", "--", path, .. arguments]);
        }
        else
        {
            PrivateCluster.Run(path, arguments);
        }
    }
}
