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

    /// <summary>
    /// Starts a pause, or lengthens the one in force to cover what the service asked. Only a new pause without
    /// <c>wait_seconds</c> grows the next backoff, so several workers meeting the same 601 count once.
    /// </summary>
    /// <returns>The length of a new pause, or null when one was already in force.</returns>
    public TimeSpan? Pause(TimeSpan? asked)
    {
        lock (_lock)
        {
            var now = _time.GetUtcNow();
            var length = asked ?? _backoff;
            length = length < _maxBackoff ? length : _maxBackoff;
            if (_resumeAt > now)
            {
                if (asked is not null && now + length > _resumeAt)
                {
                    _resumeAt = now + length;
                }

                return null;
            }

            if (asked is null)
            {
                _backoff = _backoff * 2 < _maxBackoff ? _backoff * 2 : _maxBackoff;
            }

            _resumeAt = now + length;
            return length;
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
