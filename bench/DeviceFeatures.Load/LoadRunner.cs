using System.Diagnostics;
using System.Net;

namespace DeviceFeatures.Load;

/// <summary>What one workload did at one connection count.</summary>
internal sealed record PhaseResult(
    Workload Workload,
    int Connections,
    int Round,
    double Seconds,
    long Operations,
    long Requests,
    LatencySummary Measured,
    LatencySummary Flow,
    long Errors,
    IReadOnlyList<KeyValuePair<string, int>> ErrorKinds,
    long WarmupErrors,
    long PeakRssKb,
    double ServerCpuPercent,
    double GeneratorCpuPercent,
    double DatabaseCpuPercent = double.NaN)
{
    public double OperationsPerSecond => Operations / Seconds;

    public double RequestsPerSecond => Requests / Seconds;
}

/// <summary>
/// Drives one workload with N workers over one <see cref="HttpClient"/> whose handler opens at most N connections:
/// each worker sends its next operation as soon as the previous one is answered (a closed loop). The warm-up runs
/// the same way and is not counted.
/// </summary>
internal static class LoadRunner
{
    public static async Task<PhaseResult> RunAsync(
        Workload workload, LoadTarget target, int connections, int round, TimeSpan warmup, TimeSpan duration, MemorySampler? memory, int? serverPid,
        PostgresCpu? databaseCpu, CancellationToken cancellationToken)
    {
        using var handler = new SocketsHttpHandler
        {
            MaxConnectionsPerServer = connections,
            PooledConnectionLifetime = Timeout.InfiniteTimeSpan,
            PooledConnectionIdleTimeout = TimeSpan.FromMinutes(5),
            ConnectTimeout = TimeSpan.FromSeconds(10),
            UseCookies = false,
            UseProxy = false,
            AutomaticDecompression = DecompressionMethods.None,
            AllowAutoRedirect = false,
        };
        using var http = new HttpClient(handler) { Timeout = LoadLimits.RequestTimeout };

        var errors = new ErrorTally();
        var warmupErrors = new ErrorTally();
        var workers = Enumerable.Range(0, connections).Select(_ => new WireWorker(http, target, errors, warmupErrors)).ToArray();

        memory?.BeginWindow();
        var start = Stopwatch.GetTimestamp();
        var measureFrom = start + (long)(warmup.TotalSeconds * Stopwatch.Frequency);
        var measureTo = measureFrom + (long)(duration.TotalSeconds * Stopwatch.Frequency);
        var cpu = new CpuMeter(serverPid, databaseCpu).MeasureAsync(warmup, duration, cancellationToken);
        await Task.WhenAll(workers.Select(w => Task.Run(() => w.RunAsync(workload, measureFrom, measureTo, cancellationToken), CancellationToken.None)))
            .ConfigureAwait(false);
        var (serverCpu, generatorCpu, databaseCpuPercent) = await cpu.ConfigureAwait(false);
        var peak = memory?.EndWindow() ?? 0;
        cancellationToken.ThrowIfCancellationRequested();

        return new PhaseResult(
            workload,
            connections,
            round,
            duration.TotalSeconds,
            workers.Sum(w => w.Operations),
            workers.Sum(w => w.Requests),
            LatencyRecorder.Summarize(workers.Select(w => w.Measured)),
            LatencyRecorder.Summarize(workers.Select(w => w.Flow)),
            errors.Total,
            errors.Kinds,
            warmupErrors.Total,
            peak,
            serverCpu,
            generatorCpu,
            databaseCpuPercent);
    }
}
