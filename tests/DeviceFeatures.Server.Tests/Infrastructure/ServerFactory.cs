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
/// The real server on a fresh SQLite file of its own, with a fake clock and a known admin key.
/// Give two factories the same <see cref="DatabasePath"/> to see state survive a restart.
/// </summary>
public class ServerFactory : WebApplicationFactory<Program>
{
    public const string AdminKey = "test-admin-key";

    public ServerFactory()
        : this(NewDatabasePath(), new FakeTimeProvider(new DateTimeOffset(2026, 11, 24, 9, 0, 0, TimeSpan.Zero)))
    {
    }

    internal ServerFactory(string databasePath, FakeTimeProvider time)
    {
        DatabasePath = databasePath;
        Time = time;
    }

    public string DatabasePath { get; }

    public FakeTimeProvider Time { get; }

    public Dictionary<string, string?> Settings { get; } = new();

    public string Environment { get; set; } = "Testing";

    public static string NewDatabasePath() =>
        Path.Combine(Path.GetTempPath(), "devicefeatures-tests", Guid.NewGuid().ToString("n"), "test.db");

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment(Environment);
        builder.UseSetting("Storage:ConnectionString", $"Data Source={DatabasePath}");
        builder.UseSetting("Admin:ApiKey", AdminKey);
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
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
    }
}
