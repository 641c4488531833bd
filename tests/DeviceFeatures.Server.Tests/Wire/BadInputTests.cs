using System.Net;
using System.Net.Http.Headers;
using System.Text;
using DeviceFeatures.Server.Tests.Infrastructure;

namespace DeviceFeatures.Server.Tests.Wire;

/// <summary>
/// Hostile or broken requests get HTTP 200, the envelope, a non-zero status and an error naming the problem,
/// and leave every stored row as it was.
/// </summary>
public abstract class BadInputTests(ServerFactory server)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public static TheoryData<string, string, string, string> RawBodies => new()
    {
        // name, content type, body, expected fragment of the error
        { "binary garbage as form", "application/x-www-form-urlencoded", "\u0001\u0002action=\uFFFD%FF%FE", "not valid UTF-8" },
        { "truncated JSON", "application/json", "{\"action\":\"enablefeature\",", "malformed" },
        { "JSON array", "application/json", "[\"enablefeature\"]", "must be an object" },
        { "JSON scalar", "application/json", "42", "must be an object" },
        { "deeply nested JSON", "application/json", "{\"a\":" + new string('[', 5000) + new string(']', 5000) + "}", "malformed" },
        { "unsupported content type", "text/plain", "action=enablefeature", "Content-Type 'text/plain" },
        { "xml", "application/xml", "<action>enablefeature</action>", "is not supported" },
        { "duplicate parameters", "application/x-www-form-urlencoded", "action=enablefeature&action=disablefeature", "'action' is given more than once" },
        { "overlong value", "application/x-www-form-urlencoded", "action=" + new string('a', 5000), "longer than 4096" },
        { "bad percent escape", "application/x-www-form-urlencoded", "action=%G1", "percent-encoding" },
        { "broken multipart", "multipart/form-data; boundary=xyz", "--abc\r\nnonsense", "multipart" },
        { "empty action", "application/x-www-form-urlencoded", "action=", "missing parameter 'action'" },
        { "no action at all", "application/x-www-form-urlencoded", "foo=bar", "missing parameter 'action'" },
        { "JSON with invalid escape", "application/json", "{\"action\":\"\\uZZZZ\"}", "malformed" },
    };

    [Theory]
    [MemberData(nameof(RawBodies))]
    public async Task UnreadableRequest_GetsEnvelopeWithClearError_AndChangesNothing(string name, string contentType, string body, string expected)
    {
        var partner = await server.CreatePartnerAsync();
        await partner.EnableAsync("feature_pwv");
        var before = Sql.Snapshot(server);

        using var content = new ByteArrayContent(Encoding.UTF8.GetBytes(body));
        content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        using var response = await partner.Http.PostAsync("/v2/device", content, Ct);
        var answer = await TestPartner.ReadAsync(response);

        Assert.True(answer.Status != 0, name);
        Assert.Contains(expected, answer.Error);
        Assert.Equal(before, Sql.Snapshot(server));
    }

    [Fact]
    public async Task RawInvalidUtf8Bytes_AreRefused()
    {
        var partner = await server.CreatePartnerAsync();
        using var content = new ByteArrayContent([.. "action=enable"u8, 0xC3, 0x28, 0xFF]);
        content.Headers.ContentType = MediaTypeHeaderValue.Parse("application/x-www-form-urlencoded");
        var answer = await TestPartner.ReadAsync(await partner.Http.PostAsync("/v2/device", content, Ct));
        Assert.Equal(503, answer.Status);
        Assert.Contains("not valid UTF-8", answer.Error);
    }

    [Fact]
    public async Task BodyOverTheLimit_IsRefusedUnread()
    {
        var partner = await server.CreatePartnerAsync();
        var body = "action=enablefeature&padding=" + new string('x', 70_000);
        var answer = await TestPartner.ReadAsync(await partner.Http.PostAsync("/v2/device",
            new StringContent(body, Encoding.UTF8, "application/x-www-form-urlencoded"), Ct));
        Assert.Equal(503, answer.Status);
        Assert.Contains("65536-byte limit", answer.Error);
    }

    [Fact]
    public async Task ChunkedBodyOverTheLimit_IsRefused()
    {
        var partner = await server.CreatePartnerAsync();
        using var content = new StreamContent(new MemoryStream(Encoding.UTF8.GetBytes("action=x&p=" + new string('y', 100_000))));
        content.Headers.ContentType = MediaTypeHeaderValue.Parse("application/x-www-form-urlencoded");
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v2/device") { Content = content };
        request.Headers.TransferEncodingChunked = true;
        var answer = await TestPartner.ReadAsync(await partner.Http.SendAsync(request, Ct));
        Assert.Equal(503, answer.Status);
        Assert.Contains("limit", answer.Error);
    }

    public static TheoryData<string, string, int> HostileValues => new()
    {
        { "feature_name", "feature_pwv'; DROP TABLE choices; --", 504 },
        { "feature_name", "%s%s%n{0}{1}", 504 },
        { "feature_name", "feature_pwv\u0000", 503 },
        { "feature_name", new string('f', 65), 503 },
        { "userid", "1 OR 1=1", 503 },
        { "userid", "99999999999999999999999999", 503 },
        { "userid", "-5", 503 },
        { "userid", "0", 503 },
        { "model", "17; DELETE FROM users", 503 },
        { "model", "2147483648", 503 },
        { "model", "-1", 505 },
    };

    [Theory]
    [MemberData(nameof(HostileValues))]
    public async Task HostileBusinessValue_IsRefused_AndChangesNothing(string parameter, string value, int status)
    {
        var partner = await server.CreatePartnerAsync();
        var before = Sql.Snapshot(server);
        var business = TestPartner.Feature(partner.UserId, 17, "feature_pwv");
        business[parameter] = value;
        var answer = await partner.CallAsync("enablefeature", business);
        Assert.Equal(status, answer.Status);
        Assert.Equal(before, Sql.Snapshot(server));
    }

    [Theory]
    [InlineData("' OR '1'='1")]
    [InlineData("%n%n%n%n")]
    [InlineData("{0}{1}{2}")]
    public async Task HostileClientId_IsUnknownClient(string clientId)
    {
        var partner = await server.CreatePartnerAsync();
        var answer = await partner.PostFormAsync("/v2/device", new()
        {
            ["action"] = "enablefeature",
            ["client_id"] = clientId,
            ["nonce"] = "n",
            ["signature"] = "s",
        });
        Assert.Equal(100, answer.Status);
    }

    [Fact]
    public async Task OtherHttpMethod_StillGetsTheEnvelope()
    {
        var partner = await server.CreatePartnerAsync();
        using var request = new HttpRequestMessage(HttpMethod.Put, "/v2/device?action=enablefeature");
        var answer = await TestPartner.ReadAsync(await partner.Http.SendAsync(request, Ct));
        Assert.Equal(503, answer.Status);
    }

    [Fact]
    public async Task AfterAllThat_TheServerIsHealthy()
    {
        var partner = await server.CreatePartnerAsync();
        using var content = new ByteArrayContent(new byte[50_000]);
        content.Headers.ContentType = MediaTypeHeaderValue.Parse("application/json");
        await partner.Http.PostAsync("/v2/device", content, Ct);

        using var live = await partner.Http.GetAsync("/health/live", Ct);
        Assert.Equal(HttpStatusCode.OK, live.StatusCode);
        Assert.Equal(0, (await partner.EnableAsync("feature_pwv")).Status);
    }
}

public sealed class BadInputTestsOnSqlite(SqliteServer server) : BadInputTests(server), IClassFixture<SqliteServer>;

[NeedsPostgres]
public sealed class BadInputTestsOnPostgres(PostgresServer server) : BadInputTests(server.OrSkip()), IClassFixture<PostgresServer>;
