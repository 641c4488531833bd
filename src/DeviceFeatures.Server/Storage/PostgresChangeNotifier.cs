using System.Threading.Channels;
using Npgsql;

namespace DeviceFeatures.Server.Storage;

/// <summary>
/// Tells the other instances on the same PostgreSQL which devices' configuration changed, with <c>NOTIFY</c> on
/// <see cref="Device.DeviceSyncStatements.Channel"/> (each instance's <c>DeviceApi.DeviceChangeListener</c> wakes its
/// waiting devices), after the change has committed and off the request's path: the MAC addresses committed meanwhile
/// go out together, one statement for all of them.
/// </summary>
/// <remarks>
/// Not in the changing transaction: PostgreSQL commits every transaction that notified one after the other, under one
/// lock held until its log is on disk, so that a NOTIFY in each change took away the sharing of disk syncs between
/// concurrent commits (measured with pgbench on the three writes of a device call: 4,869 transactions/s pipelined,
/// 1,430/s with a NOTIFY inside, 3,411/s with it after the commit as a statement of its own). A crash between a commit
/// and its notification, or a notification that fails twice (the database unreachable), leaves the devices waiting on
/// other instances until their wait ends (at most the <c>wait</c> they asked for), when they read their version
/// again: late, never lost.
/// </remarks>
internal sealed partial class PostgresChangeNotifier : IAsyncDisposable
{
    private const int MaxBatch = 1000;
    private readonly Channel<string> _changed = Channel.CreateUnbounded<string>(new UnboundedChannelOptions { SingleReader = true });
    private readonly NpgsqlDataSource _dataSource;
    private readonly ILogger _logger;
    private readonly Task _loop;

    public PostgresChangeNotifier(NpgsqlDataSource dataSource, ILogger logger)
    {
        _dataSource = dataSource;
        _logger = logger;
        _loop = Task.Run(RunAsync);
    }

    /// <summary>Queues the devices of a committed change for the next notification.</summary>
    public void Publish(IEnumerable<string> macAddresses)
    {
        foreach (var mac in macAddresses)
        {
            _changed.Writer.TryWrite(mac);
        }
    }

    /// <summary>Takes no more changes; what is queued is still sent while the database can be reached.</summary>
    public void Stop() => _changed.Writer.TryComplete();

    /// <summary>Sends what is queued (for at most 5 s), then stops.</summary>
    public async ValueTask DisposeAsync()
    {
        Stop();
        await _loop.WaitAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
    }

    private async Task RunAsync()
    {
        var batch = new HashSet<string>(StringComparer.Ordinal);
        while (await _changed.Reader.WaitToReadAsync().ConfigureAwait(false))
        {
            while (batch.Count < MaxBatch && _changed.Reader.TryRead(out var mac))
            {
                batch.Add(mac);
            }

            // Once more after a second if it fails (a pool that was empty for a moment, a failover); then the batch is
            // given up: the devices waiting elsewhere read their version when their wait ends. Nothing thrown here may end
            // the loop, or every later change would go untold.
            for (var attempt = 1; attempt <= 2; attempt++)
            {
                try
                {
                    await using var command = _dataSource.CreateCommand(
                        $"SELECT pg_notify('{Device.DeviceSyncStatements.Channel}', m) FROM unnest(string_to_array($1, ',')) AS m");
                    command.Parameters.Add(new NpgsqlParameter { Value = string.Join(',', batch) });
                    await command.ExecuteNonQueryAsync().ConfigureAwait(false);
                    break;
                }
                catch (Exception ex) when (attempt == 1 && !_changed.Reader.Completion.IsCompleted)
                {
                    LogRetrying(ex, batch.Count);
                    await Task.Delay(TimeSpan.FromSeconds(1)).ConfigureAwait(false);
                }
                catch (Exception ex)
                {
                    LogNotSent(ex, batch.Count);
                }
            }

            batch.Clear();
        }
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Could not tell the other instances of {Count} changed device configuration(s); trying again in 1 s")]
    private partial void LogRetrying(Exception exception, int count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not tell the other instances of {Count} changed device configuration(s); their devices read them when their wait ends")]
    private partial void LogNotSent(Exception exception, int count);
}
