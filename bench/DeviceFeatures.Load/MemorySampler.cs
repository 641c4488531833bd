using System.Globalization;

namespace DeviceFeatures.Load;

/// <summary>
/// Samples the server's resident memory (<c>VmRSS</c> in <c>/proc/&lt;pid&gt;/status</c>) in the background, keeping
/// the peak of the current window and of the whole run; the kernel's own high-water mark (<c>VmHWM</c>) is read at
/// the end as a cross-check that no short peak fell between samples.
/// </summary>
internal sealed class MemorySampler : IAsyncDisposable
{
    private static readonly TimeSpan Period = TimeSpan.FromMilliseconds(50);
    private readonly int _pid;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private long _windowPeakKb;
    private long _overallPeakKb;

    public MemorySampler(int pid)
    {
        _pid = pid;
        _loop = Task.Run(LoopAsync);
    }

    public long OverallPeakKb => Interlocked.Read(ref _overallPeakKb);

    public void BeginWindow() => Interlocked.Exchange(ref _windowPeakKb, Read(_pid).RssKb);

    public long EndWindow()
    {
        Sample();
        return Interlocked.Exchange(ref _windowPeakKb, 0);
    }

    /// <summary>The kernel's peak resident size of the process so far, in kB (0 when it cannot be read).</summary>
    public long HighWaterMarkKb() => Read(_pid).HwmKb;

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        try
        {
            await _loop.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }

        _stop.Dispose();
    }

    private async Task LoopAsync()
    {
        using var timer = new PeriodicTimer(Period);
        while (await timer.WaitForNextTickAsync(_stop.Token).ConfigureAwait(false))
        {
            if (!Sample())
            {
                return;
            }
        }
    }

    private bool Sample()
    {
        var (rss, _) = Read(_pid);
        if (rss == 0)
        {
            return false;
        }

        Raise(ref _windowPeakKb, rss);
        Raise(ref _overallPeakKb, rss);
        return true;
    }

    private static void Raise(ref long peak, long value)
    {
        var current = Interlocked.Read(ref peak);
        while (value > current)
        {
            var seen = Interlocked.CompareExchange(ref peak, value, current);
            if (seen == current)
            {
                return;
            }

            current = seen;
        }
    }

    private static (long RssKb, long HwmKb) Read(int pid)
    {
        try
        {
            long rss = 0, hwm = 0;
            foreach (var line in File.ReadLines($"/proc/{pid.ToString(CultureInfo.InvariantCulture)}/status"))
            {
                if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
                {
                    rss = Kilobytes(line);
                }
                else if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
                {
                    hwm = Kilobytes(line);
                }
            }

            return (rss, hwm);
        }
        catch (IOException)
        {
            return (0, 0);
        }
        catch (UnauthorizedAccessException)
        {
            return (0, 0);
        }
    }

    // "VmRSS:	  123456 kB"
    private static long Kilobytes(string line)
    {
        var digits = line.AsSpan(6).Trim();
        var space = digits.IndexOf(' ');
        return long.TryParse(space < 0 ? digits : digits[..space], NumberStyles.None, CultureInfo.InvariantCulture, out var kb) ? kb : 0;
    }
}
