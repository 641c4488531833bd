using System.Diagnostics;

namespace DeviceFeatures.Load.Tests;

public sealed class RecordingTests
{
    private static long Milliseconds(int ms) => Stopwatch.Frequency * ms / 1000;

    [Fact]
    public void Summarize_UsesNearestRankOverEveryRecorderMerged()
    {
        // 1..1000 ms spread over two workers, out of order.
        var first = new LatencyRecorder();
        var second = new LatencyRecorder();
        for (var ms = 1000; ms >= 1; ms--)
        {
            (ms % 2 == 0 ? first : second).Record(Milliseconds(ms));
        }

        var summary = LatencyRecorder.Summarize([first, second]);

        Assert.Equal(1000, summary.Count);
        Assert.Equal(500, summary.P50, 6);
        Assert.Equal(990, summary.P99, 6);
        Assert.Equal(999, summary.P999, 6);
        Assert.Equal(1000, summary.Max, 6);
    }

    [Fact]
    public void Summarize_FewValues_TakesTheValueAtOrAboveTheRank()
    {
        var recorder = new LatencyRecorder();
        foreach (var ms in new[] { 1, 2, 3 })
        {
            recorder.Record(Milliseconds(ms));
        }

        var summary = LatencyRecorder.Summarize([recorder]);

        Assert.Equal(2, summary.P50, 6);
        Assert.Equal(3, summary.P99, 6);
    }

    [Fact]
    public void Summarize_Nothing_IsNotANumber()
    {
        var summary = LatencyRecorder.Summarize([new LatencyRecorder()]);
        Assert.Equal(0, summary.Count);
        Assert.True(double.IsNaN(summary.P99));
    }

    [Fact]
    public void Record_BeyondTheInitialCapacity_KeepsEveryValue()
    {
        var recorder = new LatencyRecorder();
        for (var i = 0; i < 10_000; i++)
        {
            recorder.Record(i);
        }

        Assert.Equal(10_000, recorder.Count);
        Assert.Equal(9_999, recorder.Values[^1]);
    }

    [Fact]
    public void ErrorTally_CountsEveryError_ButNamesOnlyTheFirstKinds()
    {
        var tally = new ErrorTally();
        for (var i = 0; i < 40; i++)
        {
            tally.Add($"kind {i}");
        }

        tally.Add("kind 0");

        Assert.Equal(41, tally.Total);
        Assert.Equal(41, tally.Kinds.Sum(k => k.Value));
        Assert.Contains(tally.Kinds, k => k.Key == "(other kinds)");
        Assert.Equal(2, tally.Kinds.Single(k => k.Key == "kind 0").Value);
    }

    [Fact]
    public void UserCursor_EveryUserAlternatesEnableAndDisable()
    {
        var cursor = new UserCursor(3, i => 100 + i);
        var calls = Enumerable.Range(0, 9).Select(_ => cursor.Next()).ToArray();

        Assert.Equal([100, 101, 102, 100, 101, 102, 100, 101, 102], calls.Select(c => c.UserId));
        Assert.Equal([true, true, true, false, false, false, true, true, true], calls.Select(c => c.Enable));
    }

    [Fact]
    public async Task UserCursor_SharedByWorkers_HandsOutEachTurnOnce()
    {
        var cursor = new UserCursor(100, i => i);
        var seen = new System.Collections.Concurrent.ConcurrentBag<(int, bool)>();
        await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => Task.Run(() =>
        {
            for (var i = 0; i < 100; i++)
            {
                seen.Add(cursor.Next());
            }
        })));

        // 400 turns over 100 users: each user exactly twice enabled and twice disabled.
        foreach (var user in seen.GroupBy(s => s.Item1))
        {
            Assert.Equal(2, user.Count(s => s.Item2));
            Assert.Equal(2, user.Count(s => !s.Item2));
        }
    }
}
