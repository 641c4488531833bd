namespace DeviceFeatures.Testing;

/// <summary>
/// The clock of a <see cref="DeviceFeaturesTestServer"/> and of the clients it hands out: the clock it was started on
/// (<see cref="DeviceFeaturesTestServerOptions.TimeProvider"/>, or the system's) plus what <see cref="Advance"/> added.
/// Moving it forward expires nonces, turns quota windows and completes a programme's 30-day termination without
/// waiting; it never goes back.
/// </summary>
public sealed class DeviceFeaturesTestClock : TimeProvider
{
    private readonly TimeProvider _inner;
    private long _offsetTicks;

    internal DeviceFeaturesTestClock(TimeProvider inner) => _inner = inner;

    /// <summary>How far this clock was advanced.</summary>
    public TimeSpan Offset => TimeSpan.FromTicks(Interlocked.Read(ref _offsetTicks));

    /// <summary>Moves the clock forward.</summary>
    /// <param name="amount">How far; zero or more.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="amount"/> is negative.</exception>
    public void Advance(TimeSpan amount)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(amount, TimeSpan.Zero);
        Interlocked.Add(ref _offsetTicks, amount.Ticks);
    }

    /// <inheritdoc />
    public override DateTimeOffset GetUtcNow() => _inner.GetUtcNow() + Offset;

    /// <inheritdoc />
    public override TimeZoneInfo LocalTimeZone => _inner.LocalTimeZone;

    /// <inheritdoc />
    public override long TimestampFrequency => _inner.TimestampFrequency;

    /// <inheritdoc />
    public override long GetTimestamp() => _inner.GetTimestamp();

    /// <inheritdoc />
    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period) =>
        _inner.CreateTimer(callback, state, dueTime, period);
}
