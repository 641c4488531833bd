using DeviceFeatures.Server.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace DeviceFeatures.Server.Tests.Signature;

public abstract class NonceTests(ServerFactory server)
{
    [Fact]
    public async Task EnableFeature_WithReusedNonce_IsRejected()
    {
        var partner = await server.CreatePartnerAsync();
        var signed = await partner.SignedAsync("enablefeature", TestPartner.Feature(partner.UserId, 17, "feature_pwv"));
        Assert.Equal(0, (await partner.PostFormAsync("/v2/device", signed)).Status);

        var replay = await partner.PostFormAsync("/v2/device", signed);
        Assert.Equal(401, replay.Status);
        Assert.Contains("already been used", replay.Error);
    }

    [Fact]
    public async Task BadSignature_DoesNotSpendTheNonce()
    {
        var partner = await server.CreatePartnerAsync();
        var signed = await partner.SignedAsync("enablefeature", TestPartner.Feature(partner.UserId, 17, "feature_pwv"));
        var forged = new Dictionary<string, string>(signed) { ["signature"] = new string('0', 64) };

        var refused = await partner.PostFormAsync("/v2/device", forged);
        Assert.Equal(101, refused.Status);

        Assert.Equal(0, (await partner.PostFormAsync("/v2/device", signed)).Status);
    }

    [Fact]
    public async Task SignatureOverAnotherAction_IsRejectedWithoutSpendingTheNonce()
    {
        var partner = await server.CreatePartnerAsync();
        var signed = await partner.SignedAsync("disablefeature", TestPartner.Feature(partner.UserId, 17, "feature_pwv"));
        var switched = new Dictionary<string, string>(signed) { ["action"] = "enablefeature" };
        Assert.Equal(101, (await partner.PostFormAsync("/v2/device", switched)).Status);
        Assert.Equal(0, (await partner.PostFormAsync("/v2/device", signed)).Status);
    }

    [Fact]
    public async Task GoodSignature_RefusedForItsParameters_StillSpendsTheNonce()
    {
        var partner = await server.CreatePartnerAsync();
        var nonce = await partner.GetNonceAsync();
        var bad = await partner.SignedAsync("enablefeature", TestPartner.Feature(partner.UserId, 17, "feature_unknown"), nonce);
        Assert.Equal(504, (await partner.PostFormAsync("/v2/device", bad)).Status);

        var retry = await partner.SignedAsync("enablefeature", TestPartner.Feature(partner.UserId, 17, "feature_pwv"), nonce);
        Assert.Equal(401, (await partner.PostFormAsync("/v2/device", retry)).Status);
    }

    [Fact]
    public async Task NonceOfAnotherClient_IsRefusedAsSuch()
    {
        var partner = await server.CreatePartnerAsync();
        var other = await server.CreatePartnerAsync();
        var othersNonce = await other.GetNonceAsync();

        var answer = await partner.PostFormAsync("/v2/device",
            await partner.SignedAsync("enablefeature", TestPartner.Feature(partner.UserId, 17, "feature_pwv"), othersNonce));
        Assert.Equal(200, answer.Status);
        Assert.Contains("issued to another client_id", answer.Error);

        // The owner can still use it.
        Assert.Equal(0, (await other.PostFormAsync("/v2/device",
            await other.SignedAsync("enablefeature", TestPartner.Feature(other.UserId, 17, "feature_pwv"), othersNonce))).Status);
    }

    [Theory]
    [InlineData("0123456789abcdef0123456789abcdef01234567")] // right shape, not ours
    [InlineData("not-a-nonce")]
    [InlineData("0123456789ABCDEF")]
    public async Task UnknownNonce_IsRefusedAsSuch(string nonce)
    {
        var partner = await server.CreatePartnerAsync();
        var answer = await partner.PostFormAsync("/v2/device",
            await partner.SignedAsync("enablefeature", TestPartner.Feature(partner.UserId, 17, "feature_pwv"), nonce));
        Assert.Equal(200, answer.Status);
        Assert.Contains("unknown nonce", answer.Error);
    }

    [Fact]
    public async Task TamperedNonce_IsUnknown()
    {
        var partner = await server.CreatePartnerAsync();
        var nonce = await partner.GetNonceAsync();
        var tampered = (nonce[0] == '0' ? "1" : "0") + nonce[1..];
        var answer = await partner.PostFormAsync("/v2/device",
            await partner.SignedAsync("enablefeature", TestPartner.Feature(partner.UserId, 17, "feature_pwv"), tampered));
        Assert.Equal(200, answer.Status);
    }

    [Fact]
    public async Task ConcurrentRequestsWithOneNonce_ExactlyOneIsAccepted()
    {
        var partner = await server.CreatePartnerAsync();
        var signed = await partner.SignedAsync("disablefeature", TestPartner.Feature(partner.UserId, 17, "feature_fat_mass"));

        var answers = await Task.WhenAll(Enumerable.Range(0, 24).Select(_ => Task.Run(() => partner.PostFormAsync("/v2/device", signed))));

        Assert.Single(answers, a => a.Status == 0);
        Assert.All(answers.Where(a => a.Status != 0), a => Assert.Equal(401, a.Status));
    }

    [Fact]
    public async Task GetNonce_IssuesWithoutWriting_TheNonceIsRecordedOnlyWhenUsed()
    {
        var partner = await server.CreatePartnerAsync();
        for (var i = 0; i < 5; i++)
        {
            await partner.GetNonceAsync();
        }

        var before = UsedNonces.Count(server);
        await partner.EnableAsync("feature_pwv");
        Assert.Equal(before + 1, UsedNonces.Count(server));
    }
}

public sealed class NonceTestsOnSqlite(SqliteServer server) : NonceTests(server), IClassFixture<SqliteServer>;

[NeedsPostgres]
public sealed class NonceTestsOnPostgres(PostgresServer server) : NonceTests(server.OrSkip()), IClassFixture<PostgresServer>;

internal static class UsedNonces
{
    public static long Count(ServerFactory server) => Sql.Scalar(server, "SELECT COUNT(*) FROM used_nonces");
}

/// <summary>Expiry moves the shared clock, so it runs on a server of its own.</summary>
public abstract class NonceExpiryTests : OwnServerTests
{
    [Fact]
    public async Task Nonce_UsedWithinThirtyMinutes_IsAccepted_AndAfterIt_IsExpired()
    {
        using var server = NewServer();
        var partner = await server.CreatePartnerAsync();
        var fresh = await partner.GetNonceAsync();
        var stale = await partner.GetNonceAsync();

        server.Time.Advance(TimeSpan.FromMinutes(29) + TimeSpan.FromSeconds(59));
        Assert.Equal(0, (await partner.PostFormAsync("/v2/device",
            await partner.SignedAsync("enablefeature", TestPartner.Feature(partner.UserId, 17, "feature_pwv"), fresh))).Status);

        server.Time.Advance(TimeSpan.FromSeconds(1));
        var expired = await partner.PostFormAsync("/v2/device",
            await partner.SignedAsync("enablefeature", TestPartner.Feature(partner.UserId, 17, "feature_pwv"), stale));
        Assert.Equal(401, expired.Status);
        Assert.Contains("expired at 2026-11-24T09:30:00Z; nonces are valid for 30 minutes", expired.Error);
    }

    [Fact]
    public async Task ExpiredNonceRecords_AreSweptAway()
    {
        using var server = NewServer();
        var partner = await server.CreatePartnerAsync();
        await partner.EnableAsync("feature_pwv");

        Assert.Equal(1, UsedNonces.Count(server));

        // The janitor's own timer may fire on the clock's advance too; either way the record must be gone.
        server.Time.Advance(TimeSpan.FromMinutes(31));
        var janitor = server.Services.GetServices<Microsoft.Extensions.Hosting.IHostedService>()
            .OfType<DeviceFeatures.Server.Signature.NonceJanitor>().Single();
        await janitor.SweepAsync(TestContext.Current.CancellationToken);
        Assert.Equal(0, UsedNonces.Count(server));
    }
}

public sealed class NonceExpiryTestsOnSqlite : NonceExpiryTests
{
    protected override TestDatabase NewDatabase() => new SqliteTestDatabase();
}

[NeedsPostgres]
public sealed class NonceExpiryTestsOnPostgres : NonceExpiryTests
{
    public NonceExpiryTestsOnPostgres() => PostgresTestDatabase.SkipUnlessConfigured();

    protected override TestDatabase NewDatabase() => new PostgresTestDatabase();
}
