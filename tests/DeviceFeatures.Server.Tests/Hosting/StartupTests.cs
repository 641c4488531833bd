using System.Net;
using System.Net.Http.Headers;
using DeviceFeatures.Server.Tests.Infrastructure;

namespace DeviceFeatures.Server.Tests.Hosting;

public abstract class StartupTests : OwnServerTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task CatalogPath_ReplacesTheEmbeddedCatalog()
    {
        var file = Path.Combine(Path.GetTempPath(), $"catalog-{Guid.NewGuid():n}.json");
        await File.WriteAllTextAsync(file, """
            {"models":[{"id":17,"name":"Body Pro 2"}],
             "features":[{"name":"feature_custom","description":"A custom feature.","models":[17],"default_on":false}]}
            """, Ct);
        using var server = NewServer();
        server.Settings["Catalog:Path"] = file;
        var partner = await server.CreatePartnerAsync((17, "EU"));

        Assert.Equal(0, (await partner.EnableAsync("feature_custom")).Status);
        Assert.Equal(504, (await partner.EnableAsync("feature_pacemaker")).Status);
    }

    [Fact]
    public async Task AdminKey_WhenNotConfigured_IsGeneratedPrintedOnceAndKeptAsHash()
    {
        using var database = NewDatabase();
        var output = new StringWriter();
        var original = Console.Out;
        string key;
        Console.SetOut(output);
        try
        {
            using (var first = new GeneratedKeyServer(database))
            {
                _ = first.Server;
            }

            const string Export = "export ADMIN_KEY=";
            key = output.ToString().Split('\n').Select(l => l.Trim()).Single(l => l.StartsWith(Export, StringComparison.Ordinal))[Export.Length..];
            Assert.StartsWith("dfadm_", key, StringComparison.Ordinal);
            using var second = new GeneratedKeyServer(database);
            _ = second.Server;
            Assert.Single(output.ToString().Split('\n'), l => l.Contains("dfadm_", StringComparison.Ordinal));

            using var client = second.CreateClient();
            Assert.Equal(HttpStatusCode.Unauthorized, (await client.GetAsync("/admin/api/partners", Ct)).StatusCode);
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
            Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/admin/api/partners", Ct)).StatusCode);

            var stored = Sql.Scalar(second, "SELECT COUNT(*) FROM settings WHERE name = 'admin_key_sha256' AND length(value) = 64");
            Assert.Equal(1, stored);
            Assert.Equal(0, Sql.Scalar(second, $"SELECT COUNT(*) FROM settings WHERE value LIKE '%{key}%'"));
        }
        finally
        {
            Console.SetOut(original);
        }
    }

    [Fact]
    public async Task DemoSeed_InDevelopment_CreatesAWorkingPartnerAndPrintsTheWalkthrough()
    {
        var output = new StringWriter();
        var original = Console.Out;
        Console.SetOut(output);
        try
        {
            using var server = NewServer();
            server.Environment = "Development";
            _ = server.Server;
            var text = output.ToString();
            Assert.Contains("client_id:     demo-partner", text);
            Assert.Contains("openssl dgst -sha256 -hmac", text);
            Assert.Contains("-d userid=1 -d model=17", text);

            var demo = new TestPartner(server, "demo-partner", "demo-secret", 1);
            Assert.Equal(0, (await demo.EnableAsync("feature_eyes_closed_mode")).Status);
            Assert.Equal(0, (await demo.EnableAsync("feature_retake_low_htn", model: 47)).Status);
        }
        finally
        {
            Console.SetOut(original);
        }
    }

    private sealed class GeneratedKeyServer(TestDatabase database) : ServerFactory(database, NewClock())
    {
        protected override void ConfigureWebHost(Microsoft.AspNetCore.Hosting.IWebHostBuilder builder)
        {
            base.ConfigureWebHost(builder);
            builder.UseSetting("Admin:ApiKey", "");
        }
    }
}

public sealed class StartupTestsOnSqlite : StartupTests
{
    protected override TestDatabase NewDatabase() => new SqliteTestDatabase();
}

public sealed class StartupTestsOnPostgres : StartupTests
{
    public StartupTestsOnPostgres() => PostgresTestDatabase.SkipUnlessConfigured();

    protected override TestDatabase NewDatabase() => new PostgresTestDatabase();
}
