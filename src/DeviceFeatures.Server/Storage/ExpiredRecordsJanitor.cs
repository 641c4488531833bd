namespace DeviceFeatures.Server.Storage;

/// <summary>
/// Every five minutes (on the injected clock), deletes records that can no longer guard anything because what they
/// record has expired. A database that does not answer is tried again at the next tick.
/// </summary>
/// <param name="store">Where the records are.</param>
/// <param name="time">The clock of the ticks and of "expired".</param>
/// <param name="logger">The log of the sweeps.</param>
/// <param name="records">What is deleted, for the log, e.g. "nonce records".</param>
internal abstract partial class ExpiredRecordsJanitor(IFeatureStore store, TimeProvider time, ILogger logger, string records) : BackgroundService
{
    private static readonly TimeSpan Period = TimeSpan.FromMinutes(5);

    /// <summary>Deletes the expired records as of <paramref name="nowMs"/>; the number deleted.</summary>
    protected abstract Task<int> DeleteExpiredAsync(StoreSession session, long nowMs);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Period, time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
            {
                await SweepAsync(stoppingToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    internal async Task<int> SweepAsync(CancellationToken cancellationToken)
    {
        try
        {
            var now = time.GetUtcNow().ToUnixTimeMilliseconds();
            var deleted = await store.WriteAsync(s => DeleteExpiredAsync(s, now), cancellationToken).ConfigureAwait(false);
            if (deleted > 0)
            {
                LogSwept(logger, deleted, records);
            }

            return deleted;
        }
        catch (Exception ex) when (store.IsUnavailable(ex))
        {
            LogSweepFailed(logger, ex, records);
            return 0;
        }
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Deleted {Count} expired {Records}")]
    private static partial void LogSwept(ILogger logger, int count, string records);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not delete expired {Records}; will try again")]
    private static partial void LogSweepFailed(ILogger logger, Exception exception, string records);
}
