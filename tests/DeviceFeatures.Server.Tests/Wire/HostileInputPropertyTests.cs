using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using CsCheck;
using DeviceFeatures.Server.Tests.Infrastructure;

namespace DeviceFeatures.Server.Tests.Wire;

/// <summary>
/// Generated hostile requests: every one gets HTTP 200, the envelope, a non-zero status and an error text; none
/// changes a stored row; the server stays healthy. Each test reports how many inputs it tried.
/// </summary>
public abstract class HostileInputPropertyTests(ServerFactory server)
{
    private const int Iterations = 400;

    private static readonly string[] ContentTypes =
    [
        "application/x-www-form-urlencoded", "application/json", "multipart/form-data; boundary=b", "text/plain",
        "application/xml", "application/json; charset=utf-16", "", "application/x-www-form-urlencoded; charset=latin1",
        "multipart/form-data", "application/vnd.api+json", "garbage/garbage/garbage", "*/*",
    ];

    // Characters that break naive SQL, format strings, JSON, URLs, logs and terminals.
    private static readonly string[] Nasty =
    [
        "'", "\"", "' OR '1'='1", "1; DROP TABLE choices; --", "%s%s%n", "{0}{1}", "%00", "\0", "\\", "\r\n", "\u2028",
        "<script>", "${jndi:ldap://x}", "../../etc/passwd", "😀", "\uFFFD", "\u202E", "NaN", "-0", "1e309",
        "99999999999999999999", "-2147483649", "0x11", " 17", "17 ", "+17", "١٧", new string('9', 400), new string('a', 5000),
    ];

    private static readonly string[] Names = ["action", "client_id", "nonce", "signature", "timestamp", "userid", "model", "feature_name", "x"];

    private static Gen<string> Value =>
        Gen.Frequency(
            (3, Gen.OneOf(Nasty)),
            (2, Gen.String[0, 40]),
            (1, Gen.OneOf("enablefeature", "disablefeature", "getfeatures", "getnonce", "feature_pacemaker", "17", "47", "0")),
            (1, from a in Gen.OneOf(Nasty) from b in Gen.String[0, 10] select a + b));

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task RandomBytes_UnderAnyContentType_AreRefusedWithTheEnvelope()
    {
        var partner = await server.CreatePartnerAsync();
        await partner.EnableAsync("feature_pwv");
        var before = Sql.Snapshot(server);
        var tried = 0;

        var gen = from bytes in Gen.Byte.Array[0, 3000]
                  from type in Gen.OneOf(ContentTypes)
                  from path in Gen.OneOf("/v2/device", "/v2/signature", "/v2/user")
                  select (bytes, type, path);
        await gen.SampleAsync(async input =>
        {
            using var content = new ByteArrayContent(input.bytes);
            if (input.type.Length > 0)
            {
                content.Headers.TryAddWithoutValidation("Content-Type", input.type);
            }

            var answer = await TestPartner.ReadAsync(await partner.Http.PostAsync(input.path, content, Ct));
            Assert.NotEqual(0, answer.Status);
            Interlocked.Increment(ref tried);
        }, iter: Iterations, threads: 4);

        Assert.Equal(before, Sql.Snapshot(server));
        Report(nameof(RandomBytes_UnderAnyContentType_AreRefusedWithTheEnvelope), tried);
    }

    [Fact]
    public async Task HostileParameters_InFormJsonOrQuery_AreRefused_AndChangeNothing()
    {
        var partner = await server.CreatePartnerAsync();
        await partner.EnableAsync("feature_pwv");
        var before = Sql.Snapshot(server);
        var tried = 0;

        var gen = from pairs in Gen.Select(Gen.OneOf(Names), Value).Array[1, 12]
                  from encoding in Gen.Int[0, 2]
                  select (pairs, encoding);
        await gen.SampleAsync(async input =>
        {
            HttpResponseMessage response;
            switch (input.encoding)
            {
                case 0:
                    response = await partner.Http.PostAsync("/v2/device",
                        new FormUrlEncodedContent(input.pairs.Select(p => new KeyValuePair<string, string>(p.Item1, p.Item2))), Ct);
                    break;
                case 1:
                    var json = new Dictionary<string, string>();
                    foreach (var (name, value) in input.pairs)
                    {
                        json[name] = value;
                    }

                    response = await partner.Http.PostAsJsonAsync("/v2/device", json, Ct);
                    break;
                default:
                    var query = string.Join('&', input.pairs.Select(p => $"{Uri.EscapeDataString(p.Item1)}={Uri.EscapeDataString(p.Item2)}"));
                    response = await partner.Http.GetAsync($"/v2/device?{query}", Ct);
                    break;
            }

            var answer = await TestPartner.ReadAsync(response);
            Assert.NotEqual(0, answer.Status);
            Interlocked.Increment(ref tried);
        }, iter: Iterations, threads: 4);

        Assert.Equal(before, Sql.Snapshot(server));
        Report(nameof(HostileParameters_InFormJsonOrQuery_AreRefused_AndChangeNothing), tried);
    }

    [Fact]
    public async Task HostileBusinessValues_WithAGoodSignature_AreRefused_AndChangeNothing()
    {
        var partner = await server.CreatePartnerAsync();
        await partner.EnableAsync("feature_pwv");
        var before = Sql.Snapshot(server);
        var tried = 0;

        // Signed for real, so that every value reaches the rules and the database layer.
        var gen = from action in Gen.OneOf("enablefeature", "disablefeature", "getfeatures")
                  from userid in Value
                  from model in Value
                  from feature in Value
                  select (action, userid, model, feature);
        await gen.SampleAsync(async input =>
        {
            var answer = await partner.CallAsync(input.action, new()
            {
                ["userid"] = input.userid,
                ["model"] = input.model,
                ["feature_name"] = input.feature,
            });
            Assert.NotEqual(0, answer.Status);
            Interlocked.Increment(ref tried);
        }, iter: Iterations / 2, threads: 4);

        Assert.Equal(before, Sql.Snapshot(server));
        Report(nameof(HostileBusinessValues_WithAGoodSignature_AreRefused_AndChangeNothing), tried);
    }

    [Fact]
    public async Task GeneratedJsonShapes_AreRefused()
    {
        var partner = await server.CreatePartnerAsync();
        var tried = 0;
        var leaf = Gen.OneOf("1", "-1", "1e999", "true", "null", "\"x\"", "\"\\ud800\"", "{}", "[]", "\"feature_pwv\"", "12345678901234567890");
        var json = Gen.Recursive<string>((depth, inner) => depth > 6
            ? leaf
            : Gen.Frequency(
                (2, (IGen<string>)leaf),
                (1, inner.Array[0, 4].Select(items => "[" + string.Join(',', items) + "]")),
                (2, Gen.Select(Gen.OneOf(Names), inner).Array[0, 5]
                    .Select(props => "{" + string.Join(',', props.Select(p => $"\"{p.Item1}\":{p.Item2}")) + "}"))));
        await json.SampleAsync(async body =>
        {
            using var content = new StringContent(body, Encoding.UTF8);
            content.Headers.ContentType = MediaTypeHeaderValue.Parse("application/json");
            var answer = await TestPartner.ReadAsync(await partner.Http.PostAsync("/v2/device", content, Ct));
            Assert.NotEqual(0, answer.Status);
            Interlocked.Increment(ref tried);
        }, iter: Iterations, threads: 4);

        Report(nameof(GeneratedJsonShapes_AreRefused), tried);
    }

    [Fact]
    public async Task AfterHostileInput_TheServerIsHealthy()
    {
        var partner = await server.CreatePartnerAsync();
        await Gen.Byte.Array[0, 70_000].SampleAsync(async bytes =>
        {
            using var content = new ByteArrayContent(bytes);
            content.Headers.ContentType = MediaTypeHeaderValue.Parse("application/x-www-form-urlencoded");
            await TestPartner.ReadAsync(await partner.Http.PostAsync("/v2/device", content, Ct));
        }, iter: 50, threads: 4);

        using var ready = await partner.Http.GetAsync("/health/ready", Ct);
        Assert.Equal(System.Net.HttpStatusCode.OK, ready.StatusCode);
        Assert.Equal(0, (await partner.EnableAsync("feature_pacemaker")).Status);
        Assert.True((await partner.GetFeaturesAsync())["feature_pacemaker"]);
    }

    private static void Report(string test, int tried) =>
        TestContext.Current.SendDiagnosticMessage($"{test}: {tried} inputs tried, 0 failures");
}

public sealed class HostileInputPropertyTestsOnSqlite(SqliteServer server) : HostileInputPropertyTests(server), IClassFixture<SqliteServer>;

[NeedsPostgres]
public sealed class HostileInputPropertyTestsOnPostgres(PostgresServer server) : HostileInputPropertyTests(server.OrSkip()), IClassFixture<PostgresServer>;
