using DeviceFeatures.Server.Signature;

namespace DeviceFeatures.Server.Tests.Signature;

public sealed class RandomBytesTests
{
    [Fact]
    public void NonceRandomness_AcrossManyBlocks_IsNeverRepeatedAndNeverBlank()
    {
        // 20,000 draws of 6 bytes go through about 30 blocks of 4 KiB, each boundary included.
        var seen = new HashSet<long>();
        Span<byte> drawn = stackalloc byte[8];
        for (var i = 0; i < 20_000; i++)
        {
            drawn.Clear();
            RandomBytes.Fill(drawn[..6]);
            Assert.True(seen.Add(BitConverter.ToInt64(drawn)), $"draw {i} repeated an earlier one");
        }

        Assert.DoesNotContain(0L, seen);
    }

    [Fact]
    public void ThreadsDrawFromBlocksOfTheirOwn()
    {
        var draws = new System.Collections.Concurrent.ConcurrentBag<long>();
        Parallel.For(0, 8, _ =>
        {
            Span<byte> drawn = stackalloc byte[8];
            for (var i = 0; i < 2_000; i++)
            {
                drawn.Clear();
                RandomBytes.Fill(drawn[..6]);
                draws.Add(BitConverter.ToInt64(drawn));
            }
        });

        Assert.Equal(16_000, draws.Distinct().Count());
    }

    [Fact]
    public void LargeRequests_AreFilledToo()
    {
        var large = new byte[5000];
        RandomBytes.Fill(large);
        Assert.True(large.Count(b => b == 0) < 100);
    }
}
