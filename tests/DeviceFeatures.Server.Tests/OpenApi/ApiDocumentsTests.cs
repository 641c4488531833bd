using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using DeviceFeatures.Server.OpenApi;
using DeviceFeatures.Server.Tests.Infrastructure;
using DeviceFeatures.Server.Wire;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.OpenApi;
using Microsoft.OpenApi.Reader;

namespace DeviceFeatures.Server.Tests.OpenApi;

/// <summary>
/// The documents describe what the server maps: every route under /admin/api and /device/v1, found among the running
/// server's endpoints (so a route added anywhere, the emulator's included, fails here until it is described), and
/// every action of the /v2 table.
/// </summary>
public abstract partial class ApiDocumentsTests(ServerFactory server)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private async Task<JsonElement> DocumentAsync(string name)
    {
        // Public: no admin key.
        using var client = server.CreateClient();
        using var response = await client.GetAsync($"/openapi/{name}.json", Ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<JsonElement>(Ct));
    }

    /// <summary>Every route endpoint of the running server whose pattern starts with <paramref name="prefix"/>, with its methods.</summary>
    private List<(string Path, string Method)> MappedRoutes(string prefix)
    {
        _ = server.CreateClient();
        var routes = new List<(string, string)>();
        foreach (var endpoint in server.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>())
        {
            var raw = "/" + endpoint.RoutePattern.RawText!.TrimStart('/');
            if (!raw.StartsWith(prefix, StringComparison.Ordinal))
            {
                continue;
            }

            var methods = endpoint.Metadata.GetMetadata<IHttpMethodMetadata>()?.HttpMethods;
            Assert.True(methods is { Count: > 0 }, $"{raw} is mapped for every method: map it with MapGet/MapPost/... so that it can be described.");
            foreach (var method in methods!)
            {
                routes.Add((OpenApiPath(raw), method.ToLowerInvariant()));
            }
        }

        return routes;
    }

    /// <summary><c>/admin/api/users/{userid:int}/</c> as OpenAPI writes it: <c>/admin/api/users/{userid}</c>.</summary>
    private static string OpenApiPath(string pattern)
    {
        var path = Parameter().Replace(pattern, m => "{" + m.Groups["name"].Value + "}");
        return path.Length > 1 ? path.TrimEnd('/') : path;
    }

    [GeneratedRegex(@"\{\**(?<name>[^}:=?]+)[^}]*\}")]
    private static partial Regex Parameter();

    [Theory]
    [InlineData(ApiDocuments.Admin, "/admin/api/")]
    [InlineData(ApiDocuments.Device, "/device/v1/")]
    public async Task EveryMappedRoute_IsDescribed(string document, string prefix)
    {
        var routes = MappedRoutes(prefix);
        Assert.NotEmpty(routes);
        var paths = (await DocumentAsync(document)).GetProperty("paths");

        var missing = routes.Where(r => !paths.TryGetProperty(r.Path, out var item) || !item.TryGetProperty(r.Method, out _))
            .Select(r => $"{r.Method.ToUpperInvariant()} {r.Path}").ToList();
        Assert.True(missing.Count == 0, $"Not in /openapi/{document}.json: {string.Join(", ", missing)}");
    }

    [Fact]
    public async Task AdminDocument_DescribesTheOperatorRoutesAnswers()
    {
        var document = await DocumentAsync(ApiDocuments.Admin);
        var paths = document.GetProperty("paths");
        Assert.Contains("OperatorList", paths.GetProperty("/admin/api/operators").GetProperty("get").GetProperty("responses").GetProperty("200").GetRawText(), StringComparison.Ordinal);
        Assert.Contains("OperatorAccount", paths.GetProperty("/admin/api/operators/{name}").GetProperty("patch").GetProperty("responses").GetProperty("200").GetRawText(), StringComparison.Ordinal);
        Assert.Contains("OperatorPassword", paths.GetProperty("/admin/api/operators/{name}/reset-password").GetProperty("post").GetProperty("responses").GetProperty("200").GetRawText(), StringComparison.Ordinal);
        var account = document.GetProperty("components").GetProperty("schemas").GetProperty("OperatorAccount").GetProperty("properties");
        Assert.True(account.TryGetProperty("locked_until", out _));
    }

    [Fact]
    public async Task AdminDocument_DescribesBodiesWithTheContracts_InSnakeCase()
    {
        var document = await DocumentAsync(ApiDocuments.Admin);
        var create = document.GetProperty("paths").GetProperty("/admin/api/partners").GetProperty("post");
        Assert.Contains("CreatedPartner", create.GetProperty("responses").GetProperty("201").GetRawText(), StringComparison.Ordinal);
        Assert.Contains("AdminProblem", create.GetProperty("responses").GetProperty("default").GetRawText(), StringComparison.Ordinal);

        var created = document.GetProperty("components").GetProperty("schemas").GetProperty("CreatedPartner").GetProperty("properties");
        Assert.Equal(["client_id", "client_secret", "name"], created.EnumerateObject().Select(p => p.Name).Order());
        var partner = document.GetProperty("components").GetProperty("schemas").GetProperty("Partner").GetProperty("properties");
        Assert.Equal("integer", partner.GetProperty("requests_per_minute").GetProperty("type").GetString());
    }

    [Fact]
    public async Task EveryWireAction_IsAnOperationOfItsOwn()
    {
        var paths = (await DocumentAsync(ApiDocuments.Wire)).GetProperty("paths");
        var services = WireEndpoints.Services(server.Services);
        var operationIds = new HashSet<string>();
        foreach (var service in services)
        {
            foreach (var action in service.Actions)
            {
                Assert.True(paths.TryGetProperty($"{service.Path}#{action.Name}", out var item), $"{service.Path} {action.Name} is not in wire.json");
                var operation = item.GetProperty("post");
                Assert.False(operation.TryGetProperty(WireDocumentTransformer.UndescribedMark, out _),
                    $"{service.Path} {action.Name} has no description in OpenApi/WireOperations.cs");
                Assert.True(operationIds.Add(operation.GetProperty("operationId").GetString()!));
                var form = operation.GetProperty("requestBody").GetProperty("content").GetProperty("application/x-www-form-urlencoded").GetProperty("schema");
                Assert.Equal(action.Name, form.GetProperty("properties").GetProperty("action").GetProperty("enum")[0].GetString());
                var envelope = operation.GetProperty("responses").GetProperty("200").GetProperty("content").GetProperty("application/json")
                    .GetProperty("schema").GetProperty("properties");
                Assert.Equal(["body", "error", "status"], envelope.EnumerateObject().Select(p => p.Name).Order());
            }
        }

        Assert.Equal(services.Sum(s => s.Actions.Count), paths.EnumerateObject().Count());
    }

    [Fact]
    public async Task WireDocument_UsesWithingsNames_DescribesGetfeatures_AndMarksOurExtensions()
    {
        var paths = (await DocumentAsync(ApiDocuments.Wire)).GetProperty("paths");
        var enable = paths.GetProperty("/v2/device#enablefeature").GetProperty("post");
        Assert.Equal("devicev2-enablefeature", enable.GetProperty("operationId").GetString());
        var form = enable.GetProperty("requestBody").GetProperty("content").GetProperty("application/x-www-form-urlencoded").GetProperty("schema");
        Assert.Equal(["action", "client_id", "feature_name", "model", "nonce", "signature", "userid"],
            form.GetProperty("required").EnumerateArray().Select(e => e.GetString()!).Order());

        var getFeatures = paths.GetProperty("/v2/device#getfeatures").GetProperty("post");
        var body = getFeatures.GetProperty("responses").GetProperty("200").GetProperty("content").GetProperty("application/json")
            .GetProperty("schema").GetProperty("properties").GetProperty("body");
        var entry = body.GetProperty("properties").GetProperty("features").GetProperty("items").GetProperty("properties");
        Assert.Equal(["active", "feature_name"], entry.EnumerateObject().Select(p => p.Name).Order());
        Assert.False(getFeatures.TryGetProperty(WireDocumentTransformer.ExtensionMark, out _));

        Assert.True(paths.GetProperty("/v2/device#getfeaturestatus").GetProperty("post").GetProperty(WireDocumentTransformer.ExtensionMark).GetBoolean());
        Assert.True(paths.GetProperty("/v2/user#getdevice").GetProperty("post").TryGetProperty("security", out _));
    }

    [Theory]
    [InlineData(ApiDocuments.Admin)]
    [InlineData(ApiDocuments.Wire)]
    [InlineData(ApiDocuments.Device)]
    public async Task Document_ReadsAsOpenApi_WithoutErrors(string name)
    {
        using var client = server.CreateClient();
        await using var stream = await client.GetStreamAsync($"/openapi/{name}.json", Ct);
        var result = await OpenApiDocument.LoadAsync(stream, "json", new OpenApiReaderSettings(), Ct);

        Assert.Empty(result.Diagnostic?.Errors ?? []);
        Assert.NotNull(result.Document);
        Assert.NotEmpty(result.Document.Paths);
    }

    [Fact]
    public async Task Scalar_ServesItsPageAndAssets_FromTheServer()
    {
        using var client = server.CreateClient();
        using var page = await client.GetAsync("/scalar/", Ct);
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Equal("text/html", page.Content.Headers.ContentType?.MediaType);
        var html = await page.Content.ReadAsStringAsync(Ct);
        Assert.Contains("openapi/wire.json", html, StringComparison.Ordinal);
        Assert.Contains("openapi/admin.json", html, StringComparison.Ordinal);
        // Its script is the package's own, not a CDN's, and it asks for no fonts or telemetry from elsewhere.
        Assert.Contains("<script src=\"scalar.js\">", html, StringComparison.Ordinal);
        Assert.Contains("\"withDefaultFonts\":false", html, StringComparison.Ordinal);
        Assert.Contains("\"telemetry\":false", html, StringComparison.Ordinal);
        Assert.DoesNotContain("https://", html, StringComparison.Ordinal);

        using var script = await client.GetAsync("/scalar/scalar.js", Ct);
        Assert.Equal(HttpStatusCode.OK, script.StatusCode);
    }
}

public sealed class ApiDocumentsTestsOnSqlite(SqliteServer server) : ApiDocumentsTests(server), IClassFixture<SqliteServer>;

[NeedsPostgres]
public sealed class ApiDocumentsTestsOnPostgres(PostgresServer server) : ApiDocumentsTests(server.OrSkip()), IClassFixture<PostgresServer>;
