using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using DeviceFeatures.Server.Tests.Infrastructure;

namespace DeviceFeatures.Server.Tests.Admin;

/// <summary>
/// Hostile input on the admin API: text with control characters (a NUL, which PostgreSQL cannot store) is refused
/// with a 400 naming the field on both providers, and a request without the right key is answered 401 before
/// anything else, whatever its route, method or content type.
/// </summary>
public abstract class AdminInputTests(ServerFactory server)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static async Task<JsonElement> ProblemAsync(HttpResponseMessage response, HttpStatusCode status, string code)
    {
        var body = await response.Content.ReadAsStringAsync(Ct);
        Assert.True(status == response.StatusCode, $"{(int)response.StatusCode}: {body}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = JsonSerializer.Deserialize<JsonElement>(body);
        Assert.Equal(code, problem.GetProperty("code").GetString());
        return problem;
    }

    [Theory]
    [InlineData("/admin/api/audit?client_id=%00", "client_id")]
    [InlineData("/admin/api/audit/export?client_id=a%00", "client_id")]
    [InlineData("/admin/api/devices?client_id=%00", "client_id")]
    [InlineData("/admin/api/devices?after=%01", "after")]
    [InlineData("/admin/api/partners/abc%01", "clientId")]
    [InlineData("/admin/api/partners/abc%7f/entitlements", "clientId")]
    [InlineData("/admin/api/devices/00%1b24e4123456", "mac")]
    public async Task Query_OrRoute_WithAControlCharacter_IsA400NamingIt(string path, string field)
    {
        using var admin = server.CreateAdminClient();
        using var response = await admin.GetAsync(path, Ct);
        var problem = await ProblemAsync(response, HttpStatusCode.BadRequest, "invalid_request");
        Assert.Contains($"'{field}'", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("POST", "/admin/api/partners", """{"name":"Acme\u0000Health"}""", "name")]
    [InlineData("POST", "/admin/api/partners", """{"name":"Acme\u001bHealth"}""", "name")]
    [InlineData("POST", "/admin/api/users", """{"client_id":"\u0000","devices":[]}""", "client_id")]
    [InlineData("POST", "/admin/api/users", """{"client_id":"x","devices":[{"mac_address":"00:24:e4:12:34:56","model":17,"market":"E\u0000"}]}""", "devices[0].market")]
    [InlineData("POST", "/admin/api/devices/import", """{"devices":[{"mac_address":"00:24:e4:12:34:57","model":17,"market":"EU","firmware":"1\u0000"}]}""", "devices[0].firmware")]
    [InlineData("POST", "/admin/api/devices/00:24:e4:12:34:58/assign", """{"client_id":"a\u0000"}""", "client_id")]
    [InlineData("PUT", "/admin/api/partners/nobody/entitlements/feature%0ax", "", "featureName")]
    public async Task Body_OrRoute_WithAControlCharacter_IsA400NamingTheField(string method, string path, string json, string field)
    {
        using var admin = server.CreateAdminClient();
        using var request = new HttpRequestMessage(new HttpMethod(method), path);
        if (json.Length > 0)
        {
            request.Content = new StringContent(json, Encoding.UTF8, "application/json");
        }

        using var response = await admin.SendAsync(request, Ct);
        var problem = await ProblemAsync(response, HttpStatusCode.BadRequest, "invalid_request");
        Assert.Contains($"'{field}'", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);

        // Nothing was created: the partner list holds no name with a control character.
        using var list = await admin.GetAsync("/admin/api/partners", Ct);
        Assert.DoesNotContain("\\u0000", await list.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
    }

    [Fact]
    public async Task AUserOfAPartnerWithALongClientIdWithANul_IsRefusedBeforeTheDatabase()
    {
        using var admin = server.CreateAdminClient();
        using var response = await admin.PostAsJsonAsync("/admin/api/users", new { client_id = new string('a', 40) + "\0", devices = Array.Empty<object>() }, Ct);
        await ProblemAsync(response, HttpStatusCode.BadRequest, "invalid_request");
    }

    [Theory]
    [InlineData("POST", "/admin/api/partners", "application/x-www-form-urlencoded", "name=Acme")]
    [InlineData("POST", "/admin/api/users", "text/plain", "hello")]
    [InlineData("PUT", "/admin/api/partners/x/rate-limit", "application/xml", "<a/>")]
    [InlineData("POST", "/admin/api/devices/import", "multipart/form-data; boundary=b", "--b--")]
    [InlineData("GET", "/admin/api/no-such-route", null, null)]
    [InlineData("DELETE", "/admin/api/partners", null, null)]
    [InlineData("PATCH", "/admin/api/users/1", "application/json", "{}")]
    public async Task WithoutAKey_AnyRouteMethodOrContentType_Is401WithACode_BeforeAnythingElse(string method, string path, string? contentType, string? body)
    {
        using var client = server.CreateClient();
        using var request = new HttpRequestMessage(new HttpMethod(method), path);
        if (body is not null)
        {
            request.Content = new StringContent(body);
            request.Content.Headers.Remove("Content-Type");
            request.Content.Headers.TryAddWithoutValidation("Content-Type", contentType);
        }

        using (var response = await client.SendAsync(request, Ct))
        {
            await ProblemAsync(response, HttpStatusCode.Unauthorized, "admin_key_missing");
        }

        using var wrong = server.CreateClient();
        wrong.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", "not-the-key");
        using var again = new HttpRequestMessage(new HttpMethod(method), path);
        if (body is not null)
        {
            again.Content = new StringContent(body);
            again.Content.Headers.Remove("Content-Type");
            again.Content.Headers.TryAddWithoutValidation("Content-Type", contentType);
        }

        using var refused = await wrong.SendAsync(again, Ct);
        await ProblemAsync(refused, HttpStatusCode.Unauthorized, "admin_key_invalid");
    }
}

public sealed class AdminInputTestsOnSqlite(SqliteServer server) : AdminInputTests(server), IClassFixture<SqliteServer>;

[NeedsPostgres]
public sealed class AdminInputTestsOnPostgres(PostgresServer server) : AdminInputTests(server.OrSkip()), IClassFixture<PostgresServer>;
