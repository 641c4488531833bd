namespace DeviceFeatures.Load.Tests;

public sealed class SettingParsersTests
{
    [Theory]
    [InlineData("10s", 10_000)]
    [InlineData("500ms", 500)]
    [InlineData("1m", 60_000)]
    [InlineData("2.5", 2_500)]
    [InlineData(" 3s ", 3_000)]
    public void TryParseDuration_KnownUnits_AreRead(string text, int milliseconds)
    {
        Assert.True(SettingParsers.TryParseDuration(text, out var duration));
        Assert.Equal(TimeSpan.FromMilliseconds(milliseconds), duration);
    }

    [Theory]
    [InlineData("")]
    [InlineData("10x")]
    [InlineData("-1s")]
    [InlineData("s")]
    public void TryParseDuration_Nonsense_IsRefused(string text) =>
        Assert.False(SettingParsers.TryParseDuration(text, out _));

    [Fact]
    public void TryParseConnections_List_KeepsOrderAndDropsRepeats()
    {
        Assert.True(SettingParsers.TryParseConnections("1, 8,32,128,8", out var connections));
        Assert.Equal([1, 8, 32, 128], connections);
    }

    [Theory]
    [InlineData("0")]
    [InlineData("1,x")]
    [InlineData("")]
    [InlineData("5000")]
    public void TryParseConnections_OutOfRangeOrNonsense_IsRefused(string text) =>
        Assert.False(SettingParsers.TryParseConnections(text, out _));

    [Fact]
    public void Redact_HidesTheClientSecretAndThePostgresPassword()
    {
        var shown = SettingParsers.Redact(
        [
            "--seeded", "big.db", "--client-secret", "s3cret", "--postgres", "Host=127.0.0.1;Password=hunter2;Database=x",
            "--client-secret=other", "--duration", "5s",
        ]);

        Assert.DoesNotContain("s3cret", shown, StringComparison.Ordinal);
        Assert.DoesNotContain("hunter2", shown, StringComparison.Ordinal);
        Assert.DoesNotContain("other", shown, StringComparison.Ordinal);
        Assert.Contains("Password=***", shown, StringComparison.Ordinal);
        Assert.Contains("--duration 5s", shown, StringComparison.Ordinal);
        Assert.Contains("--seeded big.db", shown, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("1-1000000", 1, 1_000_000)]
    [InlineData("5-5", 5, 5)]
    public void UserRange_FirstDashLast_IsRead(string text, int first, int last)
    {
        Assert.True(UserRange.TryParse(text, out var range));
        Assert.Equal(new UserRange(first, last), range);
        Assert.Equal(last - first + 1, range.Count);
    }

    [Theory]
    [InlineData("0-5")]
    [InlineData("5-1")]
    [InlineData("12")]
    [InlineData("a-b")]
    public void UserRange_Nonsense_IsRefused(string text) => Assert.False(UserRange.TryParse(text, out _));

    [Fact]
    public void Workloads_AreKeptInReportOrder_AndUnknownLettersRefused()
    {
        Assert.True(Workload.TryParseList("e, c,a,c", out var workloads));
        Assert.Equal(['a', 'c', 'e'], workloads.Select(w => w.Letter));
        Assert.False(Workload.TryParseList("a,z", out _));
    }
}
