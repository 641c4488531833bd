using DeviceFeatures.Server.Storage;

namespace DeviceFeatures.Server.Signature;

/// <summary>
/// Deletes the records of used nonces once they have expired: an expired nonce is refused by its own timestamp,
/// so its record no longer guards anything.
/// </summary>
internal sealed partial class NonceJanitor(IFeatureStore store, TimeProvider time, ILogger<NonceJanitor> logger) : BackgroundService
{
    private static readonly TimeSpan Period = TimeSpan.FromMinutes(5);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Period, time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                await SweepAsync(stoppingToken);
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
            var deleted = await store.WriteAsync(s => s.DeleteExpiredNoncesAsync(now), cancellationToken);
            if (deleted > 0)
            {
                LogSwept(deleted);
            }

            return deleted;
        }
        catch (Exception ex) when (store.IsUnavailable(ex))
        {
            LogSweepFailed(ex);
            return 0;
        }
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Deleted {Count} expired nonce record(s)")]
    private partial void LogSwept(int count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not delete expired nonce records; will try again")]
    private partial void LogSweepFailed(Exception exception);
}
