using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace DeviceFeatures.Server.Tests.Infrastructure;

/// <summary>
/// A PostgreSQL cluster of one test's own, on a free loopback port, that the test may stop and start without
/// disturbing the shared test server. Built with the local server binaries (initdb, pg_ctl); when the process runs as
/// root they run as the <c>postgres</c> user, since initdb refuses root.
/// </summary>
public sealed class PrivateCluster : IDisposable
{
    private readonly string _bin;
    private readonly string _data;
    private readonly int _port;

    private PrivateCluster(string bin)
    {
        _bin = bin;
        _data = Directory.CreateTempSubdirectory("devicefeatures-pg-").FullName;
        _port = FreePort();
        if (IsRoot)
        {
            Run("chown", "postgres:postgres", _data);
        }

        RunPostgres("initdb", "-D", _data, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync");
        Start();
    }

    public string ConnectionString => $"Host=127.0.0.1;Port={_port};Username=postgres;Database=postgres";

    /// <summary>A new cluster; skips the calling test when no server binaries are installed here.</summary>
    public static PrivateCluster Create()
    {
        var bin = FindBinaries();
        Assert.SkipWhen(bin is null,
            "This test stops and starts a PostgreSQL cluster of its own and needs the server binaries (initdb, pg_ctl); " +
            "none were found on PATH or under /usr/lib/postgresql.");
        return new PrivateCluster(bin!);
    }

    public void Start() =>
        RunPostgres("pg_ctl", "-D", _data, "-l", Path.Combine(_data, "server.log"), "-w",
            "-o", $"-p {_port} -c listen_addresses=127.0.0.1 -k {_data}", "start");

    /// <summary>A fast shutdown: sessions are ended, as when an operator or a failover stops the server.</summary>
    public void Stop() => RunPostgres("pg_ctl", "-D", _data, "-m", "fast", "-w", "stop");

    public void Dispose()
    {
        try
        {
            RunPostgres("pg_ctl", "-D", _data, "-m", "immediate", "-w", "stop");
        }
        catch (InvalidOperationException)
        {
            // Already stopped.
        }

        Directory.Delete(_data, recursive: true);
    }

    internal static bool IsRoot => Environment.UserName == "root";

    /// <param name="tools">The tools needed besides initdb and pg_ctl (a folder on PATH may hold only some of them).</param>
    internal static string? FindBinaries(params string[] tools)
    {
        string[] needed = ["initdb", "pg_ctl", .. tools];
        var onPath = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries)
            .FirstOrDefault(d => needed.All(t => File.Exists(Path.Combine(d, t))));
        if (onPath is not null)
        {
            return onPath;
        }

        return Directory.Exists("/usr/lib/postgresql")
            ? Directory.GetDirectories("/usr/lib/postgresql")
                .Select(d => Path.Combine(d, "bin"))
                .Where(d => needed.All(t => File.Exists(Path.Combine(d, t))))
                .OrderBy(d => int.TryParse(Path.GetFileName(Path.GetDirectoryName(d)), out var v) ? v : 0)
                .LastOrDefault()
            : null;
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private void RunPostgres(string tool, params string[] arguments)
    {
        var path = Path.Combine(_bin, tool);
        if (IsRoot)
        {
            Run("runuser", ["-u", "postgres", "--", path, .. arguments]);
        }
        else
        {
            Run(path, arguments);
        }
    }

    internal static void Run(string file, params string[] arguments)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{file} {string.Join(' ', arguments)} failed ({process.ExitCode}): {error}{output.Result}");
        }
    }
}
