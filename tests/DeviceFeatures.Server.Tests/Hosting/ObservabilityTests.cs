using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using DeviceFeatures.Protocol.Signing;
using DeviceFeatures.Server.Tests.Infrastructure;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace DeviceFeatures.Server.Tests.Hosting;

/// <summary>
/// Meters are matched by name across the whole process, so the metric tests run alone: other servers' requests
/// would otherwise show up in their counts.
/// </summary>
[CollectionDefinition(nameof(ObservabilityTests), DisableParallelization = true)]
public sealed class ObservabilityTestGroup;

[Collection(nameof(ObservabilityTests))]
public sealed class ObservabilityTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task HealthReady_SaysTheDatabaseAnswers()
    {
        using var server = new SqliteServer();
        using var client = server.CreateClient();
        using var live = await client.GetAsync("/health/live", Ct);
        Assert.Equal(HttpStatusCode.OK, live.StatusCode);

        using var ready = await client.GetAsync("/health/ready", Ct);
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        var body = await ready.Content.ReadFromJsonAsync<JsonElement>(Ct);
        Assert.Equal("ready", body.GetProperty("status").GetString());
    }

    [Fact]
    public async Task HealthReady_WhenTheDatabaseIsGone_IsUnavailable()
    {
        using var server = new SqliteServer();
        using var client = server.CreateClient();
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/health/ready", Ct)).StatusCode);

        // Replace the database file with a directory: the next connection cannot open it.
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        foreach (var file in Directory.GetFiles(Path.GetDirectoryName(DatabaseFile(server))!))
        {
            File.Delete(file);
        }

        Directory.CreateDirectory(DatabaseFile(server));
        using var ready = await client.GetAsync("/health/ready", Ct);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);
        Assert.Equal("unready", (await ready.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("status").GetString());
    }

    [Fact]
    public async Task Metrics_CountAnswersAndNonces_InPrometheusFormat()
    {
        using var server = new SqliteServer();
        var partner = await server.CreatePartnerAsync();
        await partner.EnableAsync("feature_pwv");
        await partner.EnableAsync("feature_time_travel");
        var signed = await partner.SignedAsync("enablefeature", TestPartner.Feature(partner.UserId, 17, "feature_pwv"));
        await partner.PostFormAsync("/v2/device", signed);
        await partner.PostFormAsync("/v2/device", signed);

        using var client = server.CreateClient();
        var text = await client.GetStringAsync("/metrics", Ct);
        Assert.Contains("devicefeatures_wire_requests", text);
        Assert.Matches("devicefeatures_wire_requests_total\\{[^}]*action=\"enablefeature\"[^}]*status=\"504\"[^}]*\\} 1", text);
        Assert.Matches("devicefeatures_nonces_issued_total(\\{[^}]*\\})? 3\\b", text);
        Assert.Matches("devicefeatures_nonces_used_total(\\{[^}]*\\})? 3\\b", text);
        Assert.Matches("devicefeatures_nonces_refused_total\\{[^}]*reason=\"used\"[^}]*\\} 1", text);
        Assert.Contains("devicefeatures_write_duration_milliseconds_bucket", text);
        Assert.Contains("http_server_request_duration", text);
        Assert.Contains("dotnet_gc_heap_total_allocated_bytes_total", text);

        // Sent one at a time, every write had a commit of its own: the partner, the user and 4 signed calls at least.
        var commits = long.Parse(Assert.Single(Regex.Matches(text, "devicefeatures_sqlite_commit_writes_count\\{[^}]*\\} ([0-9]+)")).Groups[1].Value, CultureInfo.InvariantCulture);
        var writes = long.Parse(Assert.Single(Regex.Matches(text, "devicefeatures_sqlite_commit_writes_sum\\{[^}]*\\} ([0-9]+)")).Groups[1].Value, CultureInfo.InvariantCulture);
        Assert.True(commits >= 6, $"{commits} commits");
        Assert.InRange(writes, commits, commits + 2);
    }

    [Fact]
    public async Task Metrics_DoNotTakeActionNamesFromCallers()
    {
        using var server = new SqliteServer();
        var partner = await server.CreatePartnerAsync();
        for (var i = 0; i < 3; i++)
        {
            await partner.PostFormAsync("/v2/device", new() { ["action"] = $"made_up_{i}" });
        }

        using var client = server.CreateClient();
        var text = await client.GetStringAsync("/metrics", Ct);
        Assert.DoesNotContain("made_up_", text);
        Assert.Matches("devicefeatures_wire_requests_total\\{[^}]*action=\"other\"[^}]*status=\"2554\"[^}]*\\} 3", text);
    }

    [Fact]
    public async Task Answers_CarryTheRequestId()
    {
        using var server = new SqliteServer();
        using var client = server.CreateClient();
        using var response = await client.PostAsync("/v2/device", new FormUrlEncodedContent([new("action", "nope")]), Ct);
        Assert.False(string.IsNullOrEmpty(response.Headers.GetValues("X-Request-Id").Single()));
    }

    [Fact]
    public async Task Logs_EvenAtTrace_HoldNoSecretSignatureOrNonce()
    {
        var logs = new CapturingLoggerProvider();
        using var server = new LoggingServer(logs);
        var partner = await server.CreatePartnerAsync();

        var ts = partner.Now.ToString(CultureInfo.InvariantCulture);
        var nonceSignature = WithingsSignature.Sign(partner.ClientSecret, "getnonce", partner.ClientId, ts);
        using var get = await partner.Http.GetAsync(
            $"/v2/signature?action=getnonce&client_id={partner.ClientId}&timestamp={ts}&signature={nonceSignature}", Ct);
        var signed = await partner.SignedAsync("enablefeature", TestPartner.Feature(partner.UserId, 17, "feature_pwv"));
        await partner.PostFormAsync("/v2/device", signed);
        await partner.PostFormAsync("/v2/device", new Dictionary<string, string>(signed) { ["signature"] = new string('a', 64) });

        using var admin = server.CreateAdminClient();
        using var rotated = await admin.PostAsync($"/admin/api/partners/{partner.ClientId}/rotate-secret", null, Ct);
        var newSecret = (await rotated.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("client_secret").GetString()!;
        using var wrongKey = server.CreateClient();
        wrongKey.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", "guessed-admin-key");
        await wrongKey.GetAsync("/admin/api/partners", Ct);

        var all = string.Join("\n", logs.Lines);
        Assert.NotEmpty(logs.Lines);
        foreach (var secret in new[] { partner.ClientSecret, newSecret, nonceSignature, signed["signature"], signed["nonce"], ServerFactory.AdminKey, "guessed-admin-key" })
        {
            Assert.DoesNotContain(secret, all);
        }
    }

    private static string DatabaseFile(ServerFactory server) => ((SqliteTestDatabase)server.Database).Path;

    private sealed class LoggingServer(CapturingLoggerProvider logs)
        : ServerFactory(new SqliteTestDatabase(), NewClock(), ownsDatabase: true)
    {
        protected override void ConfigureWebHost(Microsoft.AspNetCore.Hosting.IWebHostBuilder builder)
        {
            base.ConfigureWebHost(builder);
            builder.UseSetting("Logging:LogLevel:Default", "Trace");
            builder.UseSetting("Logging:LogLevel:Microsoft.AspNetCore", "Trace");

            // A rule naming the provider outranks the server's own rules unless they name it too.
            builder.UseSetting("Logging:Capture:LogLevel:Default", "Trace");
            builder.ConfigureTestServices(services => services.AddSingleton<ILoggerProvider>(logs));
        }
    }
}
