using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using DeviceFeatures.Server.Tests.Infrastructure;

namespace DeviceFeatures.Server.Tests.Storage;

/// <summary>
/// When PostgreSQL goes away, the wire API answers 522 (Timeout) at once, keeps nothing of the interrupted change,
/// and works again as soon as the database is back, without a restart of the server.
/// </summary>
[NeedsPostgres]
public sealed class PostgresOutageTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public PostgresOutageTests() => PostgresTestDatabase.SkipUnlessConfigured();

    [Fact]
    public async Task ConnectionDroppedMidRequest_Answers522_LeavesNothingHalfWritten_AndTheSameCallSucceedsAfter()
    {
        using var server = new PostgresServer();
        var partner = await server.CreatePartnerAsync();
        Assert.Equal(0, (await partner.EnableAsync("feature_pwv")).Status);
        var before = Sql.Snapshot(server);
        var usedNonces = Sql.Scalar(server, "SELECT COUNT(*) FROM used_nonces");
        var signed = await partner.SignedAsync("disablefeature", TestPartner.Feature(partner.UserId, 17, "feature_pwv"));

        // Hold the choices table so that the call stops half-way: its nonce recorded, its choice not yet written.
        using var blocker = server.Database.Open();
        using var transaction = blocker.BeginTransaction();
        PostgresLocks.Execute(blocker, "LOCK TABLE choices IN EXCLUSIVE MODE");
        var call = partner.PostFormAsync("/v2/device", signed);
        var pid = await PostgresLocks.WaitForSessionWaitingOnALockAsync(blocker, call);
        PostgresLocks.Execute(blocker, $"SELECT pg_terminate_backend({pid})");

        var answer = await call;
        Assert.Equal(522, answer.Status);
        Assert.StartsWith("Timeout:", answer.Error);
        transaction.Rollback();

        Assert.Equal(before, Sql.Snapshot(server));
        Assert.Equal(usedNonces, Sql.Scalar(server, "SELECT COUNT(*) FROM used_nonces"));

        // Not even the nonce was kept, so the very same call now goes through.
        Assert.Equal(0, (await partner.PostFormAsync("/v2/device", signed)).Status);
        Assert.False((await partner.GetFeaturesAsync())["feature_pwv"]);
    }

    [Fact]
    public async Task DatabaseStoppedThenStarted_Answers522Meanwhile_AndRecoversWithoutARestart()
    {
        using var cluster = PrivateCluster.Create();

        // Short timeouts: a test that waits for the database must not hang when something is wrong.
        using var database = new PostgresTestDatabase(cluster.ConnectionString) { ConnectionSettings = "Timeout=3;Command Timeout=5" };
        using var server = new ServerFactory(database, ServerFactory.NewClock());
        var partner = await server.CreatePartnerAsync();
        Assert.Equal(0, (await partner.EnableAsync("feature_pwv")).Status);
        var pending = await partner.SignedAsync("disablefeature", TestPartner.Feature(partner.UserId, 17, "feature_pwv"));

        // Several connections in the pool: each one dies with the server, and none may fail a call after the restart.
        await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(() => partner.GetFeaturesAsync(), Ct)));

        cluster.Stop();
        var during = await partner.PostFormAsync("/v2/device", pending);
        Assert.Equal(522, during.Status);
        Assert.Contains("nothing was changed", during.Error);

        // A partner read in the last few seconds is still known without the database; past that, getnonce needs it.
        server.Time.Advance(DeviceFeatures.Server.Partners.PartnerDirectory.CacheFor + TimeSpan.FromSeconds(1));
        Assert.Equal(522, (await partner.GetNonceAnswerAsync()).Status);
        using var admin = server.CreateAdminClient();
        using (var response = await admin.GetAsync("/admin/api/partners", Ct))
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
            Assert.Equal("database_unavailable", (await response.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("code").GetString());
        }

        cluster.Start();

        // The refused call wrote nothing, so it is still good; and every call after it works.
        Assert.Equal(0, (await partner.PostFormAsync("/v2/device", pending)).Status);
        for (var i = 0; i < 8; i++)
        {
            Assert.Equal(0, (await partner.EnableAsync("feature_eyes_closed_mode")).Status);
        }

        Assert.Equal(new Dictionary<string, bool> { ["feature_eyes_closed_mode"] = true, ["feature_pwv"] = false }, await partner.GetFeaturesAsync());
        Assert.Equal(HttpStatusCode.OK, (await admin.GetAsync("/admin/api/partners", Ct)).StatusCode);
    }

    [Fact]
    public async Task DatabaseRestartedWhileIdle_AtMostTheFirstCallAfterItFails()
    {
        using var cluster = PrivateCluster.Create();
        using var database = new PostgresTestDatabase(cluster.ConnectionString) { ConnectionSettings = "Timeout=3;Command Timeout=5" };
        using var server = new ServerFactory(database, ServerFactory.NewClock());
        var partner = await server.CreatePartnerAsync();
        await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(() => partner.GetFeaturesAsync(), Ct)));

        cluster.Stop();
        cluster.Start();

        // Every pooled connection died with the server. The first call to meet one answers 522; the pool's other dead
        // connections are dropped with it, so no later call fails.
        var statuses = new List<int>();
        for (var i = 0; i < 10; i++)
        {
            statuses.Add((await partner.GetNonceAnswerAsync()).Status);
        }

        Assert.All(statuses.Skip(1), s => Assert.Equal(0, s));
        Assert.True(statuses[0] is 0 or 522, $"first call after the restart: {statuses[0]}");
    }
}
