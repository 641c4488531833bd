using System.Text;
using DeviceFeatures.Server.Tests.Infrastructure;

namespace DeviceFeatures.Server.Tests.Wire;

/// <summary>Requests at the edges of what the wire reads: doubled slashes, NUL bytes, timestamps at the end of a long.</summary>
public abstract class WireEdgeCaseTests(ServerFactory server)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task DoubledSlashBeforeV2Device_IsAnsweredLikeV2Device()
    {
        var partner = await server.CreatePartnerAsync();
        var parameters = await partner.SignedAsync("enablefeature", TestPartner.Feature(partner.UserId, 17, "feature_pwv"));

        // What a client builds from a base URL ending in '/' and a path starting with '/'.
        using var response = await partner.Http.PostAsync(new Uri(partner.Http.BaseAddress!, "/").AbsoluteUri + "/v2/device",
            new FormUrlEncodedContent(parameters), Ct);
        var answer = await TestPartner.ReadAsync(response);

        Assert.Equal(0, answer.Status);
        Assert.True((await partner.GetFeaturesAsync())["feature_pwv"]);
    }

    [Fact]
    public async Task DoubledSlashBeforeV2Signature_IssuesANonce()
    {
        var partner = await server.CreatePartnerAsync();
        var ts = partner.Now.ToString(System.Globalization.CultureInfo.InvariantCulture);
        using var response = await partner.Http.PostAsync(new Uri(partner.Http.BaseAddress!, "/").AbsoluteUri + "/v2/signature",
            new FormUrlEncodedContent(new Dictionary<string, string>
            {
                ["action"] = "getnonce",
                ["client_id"] = partner.ClientId,
                ["timestamp"] = ts,
                ["signature"] = Protocol.Signing.WithingsSignature.Sign(partner.ClientSecret, "getnonce", partner.ClientId, ts),
            }), Ct);
        var answer = await TestPartner.ReadAsync(response);

        Assert.Equal(0, answer.Status);
        Assert.Matches("^[0-9a-f]{40}$", answer.Body.GetProperty("nonce").GetString());
    }

    [Theory]
    [InlineData("/v2/signature", "client_id")]
    [InlineData("/v2/device", "client_id")]
    [InlineData("/v2/device", "nonce")]
    [InlineData("/v2/device", "feature_name")]
    public async Task NulByteInAParameter_IsInvalidParamsNamingIt(string path, string parameter)
    {
        var partner = await server.CreatePartnerAsync();
        var before = Sql.Snapshot(server);
        var parameters = path == "/v2/signature"
            ? new Dictionary<string, string> { ["action"] = "getnonce", ["client_id"] = partner.ClientId, ["timestamp"] = "1", ["signature"] = "x" }
            : await partner.SignedAsync("enablefeature", TestPartner.Feature(partner.UserId, 17, "feature_pwv"));
        parameters[parameter] = "a\0b";

        var answer = await partner.PostFormAsync(path, parameters);

        Assert.Equal(503, answer.Status);
        Assert.Contains($"'{parameter}'", answer.Error);
        Assert.Equal(before, Sql.Snapshot(server));
    }

    [Fact]
    public async Task NulByteInAJsonParameter_IsInvalidParamsNamingIt()
    {
        var partner = await server.CreatePartnerAsync();
        using var content = new StringContent("{\"action\":\"getnonce\",\"client_id\":\"a\\u0000b\"}", Encoding.UTF8, "application/json");
        var answer = await TestPartner.ReadAsync(await partner.Http.PostAsync("/v2/signature", content, Ct));

        Assert.Equal(503, answer.Status);
        Assert.Contains("'client_id'", answer.Error);
    }

    [Theory]
    [InlineData(0L)]
    [InlineData(1L)]
    [InlineData(2L)]
    public async Task GetNonce_TimestampAtTheBottomOfTheRange_IsOutOfWindow(long aboveMinimum)
    {
        var partner = await server.CreatePartnerAsync();

        // long.MinValue + now is exactly 2^63 seconds away: the distance does not fit in a long.
        foreach (var timestamp in new[] { long.MinValue + aboveMinimum, long.MinValue + partner.Now - aboveMinimum })
        {
            var answer = await partner.GetNonceAnswerAsync(timestamp);
            Assert.Equal(102, answer.Status);
            Assert.Contains("s away from the server's clock", answer.Error);
        }
    }
}

public sealed class WireEdgeCaseTestsOnSqlite(SqliteServer server) : WireEdgeCaseTests(server), IClassFixture<SqliteServer>;

[NeedsPostgres]
public sealed class WireEdgeCaseTestsOnPostgres(PostgresServer server) : WireEdgeCaseTests(server.OrSkip()), IClassFixture<PostgresServer>;
