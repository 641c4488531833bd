namespace DeviceFeatures.Server.Storage;

/// <summary>
/// Whether the store can take a change now, for the readiness probe. Reading tells nothing of it: a full disk, or a
/// SQLite file deleted under the server, leaves every read working while every write fails. So readiness makes a
/// write of its own, a one-row upsert into <c>write_probe</c> through the store's ordinary write path (on SQLite the
/// group-commit writer, its log and its file check; on PostgreSQL a transaction like any other), at most once per
/// <see cref="Interval"/> of the server's clock, and answers the cached outcome in between. A change that fails for
/// want of space, or because the files are gone, marks the store not ready at once, until a probe succeeds.
/// </summary>
internal sealed class WriteReadiness(TimeProvider time, Func<Exception, string?> reasonOf)
{
    /// <summary>How often the probe may write, however often readiness is asked.</summary>
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(1);

    private static readonly SqlStatement<long> Probe = new(
        "INSERT INTO write_probe (id, probed_at) VALUES (1, @at) ON CONFLICT (id) DO UPDATE SET probed_at = excluded.probed_at",
        static (at, p) => p.Add("@at", at));

    private readonly Lock _lock = new();
    private Task<string?>? _probe;
    private DateTimeOffset _probedAt = DateTimeOffset.MinValue;

    /// <summary>
    /// <see langword="null"/> when the last probe (made now if the cached outcome is older than <see cref="Interval"/>)
    /// committed, and no change has failed since for a reason that stops every change; otherwise why not.
    /// </summary>
    public Task<string?> CheckAsync(IFeatureStore store, CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            // One probe at a time: concurrent readiness requests share it.
            if (_probe is null || (_probe.IsCompleted && time.GetUtcNow() - _probedAt >= Interval))
            {
                _probedAt = time.GetUtcNow();
                _probe = ProbeAsync(store);
            }

            return _probe.WaitAsync(cancellationToken);
        }
    }

    /// <summary>
    /// A change failed: if for a reason that stops every change (a full disk, the files gone), readiness says so at
    /// once, and probes again no sooner than <see cref="Interval"/> later.
    /// </summary>
    public void Observe(Exception exception)
    {
        if (reasonOf(exception) is { } reason)
        {
            lock (_lock)
            {
                _probedAt = time.GetUtcNow();
                _probe = Task.FromResult<string?>(reason);
            }
        }
    }

    private async Task<string?> ProbeAsync(IFeatureStore store)
    {
        // Not cancelled with the request that asked: others may be waiting for the same probe. A wall-clock bound, like
        // the read's: a database that hangs must not hold readiness, whatever the server's clock says.
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(3));
        try
        {
            await store.WriteAsync(s => s.ExecuteAsync(Probe, time.GetUtcNow().ToUnixTimeMilliseconds()), timeout.Token).WaitAsync(timeout.Token).ConfigureAwait(false);
            return null;
        }
        catch (Exception ex)
        {
            return reasonOf(ex) ?? (ex is OperationCanceledException || store.IsUnavailable(ex)
                ? "the database does not answer"
                : $"a test write failed ({ex.GetType().Name})");
        }
    }
}
