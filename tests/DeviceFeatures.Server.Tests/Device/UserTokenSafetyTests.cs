using System.Net.Http.Json;
using System.Text.Json;
using DeviceFeatures.Protocol.Admin;
using DeviceFeatures.Protocol.Envelope;
using DeviceFeatures.Server.Tests.Infrastructure;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace DeviceFeatures.Server.Tests.Device;

/// <summary>The token calls under a quota, and the server's logs around codes and tokens.</summary>
public abstract class UserTokenSafetyTests : OwnServerTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static async Task<(TestPartner Partner, string Code)> ActivateAsync(ServerFactory server, string? recoveryCode = null)
    {
        var partner = await server.CreatePartnerAsync();
        var mac = ServerFactory.RandomMac();
        using (var admin = server.CreateAdminClient())
        {
            using var imported = await admin.PostAsJsonAsync("/admin/api/devices/import",
                new ImportDevicesRequest([new DeviceImportRow(mac, 17, "EU", null, partner.ClientId)]), AdminJsonContext.Default.ImportDevicesRequest, Ct);
            imported.EnsureSuccessStatusCode();
        }

        var profile = new Dictionary<string, string>
        {
            ["mailingpref"] = "false", ["birthdate"] = "631152000", ["gender"] = "0", ["preflang"] = "en_EN", ["email"] = "a@example.com",
            ["measures"] = """[{"value":180,"unit":-2,"type":4},{"value":80,"unit":0,"type":1}]""",
            ["unit_pref"] = """{"weight":1,"height":6,"distance":6,"temperature":11}""", ["timezone"] = "Europe/Paris", ["shortname"] = "AAA",
            ["external_id"] = Guid.NewGuid().ToString(), ["mac_addresses"] = JsonSerializer.Serialize(new[] { mac }),
        };
        if (recoveryCode is not null)
        {
            profile["recovery_code"] = recoveryCode;
        }

        var answer = await partner.PostFormAsync("/v2/user", await partner.SignedAsync("activate", profile));
        Assert.True(answer.Status == 0, answer.Error);
        return (partner, answer.Body.GetProperty("user").GetProperty("code").GetString()!);
    }

    private static Task<WireAnswer> TokenAsync(TestPartner partner, string grant, string name, string value, string? secret = null) =>
        partner.PostFormAsync("/v2/oauth2", new()
        {
            ["action"] = "requesttoken", ["grant_type"] = grant, ["client_id"] = partner.ClientId, ["client_secret"] = secret ?? partner.ClientSecret,
            [name] = value, ["redirect_uri"] = "https://partner.example/",
        });

    private static async Task<WireAnswer> GetDeviceAsync(TestPartner partner, string accessToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v2/user") { Content = new FormUrlEncodedContent([new("action", "getdevice")]) };
        request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", accessToken);
        using var response = await partner.Http.SendAsync(request, Ct);
        return await TestPartner.ReadAsync(response);
    }

    [Fact]
    public async Task RequestTokenAndGetDevice_CountAgainstThePartnersQuota_AWrongSecretDoesNot()
    {
        using var server = NewServer();
        server.Settings["RateLimit:Enabled"] = "true";
        var (partner, code) = await ActivateAsync(server);
        using (var admin = server.CreateAdminClient())
        {
            using var quota = await admin.PutAsJsonAsync($"/admin/api/partners/{partner.ClientId}/rate-limit", new { requests_per_minute = 2 }, Ct);
            quota.EnsureSuccessStatusCode();
        }

        // The window of 09:00 already holds getnonce and activate: the minute is used up.
        server.Time.Advance(TimeSpan.FromMinutes(1));
        Assert.Equal(277, (await TokenAsync(partner, "authorization_code", "code", code, secret: "wrong")).Status);
        var tokens = await TokenAsync(partner, "authorization_code", "code", code);
        Assert.Equal(0, tokens.Status);
        var access = tokens.Body.GetProperty("access_token").GetString()!;
        Assert.Equal(0, (await GetDeviceAsync(partner, access)).Status);

        var limited = await GetDeviceAsync(partner, access);
        Assert.Equal(601, limited.Status);
        Assert.Equal(601, (await TokenAsync(partner, "refresh_token", "refresh_token", tokens.Body.GetProperty("refresh_token").GetString()!)).Status);

        server.Time.Advance(TimeSpan.FromMinutes(1));
        // The 601 spent nothing: the refresh token still works.
        Assert.Equal(0, (await TokenAsync(partner, "refresh_token", "refresh_token", tokens.Body.GetProperty("refresh_token").GetString()!)).Status);
    }

    [Fact]
    public async Task Logs_EvenAtTrace_HoldNoCodeTokenSecretOrRecoveryCode()
    {
        var logs = new CapturingLoggerProvider();
        using var server = new LoggingServer(NewDatabase(), logs);
        var (partner, code) = await ActivateAsync(server, recoveryCode: "my-recovery-code");
        var tokens = (await TokenAsync(partner, "authorization_code", "code", code)).Body;
        var access = tokens.GetProperty("access_token").GetString()!;
        var refresh = tokens.GetProperty("refresh_token").GetString()!;
        await GetDeviceAsync(partner, access);
        var renewed = (await TokenAsync(partner, "refresh_token", "refresh_token", refresh)).Body;
        await TokenAsync(partner, "refresh_token", "refresh_token", refresh);
        await TokenAsync(partner, "authorization_code", "code", code, secret: partner.ClientSecret + "x");

        var all = string.Join("\n", logs.Lines);
        Assert.NotEmpty(logs.Lines);
        foreach (var secret in new[]
        {
            code, access, refresh, renewed.GetProperty("access_token").GetString()!, renewed.GetProperty("refresh_token").GetString()!,
            partner.ClientSecret, "my-recovery-code",
        })
        {
            Assert.DoesNotContain(secret, all);
        }
    }

    [Fact]
    public async Task ExpiredCodesAndTokens_AreSweptAway()
    {
        using var server = NewServer();
        var (partner, code) = await ActivateAsync(server);
        var (_, unused) = await ActivateAsync(server);
        Assert.Equal(0, (await TokenAsync(partner, "authorization_code", "code", code)).Status);
        Assert.Equal(2, Sql.Scalar(server, "SELECT COUNT(*) FROM oauth_codes"));
        Assert.Equal(2, Sql.Scalar(server, "SELECT COUNT(*) FROM oauth_tokens"));
        var janitor = server.Services.GetServices<Microsoft.Extensions.Hosting.IHostedService>()
            .OfType<DeviceFeatures.Server.OAuth.OAuthJanitor>().Single();

        // Expired a day ago, the codes (10 minutes) and the access token (3 hours) go: only the refresh token is left.
        server.Time.Advance(TimeSpan.FromHours(3) + TimeSpan.FromDays(1) - TimeSpan.FromSeconds(1));
        await janitor.SweepAsync(Ct);
        Assert.Equal(1, Sql.Scalar(server, "SELECT COUNT(*) FROM oauth_tokens WHERE kind = 'access'"));
        server.Time.Advance(TimeSpan.FromSeconds(1));
        await janitor.SweepAsync(Ct);
        Assert.Equal(0, Sql.Scalar(server, "SELECT COUNT(*) FROM oauth_codes"));
        Assert.Equal(1, Sql.Scalar(server, "SELECT COUNT(*) FROM oauth_tokens WHERE kind = 'refresh'"));
        Assert.Equal(0, Sql.Scalar(server, "SELECT COUNT(*) FROM oauth_tokens WHERE kind = 'access'"));
        Assert.NotEmpty(unused);
    }

    private sealed class LoggingServer(TestDatabase database, CapturingLoggerProvider logs)
        : ServerFactory(database, NewClock(), ownsDatabase: true)
    {
        protected override void ConfigureWebHost(Microsoft.AspNetCore.Hosting.IWebHostBuilder builder)
        {
            base.ConfigureWebHost(builder);
            builder.UseSetting("Logging:LogLevel:Default", "Trace");
            builder.UseSetting("Logging:LogLevel:Microsoft.AspNetCore", "Trace");
            builder.UseSetting("Logging:Capture:LogLevel:Default", "Trace");
            builder.ConfigureTestServices(services => services.AddSingleton<ILoggerProvider>(logs));
        }
    }
}

public sealed class UserTokenSafetyTestsOnSqlite : UserTokenSafetyTests
{
    protected override TestDatabase NewDatabase() => new SqliteTestDatabase();
}

[NeedsPostgres]
public sealed class UserTokenSafetyTestsOnPostgres : UserTokenSafetyTests
{
    public UserTokenSafetyTestsOnPostgres() => PostgresTestDatabase.SkipUnlessConfigured();

    protected override TestDatabase NewDatabase() => new PostgresTestDatabase();
}
