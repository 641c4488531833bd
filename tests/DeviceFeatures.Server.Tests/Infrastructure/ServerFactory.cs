using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace DeviceFeatures.Server.Tests.Infrastructure;

/// <summary>
/// The real server on a test database, with a fake clock and a known admin key. Two factories given the same
/// <see cref="TestDatabase"/> are a restart, or two instances of one deployment.
/// </summary>
public class ServerFactory(TestDatabase database, FakeTimeProvider time, bool ownsDatabase = false) : WebApplicationFactory<Program>
{
    public const string AdminKey = "test-admin-key-for-the-server-tests";

    public TestDatabase Database { get; } = database;

    public FakeTimeProvider Time { get; } = time;

    public Dictionary<string, string?> Settings { get; } = new();

    public string Environment { get; set; } = "Testing";

    public static FakeTimeProvider NewClock() => new(new DateTimeOffset(2026, 11, 24, 9, 0, 0, TimeSpan.Zero));

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment(Environment);
        builder.UseSetting("Storage:Provider", Database.Provider);
        builder.UseSetting("Storage:ConnectionString", Database.ConnectionString);
        builder.UseSetting("Admin:ApiKey", AdminKey);

        // Suites send far more than a partner's quota; the rate-limit tests switch it back on.
        builder.UseSetting("RateLimit:Enabled", "false");
        foreach (var (key, value) in Settings)
        {
            builder.UseSetting(key, value);
        }

        builder.ConfigureTestServices(services => services.AddSingleton<TimeProvider>(Time));
    }

    public HttpClient CreateAdminClient()
    {
        var client = CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", AdminKey);
        return client;
    }

    /// <summary>A new partner and one user with the given devices (by default an EU Body Pro 2 and a BPM Pro 2).</summary>
    public async Task<TestPartner> CreatePartnerAsync(params (int Model, string Market)[] devices)
    {
        using var admin = CreateAdminClient();
        var response = await admin.PostAsJsonAsync("/admin/api/partners", new { name = "Test partner" }, TestContext.Current.CancellationToken);
        response.EnsureSuccessStatusCode();
        var partner = await response.Content.ReadFromJsonAsync<JsonElement>(TestContext.Current.CancellationToken);
        var clientId = partner.GetProperty("client_id").GetString()!;
        var secret = partner.GetProperty("client_secret").GetString()!;
        var userId = await CreateUserAsync(clientId, devices.Length == 0 ? [(17, "EU"), (47, "EU")] : devices);
        return new TestPartner(this, clientId, secret, userId);
    }

    public async Task<int> CreateUserAsync(string clientId, params (int Model, string Market)[] devices)
    {
        using var admin = CreateAdminClient();
        var response = await admin.PostAsJsonAsync("/admin/api/users", new
        {
            client_id = clientId,
            devices = devices.Select(d => new { mac_address = RandomMac(), model = d.Model, market = d.Market }).ToArray(),
        }, TestContext.Current.CancellationToken);
        response.EnsureSuccessStatusCode();
        var user = await response.Content.ReadFromJsonAsync<JsonElement>(TestContext.Current.CancellationToken);
        return user.GetProperty("userid").GetInt32();
    }

    public static string RandomMac() =>
        string.Join(':', Guid.NewGuid().ToByteArray().Take(6).Select(b => b.ToString("x2", System.Globalization.CultureInfo.InvariantCulture)));

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        if (disposing && ownsDatabase)
        {
            Database.Dispose();
        }
    }
}

/// <summary>A server on a fresh SQLite file of its own: the class fixture of the SQLite half of each suite.</summary>
public sealed class SqliteServer() : ServerFactory(new SqliteTestDatabase(), NewClock(), ownsDatabase: true);

/// <summary>
/// A server on a fresh PostgreSQL database of its own: the class fixture of the PostgreSQL half of each suite.
/// Nothing touches PostgreSQL until the server starts, so the fixture can be built where no server is configured.
/// </summary>
public sealed class PostgresServer() : ServerFactory(new PostgresTestDatabase(), NewClock(), ownsDatabase: true)
{
    /// <summary>This server, once the calling test is known to have PostgreSQL; otherwise the test is skipped.</summary>
    public PostgresServer OrSkip()
    {
        PostgresTestDatabase.SkipUnlessConfigured();
        return this;
    }
}
