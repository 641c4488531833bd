using DeviceFeatures.Cli.Bulk;
using Microsoft.Extensions.Time.Testing;

namespace DeviceFeatures.Cli.Tests;

public sealed class RateGateTests
{
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 11, 24, 9, 0, 0, TimeSpan.Zero));

    [Fact]
    public void WorkersMeetingTheSame601_StartOnePause_AndGrowTheBackoffOnce()
    {
        var gate = new RateGate(_time, TimeSpan.FromSeconds(15), TimeSpan.FromMinutes(2));
        Assert.Equal(TimeSpan.FromSeconds(15), gate.Pause(null));
        Assert.Null(gate.Pause(null));
        Assert.Null(gate.Pause(null));

        _time.Advance(TimeSpan.FromSeconds(15));
        Assert.Equal(TimeSpan.FromSeconds(30), gate.Pause(null));

        _time.Advance(TimeSpan.FromSeconds(30));
        gate.Succeeded();
        Assert.Equal(TimeSpan.FromSeconds(15), gate.Pause(null));
    }

    [Fact]
    public void WaitSeconds_IsHonoured_AndCapped()
    {
        var gate = new RateGate(_time, TimeSpan.FromSeconds(15), TimeSpan.FromMinutes(2));
        Assert.Equal(TimeSpan.FromSeconds(5), gate.Pause(TimeSpan.FromSeconds(5)));
        _time.Advance(TimeSpan.FromSeconds(5));
        Assert.Equal(TimeSpan.FromMinutes(2), gate.Pause(TimeSpan.FromHours(1)));
    }

    [Fact]
    public async Task WaitAsync_BlocksUntilThePauseIsOver()
    {
        var gate = new RateGate(_time, TimeSpan.FromSeconds(15), TimeSpan.FromMinutes(2));
        await gate.WaitAsync(TestContext.Current.CancellationToken);
        gate.Pause(TimeSpan.FromSeconds(10));

        // A longer 601 met during the pause lengthens it.
        _time.Advance(TimeSpan.FromSeconds(2));
        Assert.Null(gate.Pause(TimeSpan.FromSeconds(20)));

        var waiting = gate.WaitAsync(TestContext.Current.CancellationToken);
        _time.Advance(TimeSpan.FromSeconds(10));
        Assert.False(waiting.IsCompleted);
        _time.Advance(TimeSpan.FromSeconds(10));
        await waiting.WaitAsync(TestContext.Current.CancellationToken);
    }
}
