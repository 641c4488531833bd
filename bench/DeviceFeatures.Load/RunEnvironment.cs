using System.Diagnostics;
using System.Globalization;

namespace DeviceFeatures.Load;

/// <summary>Where the tool runs: the repository it measures and the machine it measures on.</summary>
internal sealed record RunEnvironment(string RepositoryRoot, string Commit, bool Dirty, int Cores, string CpuModel, double MemoryGiB)
{
    public const string SolutionFile = "DeviceFeatures.slnx";

    public string ServerProject => Path.Combine(RepositoryRoot, "src", "DeviceFeatures.Host", "DeviceFeatures.Host.csproj");

    public string ServerDll => Path.Combine(RepositoryRoot, "src", "DeviceFeatures.Host", "bin", "Release", "net10.0", "DeviceFeatures.Host.dll");

    /// <summary>
    /// Builds the server in Release (unless <paramref name="noBuild"/>) and checks that the build is there, so that a
    /// stale or missing build is never measured by accident.
    /// </summary>
    public async Task EnsureServerBuildAsync(bool noBuild, Action<string> progress, CancellationToken cancellationToken)
    {
        if (!noBuild)
        {
            progress($"building the server in Release ({Path.GetRelativePath(RepositoryRoot, ServerProject)})");
            var (exitCode, output, error) = await RunProcessAsync(
                "dotnet", ["build", ServerProject, "-c", "Release", "--nologo", "-v", "quiet"], cancellationToken).ConfigureAwait(false);
            if (exitCode != 0)
            {
                throw new LoadException($"the Release build of the server failed (exit code {exitCode}):{Environment.NewLine}{output}{error}".TrimEnd());
            }
        }

        if (!File.Exists(ServerDll))
        {
            throw new LoadException($"no Release build at {ServerDll}; run without --no-build");
        }
    }

    public static async Task<RunEnvironment> DetectAsync(CancellationToken cancellationToken)
    {
        var root = FindRoot(Directory.GetCurrentDirectory()) ?? FindRoot(AppContext.BaseDirectory)
            ?? throw new LoadException($"run the tool from inside the repository: no {SolutionFile} above {Directory.GetCurrentDirectory()}");
        var commit = (await RunAsync("git", ["-C", root, "rev-parse", "--short=12", "HEAD"], cancellationToken).ConfigureAwait(false)).Trim();
        var status = await RunAsync("git", ["-C", root, "status", "--porcelain", "--untracked-files=no"], cancellationToken).ConfigureAwait(false);
        return new RunEnvironment(root, commit.Length > 0 ? commit : "unknown", status.Trim().Length > 0, Environment.ProcessorCount, ReadCpuModel(), ReadMemoryGiB());
    }

    public static async Task<string> RunAsync(string file, IEnumerable<string> arguments, CancellationToken cancellationToken)
    {
        var (exitCode, output, _) = await RunProcessAsync(file, arguments, cancellationToken).ConfigureAwait(false);
        return exitCode == 0 ? output : "";
    }

    /// <summary>Runs a program to its end (killing it if the run is cancelled) and answers its exit code and output.</summary>
    public static async Task<(int ExitCode, string Output, string Error)> RunProcessAsync(string file, IEnumerable<string> arguments, CancellationToken cancellationToken)
    {
        var info = new ProcessStartInfo(file) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        Process process;
        try
        {
            process = Process.Start(info)!;
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            return (-1, "", ex.Message);
        }

        using (process)
        {
            return await WaitAsync(process, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Reads a started child's output and error to the end and waits for it; cancelled, it is killed with its children.</summary>
    public static async Task<(int ExitCode, string Output, string Error)> WaitAsync(Process process, CancellationToken cancellationToken)
    {
        var output = process.StandardOutput.ReadToEndAsync(CancellationToken.None);
        var error = process.StandardError.ReadToEndAsync(CancellationToken.None);
        try
        {
            await process.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }

        return (process.ExitCode, await output.ConfigureAwait(false), await error.ConfigureAwait(false));
    }

    private static string? FindRoot(string start)
    {
        for (var directory = new DirectoryInfo(start); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, SolutionFile)))
            {
                return directory.FullName;
            }
        }

        return null;
    }

    private static string ReadCpuModel()
    {
        try
        {
            var line = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal));
            return line is null ? "unknown" : line[(line.IndexOf(':', StringComparison.Ordinal) + 1)..].Trim();
        }
        catch (IOException)
        {
            return "unknown";
        }
    }

    private static double ReadMemoryGiB()
    {
        try
        {
            var line = File.ReadLines("/proc/meminfo").FirstOrDefault(l => l.StartsWith("MemTotal:", StringComparison.Ordinal));
            var digits = line?["MemTotal:".Length..].Trim().Split(' ')[0];
            return digits is not null && long.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out var kb) ? kb / 1024.0 / 1024.0 : 0;
        }
        catch (IOException)
        {
            return 0;
        }
    }
}
