using DeviceFeatures.Cli.Simulation;

namespace DeviceFeatures.Load.Tests;

public sealed class SyncScenarioTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("devicefeatures-sync-tests-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public void Settings_WithinBounds_HaveNoProblems() =>
        Assert.Empty(SyncSettings.Problems(10_000, 10, TimeSpan.FromSeconds(60), 60));

    [Fact]
    public void Settings_OutOfBounds_AreEachNamed()
    {
        var problems = SyncSettings.Problems(0, 0, TimeSpan.Zero, 61);

        Assert.Equal(4, problems.Count);
        Assert.Contains(problems, p => p.StartsWith("--devices", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.StartsWith("--change-rate", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.StartsWith("--duration", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.StartsWith("--wait", StringComparison.Ordinal));
    }

    [Fact]
    public void Targets_OfTenThousandDevices_AreJudgedOnP99AndPeakMemory()
    {
        // 100 arrivals of 1..100 ms: p99 is 99 ms; 390 MiB peak.
        var measurement = Measurement(10_000, Enumerable.Range(1, 100).Select(i => (double)i).ToArray(), notArrived: 0, peakKb: 390 * 1024);

        var targets = SyncReport.Targets(measurement);

        Assert.Equal(("p99 change to device ≤ 1 s", "99.0 ms", "met"), targets[0]);
        Assert.Equal(("server RSS ≤ 400 MiB with 10,000 devices waiting", "390 MiB", "met"), targets[1]);
    }

    [Fact]
    public void Targets_AreMissed_WhenSlow_WhenAChangeNeverArrived_OrOverMemory()
    {
        var slow = SyncReport.Targets(Measurement(10_000, [10, 20, 1500], notArrived: 0, peakKb: 500 * 1024));
        Assert.Equal("**missed**", slow[0].Verdict);
        Assert.Equal("**missed**", slow[1].Verdict);

        var lost = SyncReport.Targets(Measurement(10_000, [10], notArrived: 1, peakKb: 100 * 1024));
        Assert.StartsWith("**missed**", lost[0].Verdict, StringComparison.Ordinal);
    }

    [Fact]
    public void MemoryTarget_IsNotJudged_WithFewerDevices()
    {
        var targets = SyncReport.Targets(Measurement(500, [5], notArrived: 0, peakKb: 100 * 1024));

        Assert.StartsWith("not judged", targets[1].Verdict, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Sections_OfEachProvider_AreReplacedOnTheirOwn()
    {
        var path = Path.Combine(_directory, "benchmarks.md");
        var ct = TestContext.Current.CancellationToken;
        await Report.WriteAsync(path, "wire", ct);
        await Report.WriteSectionAsync(path, SyncReport.SectionName(DatabaseKind.Sqlite), "sqlite 1", ct);
        await Report.WriteSectionAsync(path, SyncReport.SectionName(DatabaseKind.Postgres), "postgres 1", ct);
        await Report.WriteSectionAsync(path, SyncReport.SectionName(DatabaseKind.Sqlite), "sqlite 2", ct);

        var text = await File.ReadAllTextAsync(path, ct);
        Assert.Contains("\nwire\n", text, StringComparison.Ordinal);
        Assert.Contains("\nsqlite 2\n", text, StringComparison.Ordinal);
        Assert.Contains("\npostgres 1\n", text, StringComparison.Ordinal);
        Assert.DoesNotContain("sqlite 1", text, StringComparison.Ordinal);
        Assert.True(text.IndexOf("sqlite 2", StringComparison.Ordinal) < text.IndexOf("postgres 1", StringComparison.Ordinal));
    }

    [Fact]
    public void TooManyDevices_ForTheOpenFileLimit_IsNamedBeforeAnythingStarts()
    {
        var problem = FileDescriptors.Problem(20_000, 20_000);

        Assert.NotNull(problem);
        Assert.Contains("ulimit -n", problem, StringComparison.Ordinal);
    }

    private static SyncMeasurement Measurement(int devices, double[] arrivals, int notArrived, long peakKb) =>
        new(new FleetResult(devices, arrivals.Length + notArrived, 0, 0, arrivals, notArrived, TimeSpan.FromSeconds(60), [], 6000),
            peakKb, peakKb, peakKb, TimeSpan.FromSeconds(10), 50);
}
