namespace DeviceFeatures.Cli.Bulk;

/// <summary>
/// Shared by every worker of a bulk run: after a 601 all of them pause until the service's wait is over, instead of
/// each one hammering on. The pause grows while 601s keep coming and resets after a success.
/// </summary>
internal sealed class RateGate
{
    private readonly Lock _lock = new();
    private readonly TimeProvider _time;
    private readonly TimeSpan _firstBackoff;
    private readonly TimeSpan _maxBackoff;
    private DateTimeOffset _resumeAt = DateTimeOffset.MinValue;
    private TimeSpan _backoff;

    public RateGate(TimeProvider time, TimeSpan firstBackoff, TimeSpan maxBackoff)
    {
        _time = time;
        _firstBackoff = firstBackoff;
        _maxBackoff = maxBackoff;
        _backoff = firstBackoff;
    }

    /// <summary>Waits until no pause is in force.</summary>
    public async Task WaitAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            TimeSpan wait;
            lock (_lock)
            {
                wait = _resumeAt - _time.GetUtcNow();
            }

            if (wait <= TimeSpan.Zero)
            {
                return;
            }

            await Task.Delay(wait, _time, cancellationToken);
        }
    }

    /// <summary>Starts (or lengthens) a pause; returns its length when it is a new pause, else null.</summary>
    public TimeSpan? Pause(TimeSpan? asked)
    {
        lock (_lock)
        {
            var now = _time.GetUtcNow();
            var length = asked ?? _backoff;
            length = length < _maxBackoff ? length : _maxBackoff;
            _backoff = _backoff * 2 < _maxBackoff ? _backoff * 2 : _maxBackoff;
            var until = now + length;
            if (until <= _resumeAt)
            {
                return null;
            }

            var isNew = _resumeAt <= now;
            _resumeAt = until;
            return isNew ? length : null;
        }
    }

    public void Succeeded()
    {
        lock (_lock)
        {
            _backoff = _firstBackoff;
        }
    }
}
