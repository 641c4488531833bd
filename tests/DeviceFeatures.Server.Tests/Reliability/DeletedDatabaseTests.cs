using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using DeviceFeatures.Server.Tests.Infrastructure;
using DeviceFeatures.Server.Tests.Reliability.PowerCut;

namespace DeviceFeatures.Server.Tests.Reliability;

/// <summary>
/// SQLite files deleted while the server runs: the server still has them open and SQLite would go on committing into
/// files nobody will find again. Every change must be refused (522 / 503) from then on, readiness must say why, and the
/// files, put back, must hold every change that was acknowledged.
/// </summary>
public sealed class DeletedDatabaseTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task FilesDeletedWhileRunning_ChangesAreRefused_ReadinessIs503_AndNothingAcknowledgedIsLost_OnSqlite()
    {
        using var files = new PowerCutTests.Folders();
        var port = ServerProcess.FreePort();
        await using var server = await ServerProcess.StartAsync(files.Settings, port, Ct);
        using var http = new HttpClient { BaseAddress = server.BaseAddress, Timeout = TimeSpan.FromSeconds(10) };
        var (clientId, secret) = await CrashSafetyTests.CreatePartnerAsync(http);
        var user = await CrashSafetyTests.CreateUserAsync(http, clientId);
        Assert.Equal(0, (await CrashSafetyTests.CallAsync(http, clientId, secret, user, "feature_pwv", true, Ct))?.Status);
        Assert.Equal(0, (await CrashSafetyTests.CallAsync(http, clientId, secret, user, "feature_fat_mass", true, Ct))?.Status);

        // The files go from the folder; a second name elsewhere keeps their content (as a move away would), so that
        // what the server acknowledged can be checked afterwards.
        var kept = Directory.CreateDirectory(Path.Combine(files.Data, "..", "kept")).FullName;
        var names = Directory.GetFiles(files.Data).Select(Path.GetFileName).Where(n => n!.StartsWith("power.db", StringComparison.Ordinal) && !n.EndsWith(".lock", StringComparison.Ordinal)).ToList();
        Assert.Contains("power.db-wal", names);
        foreach (var name in names)
        {
            Assert.Equal(0, Link(Path.Combine(files.Data, name!), Path.Combine(kept, name!)));
            File.Delete(Path.Combine(files.Data, name!));
        }

        var refused = await CrashSafetyTests.CallAsync(http, clientId, secret, user, "feature_pacemaker", true, Ct);
        Assert.Equal(522, refused?.Status);
        var (status, reason) = await DiskFullTests.WaitForReadinessAsync(http, HttpStatusCode.ServiceUnavailable, "deleted or replaced");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, status);
        Assert.Contains("deleted or replaced", reason);
        using (var admin = await http.SendAsync(CrashSafetyTests.Admin(HttpMethod.Post, "/admin/api/partners", new { name = "Refused" }), Ct))
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, admin.StatusCode);
            Assert.Equal("database_unavailable", (await admin.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("code").GetString());
        }

        Assert.Contains("was deleted, moved or replaced while the server had it open", server.Output);

        // Back in place, the files hold every acknowledged change and none of the refused ones.
        await server.KillAsync();
        foreach (var name in names)
        {
            File.Move(Path.Combine(kept, name!), Path.Combine(files.Data, name!));
        }

        await using var restarted = await ServerProcess.StartAsync(files.Settings, port, Ct);
        var stored = await CrashSafetyTests.GetFeaturesAsync(http, clientId, secret, user);
        Assert.True(stored["feature_pwv"]);
        Assert.True(stored["feature_fat_mass"]);
        Assert.False(stored.GetValueOrDefault("feature_pacemaker"));
    }

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "link", SetLastError = true)]
    private static extern int Link([System.Runtime.InteropServices.MarshalAs(System.Runtime.InteropServices.UnmanagedType.LPUTF8Str)] string existing,
        [System.Runtime.InteropServices.MarshalAs(System.Runtime.InteropServices.UnmanagedType.LPUTF8Str)] string linked);
}
