using System.Globalization;
using System.Net.Http.Json;
using DeviceFeatures.Protocol.Envelope;
using DeviceFeatures.Protocol.Signing;
using DeviceFeatures.Server.Tests.Infrastructure;

namespace DeviceFeatures.Server.Tests.Signature;

/// <summary>
/// A signed <c>getnonce</c> covers only its action, client id and timestamp, so anyone who captures one can send it
/// again, unchanged, while its timestamp is in the window. Nobody without the secret may use up the partner's quota
/// that way; and honest workers that sign in the same second still get a nonce each.
/// </summary>
public abstract class NonceRequestReplayTests : OwnServerTests
{
    private const int PerSignedRequest = 16;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private ServerFactory LimitedServer()
    {
        var server = NewServer();
        server.Settings["RateLimit:Enabled"] = "true";
        return server;
    }

    private static Dictionary<string, string> CapturedNonceRequest(TestPartner partner, string? signature = null)
    {
        var timestamp = partner.Now.ToString(CultureInfo.InvariantCulture);
        return new()
        {
            ["action"] = "getnonce",
            ["client_id"] = partner.ClientId,
            ["timestamp"] = timestamp,
            ["signature"] = signature ?? WithingsSignature.Sign(partner.ClientSecret, "getnonce", partner.ClientId, timestamp),
        };
    }

    [Fact]
    public async Task OneCapturedGetNonce_Replayed130Times_GetsAtMostItsShare_AndThePartnersOwnRequestsStillWork()
    {
        using var server = LimitedServer();
        var partner = await server.CreatePartnerAsync();
        var captured = CapturedNonceRequest(partner);

        var answers = new List<WireAnswer>();
        for (var i = 0; i < 130; i++)
        {
            answers.Add(await partner.PostFormAsync("/v2/signature", captured));
        }

        Assert.Equal(PerSignedRequest, answers.Count(a => a.Status == 0));
        var refused = answers.Where(a => a.Status != 0).ToList();
        Assert.All(refused, a =>
        {
            Assert.Equal(601, a.Status);
            Assert.Equal(1, a.Body.GetProperty("wait_seconds").GetInt32());
            Assert.Equal(
                $"Too many request: this signed getnonce request (same client_id, timestamp and signature) has already been answered {PerSignedRequest} times; sign a new one with the current timestamp",
                a.Error);
        });

        // The partner, signing with the current second as it does, gets its nonces and its calls through.
        server.Time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(0, (await partner.EnableAsync("feature_pwv")).Status);
        Assert.Equal(0, (await partner.DisableAsync("feature_pwv")).Status);

        using var client = server.CreateClient();
        var metrics = await client.GetStringAsync("/metrics", Ct);
        Assert.Matches($"devicefeatures_nonce_requests_repeats_refused_total(\\{{[^}}]*\\}})? {130 - PerSignedRequest}\\b", metrics);
    }

    [Fact]
    public async Task TheSameSignature_InAnotherCase_IsTheSameSignedRequest()
    {
        using var server = LimitedServer();
        var partner = await server.CreatePartnerAsync();
        var captured = CapturedNonceRequest(partner);
        for (var i = 0; i < PerSignedRequest; i++)
        {
            Assert.Equal(0, (await partner.PostFormAsync("/v2/signature", captured)).Status);
        }

        var upper = CapturedNonceRequest(partner, captured["signature"].ToUpperInvariant());
        Assert.Equal(601, (await partner.PostFormAsync("/v2/signature", upper)).Status);
    }

    [Fact]
    public async Task EightWorkers_SendingTheSameGetNonceInOneSecond_EachGetAFreshNonce_AndEachUsesIt()
    {
        using var server = LimitedServer();
        var partner = await server.CreatePartnerAsync();
        var same = CapturedNonceRequest(partner);

        var nonces = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(async () =>
        {
            var answer = await partner.PostFormAsync("/v2/signature", same);
            Assert.Equal(0, answer.Status);
            return answer.Body.GetProperty("nonce").GetString()!;
        }, Ct)));
        Assert.Equal(8, nonces.Distinct(StringComparer.Ordinal).Count());

        string[] features = ["feature_pwv", "feature_pacemaker", "feature_muscle_mass", "feature_eyes_closed_mode"];
        var calls = await Task.WhenAll(nonces.Select((nonce, i) => Task.Run(async () =>
            await partner.PostFormAsync("/v2/device", await partner.SignedAsync(i % 2 == 0 ? "enablefeature" : "disablefeature",
                TestPartner.Feature(partner.UserId, 17, features[i / 2]), nonce)), Ct)));
        Assert.All(calls, c => Assert.Equal(0, c.Status));
    }

    [Fact]
    public async Task GetNonce_DoesNotUseThePartnersQuota_DeviceCallsDo()
    {
        using var server = LimitedServer();
        server.Settings["RateLimit:DefaultRequestsPerMinute"] = "2";
        var partner = await server.CreatePartnerAsync();

        // Ten nonce requests, each signed over another second of the window: none is counted.
        var nonces = new List<string>();
        for (var i = 0; i < 10; i++)
        {
            var answer = await partner.GetNonceAnswerAsync(partner.Now - i);
            Assert.Equal(0, answer.Status);
            nonces.Add(answer.Body.GetProperty("nonce").GetString()!);
        }

        Assert.Equal(0, (await partner.PostFormAsync("/v2/device", await partner.SignedAsync("enablefeature", TestPartner.Feature(partner.UserId, 17, "feature_pwv"), nonces[0]))).Status);
        Assert.Equal(0, (await partner.PostFormAsync("/v2/device", await partner.SignedAsync("disablefeature", TestPartner.Feature(partner.UserId, 17, "feature_pwv"), nonces[1]))).Status);
        Assert.Equal(601, (await partner.PostFormAsync("/v2/device", await partner.SignedAsync("enablefeature", TestPartner.Feature(partner.UserId, 17, "feature_pwv"), nonces[2]))).Status);
    }

    [Fact]
    public async Task APartnerWhoseQuotaAllowsMoreInASecond_GetsThatMany_AndAnUnlimitedOneIsNotBounded()
    {
        using var server = LimitedServer();
        var busy = await server.CreatePartnerAsync();
        var unlimited = await server.CreatePartnerAsync();
        using (var admin = server.CreateAdminClient())
        {
            (await admin.PutAsJsonAsync($"/admin/api/partners/{busy.ClientId}/rate-limit", new { requests_per_minute = 1200 }, Ct)).EnsureSuccessStatusCode();
            (await admin.PutAsJsonAsync($"/admin/api/partners/{unlimited.ClientId}/rate-limit", new { requests_per_minute = 0 }, Ct)).EnsureSuccessStatusCode();
        }

        // 1200 a minute is 20 a second: a client signing with the current second may need 20 nonces in it.
        var captured = CapturedNonceRequest(busy);
        var answers = new List<int>();
        for (var i = 0; i < 25; i++)
        {
            answers.Add((await busy.PostFormAsync("/v2/signature", captured)).Status);
        }

        Assert.Equal(20, answers.Count(a => a == 0));
        Assert.Equal(5, answers.Count(a => a == 601));

        var free = CapturedNonceRequest(unlimited);
        for (var i = 0; i < PerSignedRequest + 4; i++)
        {
            Assert.Equal(0, (await unlimited.PostFormAsync("/v2/signature", free)).Status);
        }
    }

    [Fact]
    public async Task WithRateLimitingSwitchedOff_TheSameSignedRequestIsAnsweredEveryTime()
    {
        using var server = NewServer();
        var partner = await server.CreatePartnerAsync();
        var captured = CapturedNonceRequest(partner);
        for (var i = 0; i < PerSignedRequest + 4; i++)
        {
            Assert.Equal(0, (await partner.PostFormAsync("/v2/signature", captured)).Status);
        }
    }
}

public sealed class NonceRequestReplayTestsOnSqlite : NonceRequestReplayTests
{
    protected override TestDatabase NewDatabase() => new SqliteTestDatabase();
}

[NeedsPostgres]
public sealed class NonceRequestReplayTestsOnPostgres : NonceRequestReplayTests
{
    public NonceRequestReplayTestsOnPostgres() => PostgresTestDatabase.SkipUnlessConfigured();

    protected override TestDatabase NewDatabase() => new PostgresTestDatabase();
}
