using System.Threading.Channels;

namespace DeviceFeatures.Server.ChangeEvents;

/// <summary>
/// Wakes the dispatcher of this instance: a write that inserted change events calls <see cref="Wake"/> once it has
/// committed, so that an event leaves at once rather than at the next poll. Wakes that come while the dispatcher works
/// fold into one.
/// </summary>
internal sealed class ChangeEventSignal
{
    private readonly Channel<bool> _wakes = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });

    public void Wake() => _wakes.Writer.TryWrite(true);

    /// <summary>Waits for a wake or for <paramref name="timeout"/> on <paramref name="time"/>, whichever comes first.</summary>
    public async Task WaitAsync(TimeSpan timeout, TimeProvider time, CancellationToken cancellationToken)
    {
        using var timer = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var delay = Task.Delay(timeout, time, timer.Token);
        var wake = _wakes.Reader.WaitToReadAsync(timer.Token).AsTask();
        await Task.WhenAny(delay, wake).ConfigureAwait(false);
        await timer.CancelAsync().ConfigureAwait(false);
        _wakes.Reader.TryRead(out _);
        cancellationToken.ThrowIfCancellationRequested();
    }
}
