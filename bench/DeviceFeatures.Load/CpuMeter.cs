using System.Diagnostics;

namespace DeviceFeatures.Load;

/// <summary>
/// CPU time used by the server and by this tool over the measured window, as a percentage of one core. On a machine
/// with two cores shared by both, it tells a server that waits (on the disk, on a lock) from one that computes, and
/// shows when the load generator itself is the limit. With a local PostgreSQL, its CPU too: what the database spent on
/// the phase's requests.
/// </summary>
internal sealed class CpuMeter(int? serverPid, PostgresCpu? database = null)
{
    public async Task<(double Server, double Generator, double Database)> MeasureAsync(TimeSpan delay, TimeSpan window, CancellationToken cancellationToken)
    {
        await Task.Delay(delay, cancellationToken).ConfigureAwait(false);
        var (server0, self0) = Read();
        var database0 = database?.Read();
        var start = Stopwatch.GetTimestamp();
        await Task.Delay(window, cancellationToken).ConfigureAwait(false);
        var (server1, self1) = Read();
        var database1 = database?.Read();
        var wall = Stopwatch.GetElapsedTime(start).TotalSeconds;
        return (server0 is null || server1 is null ? double.NaN : (server1.Value - server0.Value).TotalSeconds / wall * 100,
            (self1 - self0).TotalSeconds / wall * 100,
            database0 is { } d0 && database1 is { } d1 ? (d1 - d0).TotalSeconds / wall * 100 : double.NaN);
    }

    private (TimeSpan? Server, TimeSpan Self) Read()
    {
        TimeSpan? server = null;
        if (serverPid is { } pid)
        {
            try
            {
                using var process = Process.GetProcessById(pid);
                server = process.TotalProcessorTime;
            }
            catch (ArgumentException)
            {
            }
            catch (InvalidOperationException)
            {
            }
        }

        using var self = Process.GetCurrentProcess();
        return (server, self.TotalProcessorTime);
    }
}
