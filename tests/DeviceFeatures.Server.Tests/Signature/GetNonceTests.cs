using System.Globalization;
using DeviceFeatures.Protocol.Signing;
using DeviceFeatures.Server.Tests.Infrastructure;

namespace DeviceFeatures.Server.Tests.Signature;

public abstract class GetNonceTests(ServerFactory server)
{
    [Fact]
    public async Task GetNonce_SignedRequest_ReturnsFortyHexNonce()
    {
        var partner = await server.CreatePartnerAsync();
        var answer = await partner.GetNonceAnswerAsync();
        Assert.Equal(0, answer.Status);
        var nonce = answer.Body.GetProperty("nonce").GetString()!;
        Assert.Matches("^[0-9a-f]{40}$", nonce);
    }

    [Fact]
    public async Task GetNonce_TwoRequests_GiveDifferentNonces()
    {
        var partner = await server.CreatePartnerAsync();
        Assert.NotEqual(await partner.GetNonceAsync(), await partner.GetNonceAsync());
    }

    [Fact]
    public async Task GetNonce_AsGetWithQueryParameters_IsAccepted()
    {
        var partner = await server.CreatePartnerAsync();
        var ts = partner.Now.ToString(CultureInfo.InvariantCulture);
        var signature = WithingsSignature.Sign(partner.ClientSecret, "getnonce", partner.ClientId, ts);
        using var response = await partner.Http.GetAsync(
            $"/v2/signature?action=getnonce&client_id={partner.ClientId}&timestamp={ts}&signature={signature}",
            TestContext.Current.CancellationToken);
        var answer = await TestPartner.ReadAsync(response);
        Assert.Equal(0, answer.Status);
    }

    [Fact]
    public async Task GetNonce_AsJsonWithNumericTimestamp_IsAccepted()
    {
        var partner = await server.CreatePartnerAsync();
        var ts = partner.Now;
        var answer = await partner.PostJsonAsync("/v2/signature", new
        {
            action = "getnonce",
            client_id = partner.ClientId,
            timestamp = ts,
            signature = WithingsSignature.SignNonceRequest(partner.ClientSecret, partner.ClientId, ts),
        });
        Assert.Equal(0, answer.Status);
    }

    [Theory]
    [InlineData(-601)]
    [InlineData(601)]
    [InlineData(-86_400)]
    public async Task GetNonce_TimestampOutsideTenMinutes_IsRefused(int offsetSeconds)
    {
        var partner = await server.CreatePartnerAsync();
        var answer = await partner.GetNonceAnswerAsync(partner.Now + offsetSeconds);
        Assert.Equal(102, answer.Status);
        Assert.Contains("timestamp", answer.Error);
        Assert.Contains("600 s", answer.Error);
    }

    [Theory]
    [InlineData(-600)]
    [InlineData(600)]
    public async Task GetNonce_TimestampAtTheEdgeOfTheWindow_IsAccepted(int offsetSeconds)
    {
        var partner = await server.CreatePartnerAsync();
        Assert.Equal(0, (await partner.GetNonceAnswerAsync(partner.Now + offsetSeconds)).Status);
    }

    [Fact]
    public async Task GetNonce_WrongSecret_IsAuthenticationFailed()
    {
        var partner = await server.CreatePartnerAsync();
        var answer = await partner.GetNonceAnswerAsync(secret: "not-the-secret");
        Assert.Equal(101, answer.Status);
        Assert.Contains("invalid signature", answer.Error);
    }

    [Fact]
    public async Task GetNonce_UnknownClient_IsAuthenticationFailed()
    {
        var partner = await server.CreatePartnerAsync();
        var ts = partner.Now.ToString(CultureInfo.InvariantCulture);
        var answer = await partner.PostFormAsync("/v2/signature", new()
        {
            ["action"] = "getnonce",
            ["client_id"] = "nobody",
            ["timestamp"] = ts,
            ["signature"] = WithingsSignature.Sign("x", "getnonce", "nobody", ts),
        });
        Assert.Equal(100, answer.Status);
        Assert.Contains("unknown client_id", answer.Error);
    }

    [Theory]
    [InlineData("client_id")]
    [InlineData("timestamp")]
    [InlineData("signature")]
    [InlineData("action")]
    public async Task GetNonce_MissingParameter_IsInvalidParamsNamingIt(string missing)
    {
        var partner = await server.CreatePartnerAsync();
        var ts = partner.Now.ToString(CultureInfo.InvariantCulture);
        var parameters = new Dictionary<string, string>
        {
            ["action"] = "getnonce",
            ["client_id"] = partner.ClientId,
            ["timestamp"] = ts,
            ["signature"] = WithingsSignature.Sign(partner.ClientSecret, "getnonce", partner.ClientId, ts),
        };
        parameters.Remove(missing);
        var answer = await partner.PostFormAsync("/v2/signature", parameters);
        Assert.Equal(503, answer.Status);
        Assert.Equal($"Invalid Params: missing parameter '{missing}'", answer.Error);
    }

    [Fact]
    public async Task GetNonce_NonNumericTimestamp_IsInvalidParams()
    {
        var partner = await server.CreatePartnerAsync();
        var answer = await partner.PostFormAsync("/v2/signature", new()
        {
            ["action"] = "getnonce",
            ["client_id"] = partner.ClientId,
            ["timestamp"] = "yesterday",
            ["signature"] = WithingsSignature.Sign(partner.ClientSecret, "getnonce", partner.ClientId, "yesterday"),
        });
        Assert.Equal(503, answer.Status);
        Assert.Contains("'timestamp'", answer.Error);
    }

    [Fact]
    public async Task Signature_OtherAction_IsNotImplemented()
    {
        var partner = await server.CreatePartnerAsync();
        var answer = await partner.PostFormAsync("/v2/signature", new() { ["action"] = "getnonces" });
        Assert.Equal(2554, answer.Status);
        Assert.Contains("'getnonces'", answer.Error);
    }
}

public sealed class GetNonceTestsOnSqlite(SqliteServer server) : GetNonceTests(server), IClassFixture<SqliteServer>;

[NeedsPostgres]
public sealed class GetNonceTestsOnPostgres(PostgresServer server) : GetNonceTests(server.OrSkip()), IClassFixture<PostgresServer>;
