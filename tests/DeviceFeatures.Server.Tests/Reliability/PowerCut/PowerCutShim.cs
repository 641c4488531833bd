using System.Diagnostics;
using System.Security.Cryptography;

namespace DeviceFeatures.Server.Tests.Reliability.PowerCut;

/// <summary>
/// The file system that can lose power or fill up (<c>powercut.c</c>, preloaded into a server process), compiled with
/// gcc once per test run into the temporary directory, under a name that changes with its source.
/// </summary>
internal static class PowerCutShim
{
    private static readonly Lazy<string> Library = new(Build);

    /// <summary>
    /// The environment of a server process whose files under <paramref name="folder"/> lose every unsynced write when
    /// <paramref name="cutFlag"/> appears, refuse every write (ENOSPC) while <paramref name="fullFlag"/> exists, and
    /// sync nothing while <paramref name="ignoreFlushesFlag"/> exists.
    /// </summary>
    public static Dictionary<string, string> Environment(string folder, string? cutFlag = null, string? fullFlag = null, string? ignoreFlushesFlag = null)
    {
        var environment = new Dictionary<string, string>
        {
            ["LD_PRELOAD"] = Library.Value,
            ["POWERCUT_DIR"] = folder,
        };
        if (cutFlag is not null)
        {
            environment["POWERCUT_CUT_FLAG"] = cutFlag;
        }

        if (fullFlag is not null)
        {
            environment["POWERCUT_FULL_FLAG"] = fullFlag;
        }

        if (ignoreFlushesFlag is not null)
        {
            environment["POWERCUT_IGNORE_FSYNC_FLAG"] = ignoreFlushesFlag;
        }

        return environment;
    }

    private static string Build()
    {
        var source = Path.Combine(AppContext.BaseDirectory, "Reliability", "PowerCut", "powercut.c");
        var hash = Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(source)))[..16].ToLowerInvariant();
        var folder = Directory.CreateDirectory(Path.Combine(Path.GetTempPath(), $"devicefeatures-powercut-{hash}")).FullName;
        var library = Path.Combine(folder, "libpowercut.so");
        if (File.Exists(library))
        {
            return library;
        }

        // Built beside its final name and moved there, so that test processes building it together never load half a file.
        var building = Path.Combine(folder, $"libpowercut-{Guid.NewGuid():n}.so");
        var start = new ProcessStartInfo("gcc") { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var argument in new[] { "-shared", "-fPIC", "-O2", "-o", building, source, "-ldl", "-lpthread" })
        {
            start.ArgumentList.Add(argument);
        }

        Process? gcc;
        try
        {
            gcc = Process.Start(start);
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            throw new InvalidOperationException("The power-cut and disk-full tests need gcc to build their file system shim (apt-get install gcc).", ex);
        }

        using (gcc)
        {
            var errors = gcc!.StandardError.ReadToEnd();
            gcc.WaitForExit();
            if (gcc.ExitCode != 0)
            {
                throw new InvalidOperationException($"gcc could not build {source}: {errors}");
            }
        }

        File.Move(building, library, overwrite: true);
        return library;
    }
}
