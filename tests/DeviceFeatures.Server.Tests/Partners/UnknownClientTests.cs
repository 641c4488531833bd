using System.Globalization;
using DeviceFeatures.Protocol.Signing;
using DeviceFeatures.Server.Admin;
using DeviceFeatures.Server.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace DeviceFeatures.Server.Tests.Partners;

/// <summary>
/// Client ids are sent by anyone, before anything is checked: requests from unknown ones must not starve known
/// partners of the database. An unknown client id is read once and remembered briefly; a partner created through
/// an instance works there at once.
/// </summary>
public abstract class UnknownClientTests : OwnServerTests
{
    protected static CancellationToken Ct => TestContext.Current.CancellationToken;

    internal static Dictionary<string, string> NonceRequest(string clientId, long now, string secret = "not-the-secret")
    {
        var timestamp = now.ToString(CultureInfo.InvariantCulture);
        return new()
        {
            ["action"] = "getnonce",
            ["client_id"] = clientId,
            ["timestamp"] = timestamp,
            ["signature"] = WithingsSignature.Sign(secret, "getnonce", clientId, timestamp),
        };
    }

    [Fact]
    public async Task OneUnknownClientId_SentFiftyTimesAtOnce_IsReadFromTheDatabaseOnce()
    {
        using var server = NewServer();
        var partner = await server.CreatePartnerAsync();

        var answers = await Task.WhenAll(Enumerable.Range(0, 50).Select(_ =>
            Task.Run(() => partner.PostFormAsync("/v2/signature", NonceRequest("nobody-we-know", partner.Now)), Ct)));

        Assert.All(answers, a => Assert.Equal(100, a.Status));
        using var client = server.CreateClient();
        var metrics = await client.GetStringAsync("/metrics", Ct);
        Assert.Matches("devicefeatures_partner_lookups_total\\{[^}]*outcome=\"unknown\"[^}]*\\} 1\\b", metrics);
    }

    [Fact]
    public async Task APartnerCreatedAfterItsClientIdWasRefused_WorksAtOnceThere_AndOnAnotherInstanceWithinTwoSeconds()
    {
        using var database = NewDatabase();
        var time = ServerFactory.NewClock();
        using var here = new ServerFactory(database, time);
        using var there = new ServerFactory(database, time);
        var probe = await here.CreatePartnerAsync();
        var atThere = new TestPartner(there, probe.ClientId, probe.ClientSecret, probe.UserId);
        const string ClientId = "a-partner-to-come";
        const string Secret = "the-secret-of-a-partner-to-come";

        Assert.Equal(100, (await probe.PostFormAsync("/v2/signature", NonceRequest(ClientId, probe.Now, Secret))).Status);
        Assert.Equal(100, (await atThere.PostFormAsync("/v2/signature", NonceRequest(ClientId, probe.Now, Secret))).Status);

        var (created, error) = await here.Services.GetRequiredService<AdminService>().CreatePartnerAsync("Late partner", AuditOrigin.Admin("test"), Ct, ClientId, Secret);
        Assert.Null(error);
        Assert.Equal(ClientId, created!.ClientId);

        Assert.Equal(0, (await probe.PostFormAsync("/v2/signature", NonceRequest(ClientId, probe.Now, Secret))).Status);
        time.Advance(TimeSpan.FromSeconds(2));
        Assert.Equal(0, (await atThere.PostFormAsync("/v2/signature", NonceRequest(ClientId, probe.Now, Secret))).Status);
    }
}

public sealed class UnknownClientTestsOnSqlite : UnknownClientTests
{
    protected override TestDatabase NewDatabase() => new SqliteTestDatabase();
}

[NeedsPostgres]
public sealed class UnknownClientTestsOnPostgres : UnknownClientTests
{
    // Not a timing: how long the known partner's call, which should not wait for the lock, may take before the test gives up.
    private static readonly TimeSpan GiveUpAfter = TimeSpan.FromSeconds(20);

    public UnknownClientTestsOnPostgres() => PostgresTestDatabase.SkipUnlessConfigured();

    protected override TestDatabase NewDatabase() => new PostgresTestDatabase();

    /// <summary>
    /// The partners table is held by a lock, so every lookup of an unknown client id stays at the database for as long
    /// as the test wants; with a pool of 6 connections, 40 such lookups would take all of them. The known partner
    /// (held by the cache) must still get a connection for its device call.
    /// </summary>
    [Fact]
    public async Task UnknownClientIds_StuckAtTheDatabase_LeaveConnectionsToAKnownPartner()
    {
        using var database = new PostgresTestDatabase { ConnectionSettings = "Maximum Pool Size=6;Timeout=10" };
        using var server = new ServerFactory(database, ServerFactory.NewClock());
        server.Settings["Partners:MaxConcurrentLookups"] = "2";
        var partner = await server.CreatePartnerAsync();
        Assert.Equal(0, (await partner.EnableAsync("feature_pwv")).Status);

        using var blocker = database.Open();
        using var transaction = blocker.BeginTransaction();
        PostgresLocks.Execute(blocker, "LOCK TABLE partners IN ACCESS EXCLUSIVE MODE");
        var strangers = Enumerable.Range(0, 40)
            .Select(i => Task.Run(() => partner.PostFormAsync("/v2/signature", NonceRequest($"stranger-{i}", partner.Now)), Ct))
            .ToArray();
        await WaitForWaitingSessionsAsync(blocker, transaction, atLeast: 2);

        using var giveUp = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        giveUp.CancelAfter(GiveUpAfter);
        var known = partner.CallAsync("getfeatures", new()
        {
            ["userid"] = partner.UserId.ToString(CultureInfo.InvariantCulture),
            ["model"] = "17",
        });
        var answeredWhileLocked = await Task.WhenAny(known, Task.Delay(Timeout.Infinite, giveUp.Token)) == known;
        var waitingSessions = CountWaitingSessions(blocker, transaction);

        transaction.Rollback();
        Assert.True(answeredWhileLocked, "The known partner's call did not get through while unknown client ids were being looked up.");
        Assert.Equal(0, (await known).Status);
        Assert.InRange(waitingSessions, 1, 2);
        Assert.All(await Task.WhenAll(strangers), a => Assert.True(a.Status is 100 or 601, $"status {a.Status}"));
    }

    private static long CountWaitingSessions(System.Data.Common.DbConnection connection, System.Data.Common.DbTransaction transaction)
    {
        // Within a transaction PostgreSQL keeps the first snapshot of pg_stat_activity unless told to take a new one.
        using (var clear = connection.CreateCommand())
        {
            clear.Transaction = transaction;
            clear.CommandText = "SELECT pg_stat_clear_snapshot()";
            clear.ExecuteNonQuery();
        }

        using var query = connection.CreateCommand();
        query.Transaction = transaction;
        query.CommandText = """
            SELECT COUNT(*) FROM pg_stat_activity
            WHERE datname = current_database() AND pid <> pg_backend_pid() AND wait_event_type = 'Lock'
            """;
        return Convert.ToInt64(query.ExecuteScalar(), CultureInfo.InvariantCulture);
    }

    private static async Task WaitForWaitingSessionsAsync(System.Data.Common.DbConnection connection, System.Data.Common.DbTransaction transaction, int atLeast)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        timeout.CancelAfter(TimeSpan.FromSeconds(30));
        while (CountWaitingSessions(connection, transaction) < atLeast)
        {
            // A condition polled, not a timing assumed.
            await Task.Delay(10, timeout.Token);
        }
    }
}
