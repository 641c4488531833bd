using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using DeviceFeatures.Protocol.Admin;
using DeviceFeatures.Protocol.Status;
using DeviceFeatures.Server.Tests.Infrastructure;

namespace DeviceFeatures.Server.Tests.Emulator;

/// <summary>The admin API's clock on a real <see cref="Server.Emulator.EmulatorClock"/>: what it moves forward expires.</summary>
public abstract class EmulatorClockTests(EmulatorServer server)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static async Task<EmulatorClockState> AdvanceAsync(HttpClient admin, AdvanceClockRequest request)
    {
        using var response = await admin.PostAsJsonAsync("/admin/api/emulator/clock", request, AdminJsonContext.Default.AdvanceClockRequest, Ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync(AdminJsonContext.Default.EmulatorClockState, Ct))!;
    }

    private static async Task<AdminProblem> RefusedAsync(HttpClient admin, object body)
    {
        using var response = await admin.PostAsJsonAsync("/admin/api/emulator/clock", body, Ct);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = (await response.Content.ReadFromJsonAsync(AdminJsonContext.Default.AdminProblem, Ct))!;
        Assert.Equal(AdminProblemCodes.InvalidRequest, problem.Code);
        return problem;
    }

    /// <summary>A nonce asked for with the server's time: the test's own clock does not follow the emulator's.</summary>
    private static async Task<string> NonceAsync(HttpClient admin, TestPartner partner)
    {
        var clock = (await admin.GetFromJsonAsync("/admin/api/emulator/clock", AdminJsonContext.Default.EmulatorClockState, Ct))!;
        var answer = await partner.GetNonceAnswerAsync(clock.Now.ToUnixTimeSeconds());
        Assert.Equal(0, answer.Status);
        return answer.Body.GetProperty("nonce").GetString()!;
    }

    [Fact]
    public async Task Advance_MovesTheClockForward_ByDurationOrSeconds_AndNeverBack()
    {
        using var admin = server.CreateAdminClient();
        var start = (await admin.GetFromJsonAsync("/admin/api/emulator/clock", AdminJsonContext.Default.EmulatorClockState, Ct))!;

        var later = await AdvanceAsync(admin, new AdvanceClockRequest(Advance: "PT10M"));
        Assert.Equal(start.OffsetSeconds + 600, later.OffsetSeconds);
        Assert.Equal(start.Now + TimeSpan.FromMinutes(10), later.Now);
        later = await AdvanceAsync(admin, new AdvanceClockRequest(AdvanceSeconds: 5));
        Assert.Equal(start.OffsetSeconds + 605, later.OffsetSeconds);

        Assert.Contains("'advance'", (await RefusedAsync(admin, new { advance = "-PT1M" })).Detail, StringComparison.Ordinal);
        Assert.Contains("'advance'", (await RefusedAsync(admin, new { advance = "ten minutes" })).Detail, StringComparison.Ordinal);
        Assert.Contains("'advance_seconds'", (await RefusedAsync(admin, new { advance_seconds = -1 })).Detail, StringComparison.Ordinal);
        Assert.Contains("advance_seconds", (await RefusedAsync(admin, new { })).Detail, StringComparison.Ordinal);

        var now = (await admin.GetFromJsonAsync("/admin/api/emulator/clock", AdminJsonContext.Default.EmulatorClockState, Ct))!;
        Assert.Equal(later.OffsetSeconds, now.OffsetSeconds);
    }

    [Fact]
    public async Task Advance_BeyondACentury_IsRefused_NamingTheMember_AndNothingMoves()
    {
        using var admin = server.CreateAdminClient();
        var before = (await admin.GetFromJsonAsync("/admin/api/emulator/clock", AdminJsonContext.Default.EmulatorClockState, Ct))!;

        Assert.Contains("'advance' is too large", (await RefusedAsync(admin, new { advance = "P40000D" })).Detail, StringComparison.Ordinal);
        Assert.Contains("'advance_seconds' is too large", (await RefusedAsync(admin, new { advance_seconds = 4e9 })).Detail, StringComparison.Ordinal);

        var after = (await admin.GetFromJsonAsync("/admin/api/emulator/clock", AdminJsonContext.Default.EmulatorClockState, Ct))!;
        Assert.Equal(before.OffsetSeconds, after.OffsetSeconds);
    }

    [Fact]
    public void Clock_AddsUpAdvances_UpToItsBound_AndNoFurther()
    {
        var clock = new Server.Emulator.EmulatorClock(TimeProvider.System);
        Assert.True(clock.Advance(Server.Emulator.EmulatorClock.MaxOffset - TimeSpan.FromDays(1)));
        Assert.False(clock.Advance(TimeSpan.FromDays(2)));
        Assert.True(clock.Advance(TimeSpan.FromDays(1)));
        Assert.Equal(Server.Emulator.EmulatorClock.MaxOffset, clock.Offset);
        Assert.False(clock.Advance(TimeSpan.FromTicks(1)));
        Assert.Equal(Server.Emulator.EmulatorClock.MaxOffset, clock.Offset);
        Assert.True(clock.GetUtcNow() > DateTimeOffset.UtcNow.AddYears(99));
    }

    [Fact]
    public async Task Advance_PastTheNonceLifetime_ExpiresANonceAlreadyGiven()
    {
        using var admin = server.CreateAdminClient();
        var partner = await server.CreatePartnerAsync();
        var nonce = await NonceAsync(admin, partner);

        await AdvanceAsync(admin, new AdvanceClockRequest(Advance: "PT31M"));

        var answer = await partner.PostFormAsync("/v2/device",
            await partner.SignedAsync("getfeatures", new() { ["userid"] = partner.UserId.ToString(CultureInfo.InvariantCulture), ["model"] = "17" }, nonce));
        Assert.Equal(WireStatus.SpentNonce, answer.Status);
        Assert.Contains("expired", answer.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Advance_ThirtyDays_EndsAProgrammeTermination()
    {
        using var admin = server.CreateAdminClient();
        var partner = await server.CreatePartnerAsync();
        var user = await admin.GetFromJsonAsync($"/admin/api/users/{partner.UserId}", AdminJsonContext.Default.User, Ct);
        var mac = user!.Devices[0].MacAddress;
        var ended = await partner.PostFormAsync("/v2/device", await partner.SignedAsync(
            "endpartnerprogram", new() { ["mac_address"] = mac, ["status"] = "TERMINATED" }, await NonceAsync(admin, partner)));
        Assert.Equal(0, ended.Status);

        var path = $"/admin/api/devices/{mac.Replace(":", "", StringComparison.Ordinal)}";
        Assert.Equal("PENDING_TERMINATION", (await admin.GetFromJsonAsync(path, AdminJsonContext.Default.InventoryDevice, Ct))!.ProgrammeState);

        await AdvanceAsync(admin, new AdvanceClockRequest(Advance: "P29D"));
        Assert.Equal("PENDING_TERMINATION", (await admin.GetFromJsonAsync(path, AdminJsonContext.Default.InventoryDevice, Ct))!.ProgrammeState);

        await AdvanceAsync(admin, new AdvanceClockRequest(Advance: "P1D"));
        Assert.Equal("TERMINATED", (await admin.GetFromJsonAsync(path, AdminJsonContext.Default.InventoryDevice, Ct))!.ProgrammeState);
    }
}

public sealed class EmulatorClockTestsOnSqlite(EmulatorClockSqliteServer server) : EmulatorClockTests(server), IClassFixture<EmulatorClockSqliteServer>;

[NeedsPostgres]
public sealed class EmulatorClockTestsOnPostgres(EmulatorClockPostgresServer server) : EmulatorClockTests(server.OrSkip()), IClassFixture<EmulatorClockPostgresServer>;

/// <summary>The emulator's routes when its powers are off (as in every environment but Development, by default).</summary>
public sealed class EmulatorDisabledTests(SqliteServer server) : IClassFixture<SqliteServer>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData("GET", "/admin/api/emulator/snapshot")]
    [InlineData("PUT", "/admin/api/emulator/snapshot")]
    [InlineData("POST", "/admin/api/emulator/reset")]
    [InlineData("GET", "/admin/api/emulator/clock")]
    [InlineData("POST", "/admin/api/emulator/clock")]
    public async Task EveryStateAndClockRoute_Is403_NamingTheSetting(string method, string path)
    {
        using var admin = server.CreateAdminClient();
        using var request = new HttpRequestMessage(new HttpMethod(method), path);
        if (method != "GET")
        {
            request.Content = JsonContent.Create(new { });
        }

        using var response = await admin.SendAsync(request, Ct);
        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        var problem = (await response.Content.ReadFromJsonAsync(AdminJsonContext.Default.AdminProblem, Ct))!;
        Assert.Equal(AdminProblemCodes.EmulatorDisabled, problem.Code);
        Assert.Contains("Emulator:Enabled", problem.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Clock_OnAServerWhoseHostSetTheClock_IsAConflict()
    {
        using var emulator = new EmulatorServer(new SqliteTestDatabase());
        using var admin = emulator.CreateAdminClient();
        using var response = await admin.GetAsync("/admin/api/emulator/clock", Ct);
        Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
        var problem = (await response.Content.ReadFromJsonAsync(AdminJsonContext.Default.AdminProblem, Ct))!;
        Assert.Equal(AdminProblemCodes.ClockNotEmulated, problem.Code);
    }
}
