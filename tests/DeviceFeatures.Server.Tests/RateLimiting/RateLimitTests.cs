using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using DeviceFeatures.Server.Tests.Infrastructure;

namespace DeviceFeatures.Server.Tests.RateLimiting;

/// <summary>Partners' quotas: 601 in the Withings dialect, per partner, exact under concurrency and across instances.</summary>
public abstract class RateLimitTests : OwnServerTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private ServerFactory LimitedServer(TestDatabase? database = null)
    {
        var server = database is null ? NewServer() : new ServerFactory(database, ServerFactory.NewClock());
        server.Settings["RateLimit:Enabled"] = "true";
        return server;
    }

    private static async Task SetQuotaAsync(ServerFactory server, string clientId, int perMinute)
    {
        using var admin = server.CreateAdminClient();
        using var response = await admin.PutAsJsonAsync($"/admin/api/partners/{clientId}/rate-limit", new { requests_per_minute = perMinute }, Ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(perMinute, (await response.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("requests_per_minute").GetInt32());
    }

    [Fact]
    public async Task OverTheQuota_Is601WithWaitSeconds_UntilTheNextMinute()
    {
        using var server = LimitedServer();
        server.Time.SetUtcNow(new DateTimeOffset(2026, 11, 24, 9, 0, 15, TimeSpan.Zero));
        var partner = await server.CreatePartnerAsync();
        await SetQuotaAsync(server, partner.ClientId, 5);

        for (var i = 0; i < 5; i++)
        {
            Assert.Equal(0, (await CountedCallAsync(partner)).Status);
        }

        var limited = await CountedCallAsync(partner);
        Assert.Equal(601, limited.Status);
        Assert.Equal(45, limited.Body.GetProperty("wait_seconds").GetInt32());
        Assert.StartsWith("Too many request", limited.Error);

        server.Time.Advance(TimeSpan.FromSeconds(45));
        Assert.Equal(0, (await CountedCallAsync(partner)).Status);
    }

    [Fact]
    public async Task DeviceCallsCount_AndA601LeavesTheNonceUnspent()
    {
        using var server = LimitedServer();
        var partner = await server.CreatePartnerAsync();
        await SetQuotaAsync(server, partner.ClientId, 1);

        var signed = await partner.SignedAsync("enablefeature", TestPartner.Feature(partner.UserId, 17, "feature_pwv"));
        Assert.Equal(0, (await partner.PostFormAsync("/v2/device", await partner.SignedAsync("disablefeature",
            TestPartner.Feature(partner.UserId, 17, "feature_pacemaker"), await NonceOutsideTheQuotaAsync(server, partner, 1)))).Status);
        var refused = await partner.PostFormAsync("/v2/device", signed);
        Assert.Equal(601, refused.Status);

        // The same signed request, sent again once the window has passed, is accepted: the 601 spent nothing.
        server.Time.Advance(TimeSpan.FromMinutes(1));
        Assert.Equal(0, (await partner.PostFormAsync("/v2/device", signed)).Status);
    }

    [Fact]
    public async Task ConcurrentRequests_NeverExceedTheQuota()
    {
        using var server = LimitedServer();
        var partner = await server.CreatePartnerAsync();
        await SetQuotaAsync(server, partner.ClientId, 20);

        var calls = await SignedCountedCallsAsync(partner, 60);
        var answers = await Task.WhenAll(calls.Select(call => Task.Run(() => partner.PostFormAsync("/v2/device", call), Ct)));
        Assert.Equal(20, answers.Count(a => a.Status == 0));
        Assert.Equal(40, answers.Count(a => a.Status == 601));
    }

    [Fact]
    public async Task Quotas_ArePerPartner_ZeroIsUnlimited_AndDeleteRestoresTheDefault()
    {
        using var server = LimitedServer();
        server.Settings["RateLimit:DefaultRequestsPerMinute"] = "3";
        var limited = await server.CreatePartnerAsync();
        var unlimited = await server.CreatePartnerAsync();
        await SetQuotaAsync(server, unlimited.ClientId, 0);

        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(0, (await CountedCallAsync(limited)).Status);
        }

        Assert.Equal(601, (await CountedCallAsync(limited)).Status);
        for (var i = 0; i < 10; i++)
        {
            Assert.Equal(0, (await CountedCallAsync(unlimited)).Status);
        }

        using var admin = server.CreateAdminClient();
        using var reset = await admin.DeleteAsync($"/admin/api/partners/{unlimited.ClientId}/rate-limit", Ct);
        var partner = await reset.Content.ReadFromJsonAsync<JsonElement>(Ct);
        Assert.Equal(3, partner.GetProperty("requests_per_minute").GetInt32());
        Assert.True(partner.GetProperty("default_rate_limit").GetBoolean());

        // Requests made while unlimited were not counted: the default quota starts from there.
        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(0, (await CountedCallAsync(unlimited)).Status);
        }

        Assert.Equal(601, (await CountedCallAsync(unlimited)).Status);
    }

    [Fact]
    public async Task SettingTheSameQuotaTwice_IsAuditedOnce()
    {
        using var server = LimitedServer();
        var partner = await server.CreatePartnerAsync();
        await SetQuotaAsync(server, partner.ClientId, 7);
        await SetQuotaAsync(server, partner.ClientId, 7);
        Assert.Equal(1, Sql.Scalar(server, $"SELECT COUNT(*) FROM audit_events WHERE kind = 'partner.rate_limit_changed' AND client_id = '{partner.ClientId}'"));
    }

    [Fact]
    public async Task ASuspendedPartner_Gets214_AndUsesNoQuota()
    {
        using var server = LimitedServer();
        var partner = await server.CreatePartnerAsync();
        var first = await partner.SignedAsync("enablefeature", TestPartner.Feature(partner.UserId, 17, "feature_pwv"), await NonceOutsideTheQuotaAsync(server, partner, 1));
        var second = await partner.SignedAsync("enablefeature", TestPartner.Feature(partner.UserId, 17, "feature_pwv"), await NonceOutsideTheQuotaAsync(server, partner, 1));
        using (var admin = server.CreateAdminClient())
        {
            (await admin.PostAsync($"/admin/api/partners/{partner.ClientId}/suspend", null, Ct)).EnsureSuccessStatusCode();
        }

        // With a quota of one, the second would be 601 had the first been counted.
        Assert.Equal(214, (await partner.PostFormAsync("/v2/device", first)).Status);
        Assert.Equal(214, (await partner.PostFormAsync("/v2/device", second)).Status);
    }

    [Theory]
    [InlineData("{}")]
    [InlineData("""{"requests_per_minute":-1}""")]
    public async Task SettingAQuota_NeedsANumberFromZero(string body)
    {
        using var server = LimitedServer();
        var partner = await server.CreatePartnerAsync();
        using var admin = server.CreateAdminClient();
        using var response = await admin.PutAsync($"/admin/api/partners/{partner.ClientId}/rate-limit",
            new StringContent(body, System.Text.Encoding.UTF8, "application/json"), Ct);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }

    [Fact]
    public async Task SwitchedOff_NothingIsCounted()
    {
        using var server = NewServer();
        server.Settings["RateLimit:DefaultRequestsPerMinute"] = "1";
        var partner = await server.CreatePartnerAsync();
        for (var i = 0; i < 5; i++)
        {
            Assert.Equal(0, (await partner.GetNonceAnswerAsync()).Status);
        }
    }

    /// <summary>A request that counts against the quota (getnonce does not): a getfeatures call, with its nonce.</summary>
    internal static Task<DeviceFeatures.Protocol.Envelope.WireAnswer> CountedCallAsync(TestPartner partner) =>
        partner.CallAsync("getfeatures", new()
        {
            ["userid"] = partner.UserId.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["model"] = "17",
        });

    /// <summary>
    /// Signed getfeatures calls ready to send, each with a nonce of its own; the nonce requests are signed over
    /// different seconds of the window, as many workers over some minutes would sign them.
    /// </summary>
    internal static async Task<List<Dictionary<string, string>>> SignedCountedCallsAsync(TestPartner partner, int count)
    {
        var calls = new List<Dictionary<string, string>>();
        for (var i = 0; i < count; i++)
        {
            var answer = await partner.GetNonceAnswerAsync(partner.Now - i);
            Assert.Equal(0, answer.Status);
            calls.Add(await partner.SignedAsync("getfeatures", new()
            {
                ["userid"] = partner.UserId.ToString(System.Globalization.CultureInfo.InvariantCulture),
                ["model"] = "17",
            }, answer.Body.GetProperty("nonce").GetString()));
        }

        return calls;
    }

    // A nonce for the setup of a test, taken before the quota is lowered below what the test counts.
    private static async Task<string> NonceOutsideTheQuotaAsync(ServerFactory server, TestPartner partner, int quota = 2)
    {
        await SetQuotaAsync(server, partner.ClientId, 0);
        var nonce = await partner.GetNonceAsync();
        await SetQuotaAsync(server, partner.ClientId, quota);
        return nonce;
    }
}

public sealed class RateLimitTestsOnSqlite : RateLimitTests
{
    protected override TestDatabase NewDatabase() => new SqliteTestDatabase();
}

[NeedsPostgres]
public sealed class RateLimitTestsOnPostgres : RateLimitTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public RateLimitTestsOnPostgres() => PostgresTestDatabase.SkipUnlessConfigured();

    protected override TestDatabase NewDatabase() => new PostgresTestDatabase();

    [Fact]
    public async Task TwoInstances_ShareOneQuota()
    {
        using var database = NewDatabase();
        var time = ServerFactory.NewClock();
        using var a = new ServerFactory(database, time);
        using var b = new ServerFactory(database, time);
        a.Settings["RateLimit:Enabled"] = "true";
        b.Settings["RateLimit:Enabled"] = "true";
        var partner = await a.CreatePartnerAsync();
        using (var admin = a.CreateAdminClient())
        {
            (await admin.PutAsJsonAsync($"/admin/api/partners/{partner.ClientId}/rate-limit", new { requests_per_minute = 10 }, Ct)).EnsureSuccessStatusCode();
        }

        var atB = new TestPartner(b, partner.ClientId, partner.ClientSecret, partner.UserId);
        var calls = await SignedCountedCallsAsync(partner, 40);
        var answers = await Task.WhenAll(calls.Select((call, i) =>
            Task.Run(() => (i % 2 == 0 ? partner : atB).PostFormAsync("/v2/device", call), Ct)));
        Assert.Equal(10, answers.Count(x => x.Status == 0));
    }
}
