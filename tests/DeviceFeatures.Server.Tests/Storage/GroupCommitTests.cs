using DeviceFeatures.Server.Storage;
using DeviceFeatures.Server.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace DeviceFeatures.Server.Tests.Storage;

/// <summary>
/// Writes that arrive together share a transaction on SQLite: each keeps its own outcome, and a failing one takes
/// nothing of the others with it.
/// </summary>
public sealed class GroupCommitTests
{
    [Fact]
    public async Task ConcurrentWrites_OneFailingInThree_KeepEveryOtherWrite_AndNoneOfTheFailedOnes()
    {
        using var server = new SqliteServer();
        _ = server.Server;
        var store = server.Services.GetRequiredService<IFeatureStore>();

        var writes = Enumerable.Range(0, 90).Select(i => Task.Run(() => store.WriteAsync(async s =>
        {
            await s.AddSettingAsync($"group-{i}", "written");
            if (i % 3 == 0)
            {
                throw new InvalidOperationException($"write {i} fails after writing");
            }

            return i;
        }, TestContext.Current.CancellationToken))).ToArray();

        var outcomes = await Task.WhenAll(writes.Select(async w =>
        {
            try
            {
                return await w;
            }
            catch (InvalidOperationException)
            {
                return -1;
            }
        }));

        Assert.Equal(60, outcomes.Count(o => o >= 0));
        Assert.Equal(30, outcomes.Count(o => o < 0));
        Assert.Equal(60, Sql.Scalar(server, "SELECT COUNT(*) FROM settings WHERE name LIKE 'group-%'"));
        Assert.Equal(0, Sql.Scalar(server, "SELECT COUNT(*) FROM settings WHERE name IN ('group-0', 'group-3', 'group-87')"));
    }

    [Fact]
    public async Task ACancelledWrite_IsNotRun_AndOthersGoThrough()
    {
        using var server = new SqliteServer();
        _ = server.Server;
        var store = server.Services.GetRequiredService<IFeatureStore>();
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => store.WriteAsync(s => s.AddSettingAsync("cancelled", "x"), cancelled.Token));
        await store.WriteAsync(s => s.AddSettingAsync("kept", "x"), TestContext.Current.CancellationToken);
        Assert.Equal(0, Sql.Scalar(server, "SELECT COUNT(*) FROM settings WHERE name = 'cancelled'"));
        Assert.Equal(1, Sql.Scalar(server, "SELECT COUNT(*) FROM settings WHERE name = 'kept'"));
    }

    [Fact]
    public async Task WritesWithoutABreak_WhileReadersRead_StartTheLogAgain_AndKeepItsFileBounded()
    {
        using var server = new SqliteServer();
        server.Settings["Storage:SqliteLogRestartPages"] = "32";
        _ = server.Server;
        var store = Assert.IsType<SqliteFeatureStore>(server.Services.GetRequiredService<IFeatureStore>());
        var cancellationToken = TestContext.Current.CancellationToken;
        var page = new string('x', 3000);
        var logPath = store.DataSource + "-wal";

        // Without a restart every page written stays in the log: 8 writers times 600 writes of ~3 KB is over 14 MB.
        using var readersStop = new CancellationTokenSource();
        var readers = Enumerable.Range(0, 2).Select(r => Task.Run(async () =>
        {
            while (!readersStop.IsCancellationRequested)
            {
                await store.ReadAsync(s => s.GetSettingAsync($"log-{r}-0"), cancellationToken);
            }
        }, cancellationToken)).ToArray();
        // Each writer notes the largest log file it saw after its writes.
        var writers = Enumerable.Range(0, 8).Select(w => Task.Run(async () =>
        {
            var largest = 0L;
            for (var i = 0; i < 600; i++)
            {
                await store.WriteAsync(s => s.AddSettingAsync($"log-{w}-{i}", page), cancellationToken);
                var log = new FileInfo(logPath);
                largest = Math.Max(largest, log.Exists ? log.Length : 0);
            }

            return largest;
        }, cancellationToken)).ToArray();
        var largestLog = (await Task.WhenAll(writers)).Max();
        await readersStop.CancelAsync();
        await Task.WhenAll(readers);

        TestContext.Current.SendDiagnosticMessage($"log: {store.LogRestarts} restarts in 4800 writes, largest file {largestLog:N0} bytes");
        Assert.Equal(4800, Sql.Scalar(server, "SELECT COUNT(*) FROM settings WHERE name LIKE 'log-%'"));
        Assert.True(store.LogRestarts >= 2, $"the log was started again {store.LogRestarts} time(s)");

        // Without restarts the file would hold every page written, about 20 MB. How far it grows between two
        // restarts depends on how the threads are scheduled, so the test does not bound it; what it bounds is the
        // file once writing calms down: the next restart cuts it back to 4 times the restart size (512 KiB).
        var restarts = store.LogRestarts;
        for (var i = 0; store.LogRestarts == restarts && i < 1000; i++)
        {
            await store.WriteAsync(s => s.AddSettingAsync($"calm-{i}", "x"), cancellationToken);
            await Task.Delay(10, cancellationToken);
        }

        await store.WriteAsync(s => s.AddSettingAsync("after-restart", "x"), cancellationToken);
        var afterRestart = new FileInfo(logPath).Length;
        Assert.True(afterRestart <= 512 * 1024, $"the log file is {afterRestart:N0} bytes after a restart");
        Assert.True(largestLog < 4800 * 4096, $"the log file grew to {largestLog:N0} bytes");

        // What operators watch: the restarts are counted on /metrics (other servers of this process may add theirs).
        using var client = server.CreateClient();
        var metrics = await client.GetStringAsync("/metrics", cancellationToken);
        Assert.Matches("devicefeatures_sqlite_log_restarts_total(\\{[^}]*\\})? [1-9]", metrics);
    }
}
