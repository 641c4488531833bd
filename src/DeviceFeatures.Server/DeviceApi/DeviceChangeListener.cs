using DeviceFeatures.Server.Device;
using DeviceFeatures.Server.Storage;
using Microsoft.Extensions.Options;
using Npgsql;

namespace DeviceFeatures.Server.DeviceApi;

/// <summary>
/// On PostgreSQL, wakes this instance's waiting devices when another instance changes their configuration: one
/// dedicated connection per instance <c>LISTEN</c>s on <see cref="DeviceSyncStatements.Channel"/>, to which every
/// instance sends the MAC address of each bumped version with <c>NOTIFY</c> right after the commit
/// (<see cref="Storage.PostgresChangeNotifier"/>). When
/// the connection is lost it connects again, and then wakes every waiter, which reads its version again: what was
/// sent meanwhile is not lost, only late. Idle on SQLite, where one process is the only writer.
/// </summary>
internal sealed partial class DeviceChangeListener(
    IOptions<StorageOptions> storage, IOptions<DeviceApiOptions> options, DeviceSignals signals, TimeProvider time, ILogger<DeviceChangeListener> logger)
    : BackgroundService
{
    private static readonly TimeSpan RetryDelay = TimeSpan.FromSeconds(2);
    private readonly TaskCompletionSource _listening = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Completes once the first <c>LISTEN</c> has run (for tests: changes from then on wake this instance).</summary>
    internal Task Listening => _listening.Task;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!storage.Value.IsPostgres || !options.Value.ListenForChanges)
        {
            _listening.TrySetResult();
            return;
        }

        // On the primary, as every connection of the server: a standby accepts no LISTEN. After a failover the lost
        // connection is made again to the promoted standby, like any other.
        var settings = storage.Value.PostgresSettings();

        // Its own connection, never returned to the pool with a LISTEN on it; keepalives find a dead peer.
        settings.Pooling = false;
        settings.KeepAlive = 30;
        settings.ApplicationName = "DeviceFeatures listener";
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await using var connection = new NpgsqlConnection(settings.ConnectionString);
                connection.Notification += (_, e) => signals.Changed([e.Payload]);
                await connection.OpenAsync(stoppingToken);
                await using (var listen = new NpgsqlCommand($"LISTEN {DeviceSyncStatements.Channel}", connection))
                {
                    await listen.ExecuteNonQueryAsync(stoppingToken);
                }

                signals.ChangedAll();
                _listening.TrySetResult();
                LogListening();
                while (true)
                {
                    await connection.WaitAsync(stoppingToken);
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex) when (ex is NpgsqlException or TimeoutException or System.Net.Sockets.SocketException or IOException)
            {
                LogLost(ex, RetryDelay.TotalSeconds);
                try
                {
                    await Task.Delay(RetryDelay, time, stoppingToken);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Listening for configuration changes made by other instances")]
    private partial void LogListening();

    [LoggerMessage(Level = LogLevel.Warning, Message = "The connection that listens for other instances' configuration changes was lost; connecting again in {Seconds} s")]
    private partial void LogLost(Exception exception, double seconds);
}
