using System.Net.Http.Json;
using System.Text.Json;
using DeviceFeatures.Server.RateLimiting;
using DeviceFeatures.Server.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace DeviceFeatures.Server.Tests.Storage;

/// <summary>What the database keeps across restarts of the server, on each provider.</summary>
public abstract class PersistenceTests : OwnServerTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static long MigrationCount(TestDatabase database) =>
        DeviceFeatures.Server.Storage.Migrations.Load(database.Provider == "postgres" ? "Postgres" : "Sqlite").Count;

    [Fact]
    public async Task State_SurvivesARestartOnTheSameDatabase()
    {
        using var database = NewDatabase();
        var time = ServerFactory.NewClock();
        string clientId, secret, nonce;
        int userId;

        using (var first = new ServerFactory(database, time))
        {
            var partner = await first.CreatePartnerAsync();
            (clientId, secret, userId) = (partner.ClientId, partner.ClientSecret, partner.UserId);
            Assert.Equal(0, (await partner.EnableAsync("feature_eyes_closed_mode")).Status);
            Assert.Equal(0, (await partner.DisableAsync("feature_fat_mass")).Status);
            nonce = await partner.GetNonceAsync();
            await partner.PostFormAsync("/v2/device", await partner.SignedAsync("enablefeature", TestPartner.Feature(userId, 17, "feature_pwv"), nonce));
        }

        using var second = new ServerFactory(database, time);
        var again = new TestPartner(second, clientId, secret, userId);
        Assert.Equal(new Dictionary<string, bool>
        {
            ["feature_eyes_closed_mode"] = true,
            ["feature_fat_mass"] = false,
            ["feature_pwv"] = true,
        }, await again.GetFeaturesAsync());

        // The nonce key and the record of used nonces live in the database too.
        var replay = await again.PostFormAsync("/v2/device",
            await again.SignedAsync("enablefeature", TestPartner.Feature(userId, 17, "feature_pwv"), nonce));
        Assert.Equal(401, replay.Status);
        Assert.Equal(5, Sql.Scalar(second, "SELECT COUNT(*) FROM audit_events"));
    }

    [Fact]
    public async Task NonceIssuedBeforeARestart_IsAcceptedAfterIt()
    {
        using var database = NewDatabase();
        var (second, again, partner, nonce) = await NonceFromTheInstanceBeforeAsync(database);
        using var _ = second;
        Assert.Equal(0, (await again.PostFormAsync("/v2/device",
            await again.SignedAsync("enablefeature", TestPartner.Feature(partner.UserId, 17, "feature_pwv"), nonce))).Status);
    }

    [Fact]
    public async Task ChangingTheNonceLifetime_RetiresOutstandingNonces()
    {
        // A used nonce's record is swept once it expires; were a longer lifetime to revive old nonces, they could be replayed.
        using var database = NewDatabase();
        var (second, again, partner, nonce) = await NonceFromTheInstanceBeforeAsync(database, ("Signature:NonceLifetimeSeconds", "3600"));
        using var _ = second;
        var answer = await again.PostFormAsync("/v2/device",
            await again.SignedAsync("enablefeature", TestPartner.Feature(partner.UserId, 17, "feature_pwv"), nonce));
        Assert.Equal(200, answer.Status);

        var fresh = await again.PostFormAsync("/v2/device",
            await again.SignedAsync("enablefeature", TestPartner.Feature(partner.UserId, 17, "feature_pwv")));
        Assert.Equal(0, fresh.Status);
    }

    [Fact]
    public async Task SecretRotatedThroughAnotherInstance_WorksHereWithinASecond()
    {
        using var database = NewDatabase();
        var time = ServerFactory.NewClock();
        using var a = new ServerFactory(database, time);
        using var b = new ServerFactory(database, time);
        var partner = await a.CreatePartnerAsync();
        var atB = new TestPartner(b, partner.ClientId, partner.ClientSecret, partner.UserId);
        Assert.Equal(0, (await atB.GetNonceAnswerAsync()).Status);

        using var admin = a.CreateAdminClient();
        using var rotated = await admin.PostAsJsonAsync($"/admin/api/partners/{partner.ClientId}/rotate-secret", new { overlap_seconds = 0 }, Ct);
        var secret = (await rotated.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("client_secret").GetString()!;

        // B still holds the partner as it was. A refused signature makes it read the partner again, but not more than
        // once a second, so that refused requests cannot each cost a database read.
        var renewedAtB = new TestPartner(b, partner.ClientId, secret, partner.UserId);
        Assert.Equal(101, (await renewedAtB.GetNonceAnswerAsync()).Status);
        time.Advance(DeviceFeatures.Server.Partners.PartnerDirectory.RereadAfter);
        Assert.Equal(0, (await renewedAtB.GetNonceAnswerAsync()).Status);
        Assert.Equal(0, (await renewedAtB.EnableAsync("feature_pwv")).Status);
        Assert.Equal(101, (await atB.GetNonceAnswerAsync()).Status);
    }

    [Fact]
    public async Task SecretsStoredInClearByAnEarlierVersion_AreEncryptedAtStart_AndStillWork()
    {
        using var database = NewDatabase();
        var time = ServerFactory.NewClock();
        TestPartner partner;
        using (var first = new ServerFactory(database, time))
        {
            partner = await first.CreatePartnerAsync();
        }

        Sql.Execute(database, $"UPDATE partners SET client_secret = 'a-secret-in-clear' WHERE client_id = '{partner.ClientId}'");
        using var second = new ServerFactory(database, time);
        var again = new TestPartner(second, partner.ClientId, "a-secret-in-clear", partner.UserId);
        Assert.Equal(0, (await again.EnableAsync("feature_pwv")).Status);
        Assert.StartsWith("v1:", Sql.Text(second, $"SELECT client_secret FROM partners WHERE client_id = '{partner.ClientId}'"));
    }

    [Fact]
    public async Task AKeyThatDoesNotOpenTheStoredSecrets_StopsTheStart()
    {
        using var database = NewDatabase();
        var time = ServerFactory.NewClock();
        using (var first = new ServerFactory(database, time))
        {
            first.Settings["Secrets:Key"] = Convert.ToBase64String(new byte[32]);
            await first.CreatePartnerAsync();
        }

        using var second = new ServerFactory(database, time);
        second.Settings["Secrets:Key"] = Convert.ToBase64String(Enumerable.Repeat((byte)7, 32).ToArray());
        var ex = Assert.ThrowsAny<Exception>(() => second.Server);
        Assert.Contains("does not decrypt the partners' stored secrets", ex.ToString());
    }

    [Fact]
    public async Task SharedRateWindow_OnlyMovesForward()
    {
        using var server = NewServer();
        _ = server.Server;
        var store = server.Services.GetRequiredService<DeviceFeatures.Server.Storage.IFeatureStore>();
        async Task<int> CountAsync(long window) => await store.WriteAsync(s => s.CountRequestAsync("p", window), Ct);

        Assert.Equal(1, await CountAsync(120_000));
        Assert.Equal(2, await CountAsync(60_000));
        Assert.Equal(3, await CountAsync(120_000));
        Assert.Equal(1, await CountAsync(180_000));
    }

    [Fact]
    public void Database_HasEveryMigrationRecorded()
    {
        using var server = NewServer();
        _ = server.Server;
        Assert.Equal(1, Sql.Scalar(server, "SELECT COUNT(*) FROM schema_migrations WHERE version = 1"));
    }

    [Fact]
    public async Task InventoryMigration_PutsDevicesLinkedBeforeIt_InTheInventory_AssignedToTheirUsersPartner()
    {
        using var database = NewDatabase();
        var time = ServerFactory.NewClock();
        TestPartner partner;
        using (var first = new ServerFactory(database, time))
        {
            partner = await first.CreatePartnerAsync();
        }

        // The database as it was before migration 0003, with its users and devices.
        Sql.Execute(database, "DROP TABLE device_inventory");
        Sql.Execute(database, "DELETE FROM schema_migrations WHERE version = 3");

        using var second = new ServerFactory(database, time);
        _ = second.Server;
        Assert.Equal(2, Sql.Scalar(second, $"SELECT COUNT(*) FROM device_inventory WHERE client_id = '{partner.ClientId}'"));
        Assert.Equal(0, Sql.Scalar(second, "SELECT COUNT(*) FROM devices d WHERE NOT EXISTS (SELECT 1 FROM device_inventory i WHERE i.mac_address = d.mac_address)"));
    }

    [Fact]
    public async Task Restart_DoesNotReapplyMigrations()
    {
        using var database = NewDatabase();
        var time = ServerFactory.NewClock();
        using (var first = new ServerFactory(database, time))
        {
            await first.CreatePartnerAsync();
        }

        using var second = new ServerFactory(database, time);
        _ = second.Server;
        Assert.Equal(MigrationCount(database), Sql.Scalar(second, "SELECT COUNT(*) FROM schema_migrations"));
        Assert.Equal(1, Sql.Scalar(second, "SELECT COUNT(*) FROM partners"));
    }

    [Fact]
    public async Task InstancesStartingTogether_ApplyEachMigrationOnce_AndShareOneNonceKey()
    {
        using var database = NewDatabase();
        var time = ServerFactory.NewClock();
        var servers = Enumerable.Range(0, 4).Select(_ => new ServerFactory(database, time)).ToArray();
        try
        {
            // Each start migrates and loads the nonce key; run them on separate threads at once.
            await Task.WhenAll(servers.Select(s => Task.Run(() => s.Server, TestContext.Current.CancellationToken)));

            Assert.Equal(MigrationCount(database), Sql.Scalar(database, "SELECT COUNT(*) FROM schema_migrations"));
            Assert.Equal(1, Sql.Scalar(database, "SELECT COUNT(*) FROM server_keys"));

            // A nonce from one instance is accepted by each other one (once).
            var partner = await servers[0].CreatePartnerAsync();
            foreach (var other in servers.Skip(1))
            {
                var nonce = await partner.GetNonceAsync();
                var there = new TestPartner(other, partner.ClientId, partner.ClientSecret, partner.UserId);
                Assert.Equal(0, (await there.PostFormAsync("/v2/device",
                    await there.SignedAsync("enablefeature", TestPartner.Feature(partner.UserId, 17, "feature_pwv"), nonce))).Status);
            }
        }
        finally
        {
            foreach (var server in servers)
            {
                server.Dispose();
            }
        }
    }

    /// <summary>A partner and a nonce from one instance, then the same database served by a second one (returned, with the partner as it sees it).</summary>
    private static async Task<(ServerFactory Second, TestPartner Again, TestPartner Partner, string Nonce)> NonceFromTheInstanceBeforeAsync(
        TestDatabase database, params (string Key, string Value)[] secondSettings)
    {
        var time = ServerFactory.NewClock();
        TestPartner partner;
        string nonce;
        using (var first = new ServerFactory(database, time))
        {
            partner = await first.CreatePartnerAsync();
            nonce = await partner.GetNonceAsync();
        }

        var second = new ServerFactory(database, time);
        foreach (var (key, value) in secondSettings)
        {
            second.Settings[key] = value;
        }

        return (second, new TestPartner(second, partner.ClientId, partner.ClientSecret, partner.UserId), partner, nonce);
    }
}

public sealed class PersistenceTestsOnSqlite : PersistenceTests
{
    protected override TestDatabase NewDatabase() => new SqliteTestDatabase();

    [Fact]
    public void Database_IsInWalMode()
    {
        using var server = NewServer();
        _ = server.Server;
        using var connection = server.Database.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA journal_mode";
        Assert.Equal("wal", command.ExecuteScalar());
    }
}

[NeedsPostgres]
public sealed class PersistenceTestsOnPostgres : PersistenceTests
{
    public PersistenceTestsOnPostgres() => PostgresTestDatabase.SkipUnlessConfigured();

    protected override TestDatabase NewDatabase() => new PostgresTestDatabase();

    [Fact]
    public async Task InstanceWithARoleThatOnlyReadsAndWrites_StartsOnAMigratedDatabase()
    {
        var role = "df_test_role_" + Guid.NewGuid().ToString("n");
        try
        {
            using var database = NewDatabase();
            var time = ServerFactory.NewClock();
            TestPartner partner;
            using (var owner = new ServerFactory(database, time))
            {
                partner = await owner.CreatePartnerAsync();
            }

            Execute(database, $"CREATE ROLE {role} LOGIN");
            Execute(database, $"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {role}");
            Execute(database, $"GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO {role}");

            using var restricted = new ServerFactory(database, time);
            restricted.Settings["Storage:ConnectionString"] =
                new Npgsql.NpgsqlConnectionStringBuilder(database.ConnectionString) { Username = role }.ConnectionString;
            var again = new TestPartner(restricted, partner.ClientId, partner.ClientSecret, partner.UserId);
            Assert.Equal(0, (await again.EnableAsync("feature_pwv")).Status);
            Assert.NotEqual(0, await restricted.CreateUserAsync(partner.ClientId));
        }
        finally
        {
            // Roles belong to the whole server; the database (and the role's grants in it) is gone by now.
            using var server = new Npgsql.NpgsqlConnection(System.Environment.GetEnvironmentVariable(PostgresTestDatabase.Variable));
            server.Open();
            using var drop = server.CreateCommand();
            drop.CommandText = $"DROP ROLE IF EXISTS {role}";
            drop.ExecuteNonQuery();
        }
    }

    private static void Execute(TestDatabase database, string sql)
    {
        using var connection = database.Open();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }
}
