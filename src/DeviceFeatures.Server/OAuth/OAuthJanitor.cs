using DeviceFeatures.Server.Storage;

namespace DeviceFeatures.Server.OAuth;

/// <summary>
/// Deletes authorization codes and tokens a day after they expired (<see cref="OAuthSecrets.KeepExpiredFor"/>): an expired
/// one is refused by its own expiry, so its hash no longer guards anything, and a partner's users who are never seen
/// again would otherwise leave them behind; the day lets a late use be answered "expired" rather than "unknown".
/// </summary>
internal sealed partial class OAuthJanitor(IFeatureStore store, TimeProvider time, ILogger<OAuthJanitor> logger) : BackgroundService
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
            var deleted = await store.WriteAsync(s => s.DeleteExpiredCodesAndTokensAsync(now), cancellationToken);
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

    [LoggerMessage(Level = LogLevel.Debug, Message = "Deleted {Count} expired authorization code(s) and token(s)")]
    private partial void LogSwept(int count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not delete expired authorization codes and tokens; will try again")]
    private partial void LogSweepFailed(Exception exception);
}
