using DeviceFeatures.Server.Storage;

namespace DeviceFeatures.Server.OperatorConsole;

/// <summary>
/// Every five minutes (on the injected clock), marks expired the pending grant requests whose time has passed, audited
/// with the actor <c>server</c>: the rule acts, not whoever happens to open a page. Until then the pages already show
/// such a request expired, and no approval of it is accepted; a database that does not answer is tried at the next tick.
/// </summary>
internal sealed partial class GrantRequestExpiry(GrantRequests requests, IFeatureStore store, TimeProvider time, ILogger<GrantRequestExpiry> logger)
    : BackgroundService
{
    /// <summary>The request id of the audit events the job writes.</summary>
    public const string RequestId = "grant-request-expiry";

    private static readonly TimeSpan Period = TimeSpan.FromMinutes(5);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Period, time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
            {
                await RunOnceAsync(stoppingToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    /// <summary>One pass: the number of requests marked expired.</summary>
    internal async Task<int> RunOnceAsync(CancellationToken cancellationToken)
    {
        try
        {
            var marked = await requests.ExpireDueAsync(RequestId, cancellationToken).ConfigureAwait(false);
            if (marked > 0)
            {
                LogMarked(logger, marked);
            }

            return marked;
        }
        catch (Exception ex) when (store.IsUnavailable(ex))
        {
            LogFailed(logger, ex);
            return 0;
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Marked {Count} grant requests expired")]
    private static partial void LogMarked(ILogger logger, int count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not mark the expired grant requests; will try again")]
    private static partial void LogFailed(ILogger logger, Exception exception);
}
