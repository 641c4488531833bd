using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using DeviceFeatures.Server.Tests.Infrastructure;

namespace DeviceFeatures.Server.Tests.Admin;

/// <summary>
/// The admin API bounds what one request may ask: the devices of one new user, and the bytes of any body, so that
/// one request cannot hold the server (and the wire calls waiting for the writer) for long.
/// </summary>
public abstract class AdminRequestSizeTests(ServerFactory server)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static object[] Devices(int count) =>
        Enumerable.Range(0, count).Select(object (i) => new { mac_address = $"02:00:00:{(i >> 16) & 0xff:x2}:{(i >> 8) & 0xff:x2}:{i & 0xff:x2}", model = 17, market = "EU" }).ToArray();

    [Fact]
    public async Task CreateUser_WithMoreDevicesThanTheLimit_Is400NamingTheLimit_AndCreatesNothing()
    {
        var partner = await server.CreatePartnerAsync();
        using var admin = server.CreateAdminClient();
        var before = await EventsAsync(admin, partner.ClientId);
        using var response = await admin.PostAsJsonAsync("/admin/api/users", new { client_id = partner.ClientId, devices = Devices(101) }, Ct);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>(Ct);
        Assert.Equal("too_many_devices", problem.GetProperty("code").GetString());
        Assert.Contains("100", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);

        Assert.Equal(before, await EventsAsync(admin, partner.ClientId));
    }

    private static async Task<int> EventsAsync(HttpClient admin, string clientId)
    {
        using var audit = await admin.GetAsync($"/admin/api/audit?client_id={clientId}", Ct);
        return (await audit.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("events").GetArrayLength();
    }

    [Fact]
    public async Task CreateUser_WithExactlyTheLimit_Works_AndADuplicateIsStillFound()
    {
        var partner = await server.CreatePartnerAsync();
        using var admin = server.CreateAdminClient();
        using (var created = await admin.PostAsJsonAsync("/admin/api/users", new { client_id = partner.ClientId, devices = Devices(100) }, Ct))
        {
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        }

        var twice = new[]
        {
            new { mac_address = "02:aa:00:00:00:01", model = 17, market = "EU" },
            new { mac_address = "02-AA-00-00-00-01", model = 17, market = "EU" },
        };
        using var duplicate = await admin.PostAsJsonAsync("/admin/api/users", new { client_id = partner.ClientId, devices = twice }, Ct);
        Assert.Equal(HttpStatusCode.BadRequest, duplicate.StatusCode);
        Assert.Contains("listed twice", (await duplicate.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("detail").GetString(), StringComparison.Ordinal);
    }
}

public sealed class AdminRequestSizeTestsOnSqlite(SqliteServer server) : AdminRequestSizeTests(server), IClassFixture<SqliteServer>;

[NeedsPostgres]
public sealed class AdminRequestSizeTestsOnPostgres(PostgresServer server) : AdminRequestSizeTests(server.OrSkip()), IClassFixture<PostgresServer>;

/// <summary>The body limit is Kestrel's, so it is proven over a real socket; no database is involved.</summary>
public sealed class AdminBodyLimitTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task AnAdminBody_OverTheLimit_Is413WithACode()
    {
        using var server = new SqliteServer();
        server.Settings["Admin:MaxBodyBytes"] = "65536";
        server.UseKestrel(0);
        server.StartServer();
        using var admin = server.CreateAdminClient();

        var body = "{\"devices\":[" + string.Join(',', Enumerable.Repeat("{\"mac_address\":\"02:00:00:00:00:01\",\"model\":17,\"market\":\"EU\"}", 2000)) + "]}";
        Assert.True(body.Length > 65536);

        // With its length declared, and chunked (no length: Kestrel cuts it at the limit).
        foreach (var chunked in new[] { false, true })
        {
            using var content = new StringContent(body, Encoding.UTF8, "application/json");
            if (chunked)
            {
                content.Headers.ContentLength = null;
            }

            using var request = new HttpRequestMessage(HttpMethod.Post, "/admin/api/devices/import") { Content = content };
            request.Headers.TransferEncodingChunked = chunked;
            using var response = await admin.SendAsync(request, Ct);

            Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            Assert.Equal("request_too_large", (await response.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("code").GetString());
        }
    }
}
