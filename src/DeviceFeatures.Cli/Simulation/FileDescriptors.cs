using System.Globalization;

namespace DeviceFeatures.Cli.Simulation;

/// <summary>
/// Whether N devices holding a connection each fit in this process's limit of open files: every waiting long poll is
/// a socket here (and another in the server, when it runs on the same machine under the same limit).
/// </summary>
internal static class FileDescriptors
{
    /// <summary>Sockets and files the process needs besides the devices' connections.</summary>
    public const int Headroom = 256;

    /// <summary>The soft limit of open files (<c>ulimit -n</c>), or null where it cannot be read.</summary>
    public static long? SoftLimit()
    {
        try
        {
            var line = File.ReadLines("/proc/self/limits").FirstOrDefault(l => l.StartsWith("Max open files", StringComparison.Ordinal));
            var parts = line?["Max open files".Length..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
            return parts is { Length: > 0 } && long.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var soft) ? soft : null;
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>A sentence saying why <paramref name="devices"/> cannot fit, or null when they can (or the limit is unknown).</summary>
    public static string? Problem(int devices, long? limit = null)
    {
        limit ??= SoftLimit();
        return limit is { } l && devices + Headroom > l
            ? $"{devices:N0} devices need about {devices + Headroom:N0} open files (one socket each), but the limit is {l:N0} ('ulimit -n'): raise it (ulimit -n {devices + Headroom}) or use fewer devices."
            : null;
    }
}
