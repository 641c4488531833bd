using DeviceFeatures.Server.Tests.Infrastructure;
using Microsoft.Extensions.Time.Testing;

namespace DeviceFeatures.Server.Tests.Storage;

public sealed class PersistenceTests
{
    [Fact]
    public async Task State_SurvivesARestartOnTheSameFile()
    {
        var path = ServerFactory.NewDatabasePath();
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 11, 24, 9, 0, 0, TimeSpan.Zero));
        string clientId, secret, nonce;
        int userId;

        using (var first = new ServerFactory(path, time))
        {
            var partner = await first.CreatePartnerAsync();
            (clientId, secret, userId) = (partner.ClientId, partner.ClientSecret, partner.UserId);
            Assert.Equal(0, (await partner.EnableAsync("feature_eyes_closed_mode")).Status);
            Assert.Equal(0, (await partner.DisableAsync("feature_fat_mass")).Status);
            nonce = await partner.GetNonceAsync();
            await partner.PostFormAsync("/v2/device", await partner.SignedAsync("enablefeature", TestPartner.Feature(userId, 17, "feature_pwv"), nonce));
        }

        using var second = new ServerFactory(path, time);
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
        var path = ServerFactory.NewDatabasePath();
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 11, 24, 9, 0, 0, TimeSpan.Zero));
        TestPartner partner;
        string nonce;
        using (var first = new ServerFactory(path, time))
        {
            partner = await first.CreatePartnerAsync();
            nonce = await partner.GetNonceAsync();
        }

        using var second = new ServerFactory(path, time);
        var again = new TestPartner(second, partner.ClientId, partner.ClientSecret, partner.UserId);
        Assert.Equal(0, (await again.PostFormAsync("/v2/device",
            await again.SignedAsync("enablefeature", TestPartner.Feature(partner.UserId, 17, "feature_pwv"), nonce))).Status);
    }

    [Fact]
    public async Task ChangingTheNonceLifetime_RetiresOutstandingNonces()
    {
        var path = ServerFactory.NewDatabasePath();
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 11, 24, 9, 0, 0, TimeSpan.Zero));
        TestPartner partner;
        string nonce;
        using (var first = new ServerFactory(path, time))
        {
            partner = await first.CreatePartnerAsync();
            nonce = await partner.GetNonceAsync();
        }

        // A used nonce's record is swept once it expires; were a longer lifetime to revive old nonces, they could be replayed.
        using var second = new ServerFactory(path, time);
        second.Settings["Signature:NonceLifetimeSeconds"] = "3600";
        var again = new TestPartner(second, partner.ClientId, partner.ClientSecret, partner.UserId);
        var answer = await again.PostFormAsync("/v2/device",
            await again.SignedAsync("enablefeature", TestPartner.Feature(partner.UserId, 17, "feature_pwv"), nonce));
        Assert.Equal(200, answer.Status);

        var fresh = await again.PostFormAsync("/v2/device",
            await again.SignedAsync("enablefeature", TestPartner.Feature(partner.UserId, 17, "feature_pwv")));
        Assert.Equal(0, fresh.Status);
    }

    [Fact]
    public void Database_IsInWalModeWithAllMigrationsRecorded()
    {
        using var server = new ServerFactory();
        _ = server.Server;
        Assert.Equal(1, Sql.Scalar(server, "SELECT COUNT(*) FROM schema_migrations WHERE version = 1"));
        using var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={server.DatabasePath};Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA journal_mode";
        Assert.Equal("wal", command.ExecuteScalar());
    }

    [Fact]
    public async Task Restart_DoesNotReapplyMigrations()
    {
        var path = ServerFactory.NewDatabasePath();
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 11, 24, 9, 0, 0, TimeSpan.Zero));
        using (var first = new ServerFactory(path, time))
        {
            await first.CreatePartnerAsync();
        }

        using var second = new ServerFactory(path, time);
        _ = second.Server;
        Assert.Equal(1, Sql.Scalar(second, "SELECT COUNT(*) FROM schema_migrations"));
        Assert.Equal(1, Sql.Scalar(second, "SELECT COUNT(*) FROM partners"));
    }
}
