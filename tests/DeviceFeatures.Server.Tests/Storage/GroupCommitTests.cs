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
}
