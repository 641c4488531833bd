using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using DeviceFeatures.Server.Tests.Infrastructure;
using DeviceFeatures.Server.Tests.Reliability.PowerCut;

namespace DeviceFeatures.Server.Tests.Reliability;

/// <summary>
/// A full disk leaves reads working and fails every change. Readiness must say so (it makes a small write of its own),
/// changes must answer 522 (503 on the admin API) with nothing acknowledged, and once space is freed both must come
/// back without a restart. On SQLite the disk fills for real, below the server (<c>powercut.c</c> answers ENOSPC to
/// every write under the database's folder); on PostgreSQL a trigger raises PostgreSQL's own <c>disk_full</c> (53100)
/// from the tables a change writes.
/// </summary>
public sealed class DiskFullTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task DiskFull_ChangesAnswer522_ReadinessIs503_AndBothRecoverOnceSpaceIsFreed_OnSqlite()
    {
        using var files = new PowerCutTests.Folders();
        var environment = PowerCutShim.Environment(files.Data, fullFlag: files.FullFlag);
        var port = ServerProcess.FreePort();
        await using var server = await ServerProcess.StartAsync(files.Settings, port, Ct, environment);
        using var http = new HttpClient { BaseAddress = server.BaseAddress, Timeout = TimeSpan.FromSeconds(10) };
        var (clientId, secret) = await CrashSafetyTests.CreatePartnerAsync(http);
        var user = await CrashSafetyTests.CreateUserAsync(http, clientId);
        Assert.Equal(0, (await CrashSafetyTests.CallAsync(http, clientId, secret, user, "feature_pwv", true, Ct))?.Status);

        File.WriteAllText(files.FullFlag, "");
        Assert.Equal(522, (await CrashSafetyTests.CallAsync(http, clientId, secret, user, "feature_pacemaker", true, Ct))?.Status);
        var (status, reason) = await WaitForReadinessAsync(http, HttpStatusCode.ServiceUnavailable, "disk is full");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, status);
        Assert.Contains("disk is full", reason);
        using (var admin = await http.SendAsync(CrashSafetyTests.Admin(HttpMethod.Post, "/admin/api/partners", new { name = "Refused" }), Ct))
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, admin.StatusCode);
            Assert.Equal("database_unavailable", (await admin.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("code").GetString());
        }

        // Space is freed: readiness comes back by itself within its probe interval, and so do changes.
        File.Delete(files.FullFlag);
        (status, reason) = await WaitForReadinessAsync(http, HttpStatusCode.OK);
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("the database accepts changes", reason);
        Assert.Equal(0, (await CrashSafetyTests.CallAsync(http, clientId, secret, user, "feature_fat_mass", true, Ct))?.Status);

        // After a kill, what was acknowledged is there and what was refused is not.
        await server.KillAsync();
        await using var restarted = await ServerProcess.StartAsync(files.Settings, port, Ct, environment);
        var stored = await CrashSafetyTests.GetFeaturesAsync(http, clientId, secret, user);
        Assert.True(stored["feature_pwv"]);
        Assert.True(stored["feature_fat_mass"]);
        Assert.False(stored.GetValueOrDefault("feature_pacemaker"));
        Assert.Equal("ok", PowerCutTests.IntegrityCheck(files.Database));
    }

    /// <summary>
    /// Asks for readiness until it answers <paramref name="wanted"/>, with a reason containing <paramref name="because"/>
    /// when given (the probe writes at most once a second), for at most 20 s. On a busy machine a probe can outlast its
    /// 3 s bound and say "the database does not answer" once before the next one says why.
    /// </summary>
    internal static async Task<(HttpStatusCode Status, string Reason)> WaitForReadinessAsync(HttpClient http, HttpStatusCode wanted, string? because = null)
    {
        var deadline = Environment.TickCount64 + 20_000;
        while (true)
        {
            using var ready = await http.GetAsync("/health/ready", Ct);
            var reason = (await ready.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("checks").GetProperty("storage").GetString()!;
            if ((ready.StatusCode == wanted && (because is null || reason.Contains(because, StringComparison.Ordinal))) || Environment.TickCount64 > deadline)
            {
                return (ready.StatusCode, reason);
            }

            await Task.Delay(100, Ct);
        }
    }
}

/// <summary>PostgreSQL's <c>disk_full</c> (53100), raised by a trigger on the tables every change writes.</summary>
[NeedsPostgres]
public sealed class DiskFullOnPostgresTests
{
    private const string Fill = """
        CREATE FUNCTION df_test_disk_full() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN RAISE EXCEPTION 'could not extend file: No space left on device' USING ERRCODE = '53100'; END $$;
        CREATE TRIGGER df_test_disk_full BEFORE INSERT OR UPDATE ON write_probe FOR EACH ROW EXECUTE FUNCTION df_test_disk_full();
        CREATE TRIGGER df_test_disk_full BEFORE INSERT OR UPDATE ON used_nonces FOR EACH ROW EXECUTE FUNCTION df_test_disk_full();
        CREATE TRIGGER df_test_disk_full BEFORE INSERT OR UPDATE ON partners FOR EACH ROW EXECUTE FUNCTION df_test_disk_full();
        """;

    private const string Free = """
        DROP TRIGGER df_test_disk_full ON write_probe;
        DROP TRIGGER df_test_disk_full ON used_nonces;
        DROP TRIGGER df_test_disk_full ON partners;
        DROP FUNCTION df_test_disk_full();
        """;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public DiskFullOnPostgresTests() => PostgresTestDatabase.SkipUnlessConfigured();

    [Fact]
    public async Task DiskFull_ChangesAnswer522_ReadinessIs503_AndBothRecoverOnceSpaceIsFreed_OnPostgres()
    {
        using var server = new PostgresServer();
        var partner = await server.CreatePartnerAsync();
        using var client = server.CreateClient();
        using var admin = server.CreateAdminClient();
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/health/ready", Ct)).StatusCode);

        Sql.Execute(server.Database, Fill);
        Assert.Equal(522, (await partner.EnableAsync("feature_pwv")).Status);
        using (var ready = await client.GetAsync("/health/ready", Ct))
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);
            Assert.Contains("disk is full", (await ready.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("checks").GetProperty("storage").GetString());
        }

        using (var refused = await admin.PostAsJsonAsync("/admin/api/partners", new { name = "Refused" }, Ct))
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, refused.StatusCode);
            Assert.Equal("database_unavailable", (await refused.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("code").GetString());
        }

        // Still full a probe interval later: the probe itself is refused.
        server.Time.Advance(TimeSpan.FromSeconds(2));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, (await client.GetAsync("/health/ready", Ct)).StatusCode);

        Sql.Execute(server.Database, Free);
        server.Time.Advance(TimeSpan.FromSeconds(2));
        using (var ready = await client.GetAsync("/health/ready", Ct))
        {
            Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
            Assert.Equal("the database accepts changes", (await ready.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("checks").GetProperty("storage").GetString());
        }

        Assert.Equal(0, (await partner.EnableAsync("feature_pwv")).Status);
        Assert.True((await partner.GetFeaturesAsync())["feature_pwv"]);
    }
}
