using DeviceFeatures.Server.Audit;
using DeviceFeatures.Server.Partners;
using DeviceFeatures.Server.Storage;
using DeviceFeatures.Server.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace DeviceFeatures.Server.Tests.Storage;

/// <summary>
/// Each statement is declared once, with its row mapping by column name, and runs two ways: prepared on the SQLite
/// writer, as a command on PostgreSQL and on SQLite's readers. Both ways bind and read the same values, nulls included.
/// </summary>
public abstract class StatementTests : OwnServerTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task APartner_ReadsTheSame_InAWriteAndInARead_WithEveryColumnSet()
    {
        using var server = NewServer();
        _ = server.Server;
        var store = server.Services.GetRequiredService<IFeatureStore>();

        await store.WriteAsync(async s =>
        {
            await s.InsertPartnerAsync(new PartnerRow { ClientId = "p-all", Name = "All set", ClientSecret = "first", CreatedAt = 1, UpdatedAt = 2 });
            await s.RotatePartnerSecretAsync("p-all", "second", previousExpiresAt: 99, now: 3);
            await s.SetPartnerRateLimitAsync("p-all", 7, now: 4);
            return await s.SetPartnerSuspendedAsync("p-all", true, now: 5);
        }, Ct);
        var expected = new PartnerRow
        {
            ClientId = "p-all",
            Name = "All set",
            ClientSecret = "second",
            Suspended = true,
            CreatedAt = 1,
            UpdatedAt = 5,
            PreviousSecret = "first",
            PreviousSecretExpiresAt = 99,
            RateLimitPerMinute = 7,
        };

        Assert.Equivalent(expected, await store.WriteAsync(s => s.FindPartnerAsync("p-all"), Ct), strict: true);
        Assert.Equivalent(expected, await store.ReadAsync(s => s.FindPartnerAsync("p-all"), Ct), strict: true);
    }

    [Fact]
    public async Task NullsAndBooleans_ReadTheSame_InAWriteAndInARead()
    {
        using var server = NewServer();
        _ = server.Server;
        var store = server.Services.GetRequiredService<IFeatureStore>();

        await store.WriteAsync(async s =>
        {
            await s.InsertPartnerAsync(new PartnerRow { ClientId = "p-none", Name = "None set", ClientSecret = "only", CreatedAt = 1, UpdatedAt = 1 });
            await s.SetPartnerRateLimitAsync("p-none", null, now: 2);
            await s.AppendAuditAsync(new AuditRow { OccurredAt = 10, Kind = "test.sparse", Actor = "test" });
            return await s.AppendAuditAsync(new AuditRow
            {
                OccurredAt = 11,
                Kind = "test.full",
                Actor = "test",
                ClientId = "p-none",
                UserId = 42,
                Model = 17,
                FeatureName = "feature_pwv",
                OldValue = false,
                NewValue = true,
                RequestId = "req",
                Detail = "detail",
            });
        }, Ct);

        var query = new AuditQuery(ClientId: null, UserId: null, SinceMs: 10, AfterId: 0, Limit: 10);
        var written = await store.WriteAsync(s => s.QueryAuditAsync(query), Ct);
        var read = await store.ReadAsync(s => s.QueryAuditAsync(query), Ct);
        Assert.Equivalent(written, read, strict: true);
        Assert.Equal(["test.sparse", "test.full"], read.Select(e => e.Kind));
        Assert.Equal((null, null, null, null, null, null, null, null), Nullables(read[0]));
        Assert.Equal(("p-none", 42, 17, "feature_pwv", false, true, "req", "detail"), Nullables(read[1]));
        Assert.Equal([read[1].Id], (await store.ReadAsync(s => s.QueryAuditAsync(query with { ClientId = "p-none" }), Ct)).Select(e => e.Id));

        Assert.Null((await store.WriteAsync(s => s.FindPartnerAsync("p-none"), Ct))!.RateLimitPerMinute);
        Assert.Null((await store.ReadAsync(s => s.FindPartnerAsync("p-none"), Ct))!.PreviousSecret);
        Assert.Null(await store.WriteAsync(s => s.FindPartnerAsync("nobody"), Ct));
        Assert.Null(await store.ReadAsync(s => s.FindPartnerAsync("nobody"), Ct));
    }

    private static (string?, int?, int?, string?, bool?, bool?, string?, string?) Nullables(AuditRow e) =>
        (e.ClientId, e.UserId, e.Model, e.FeatureName, e.OldValue, e.NewValue, e.RequestId, e.Detail);
}

public sealed class StatementTestsOnSqlite : StatementTests
{
    protected override TestDatabase NewDatabase() => new SqliteTestDatabase();
}

[NeedsPostgres]
public sealed class StatementTestsOnPostgres : StatementTests
{
    public StatementTestsOnPostgres() => PostgresTestDatabase.SkipUnlessConfigured();

    protected override TestDatabase NewDatabase() => new PostgresTestDatabase();
}
