using System.Net.Http.Json;
using DeviceFeatures.Protocol.Admin;
using DeviceFeatures.Protocol.Envelope;
using DeviceFeatures.Server.Tests.Infrastructure;

namespace DeviceFeatures.Server.Tests.Device;

public abstract class EndPartnerProgramTests(ServerFactory server)
{
    private static readonly TimeSpan Countdown = TimeSpan.FromDays(30);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static Task<WireAnswer> EndAsync(TestPartner partner, string mac, string status) =>
        partner.CallAsync("endpartnerprogram", new() { ["mac_address"] = mac, ["status"] = status });

    /// <summary>The MAC addresses of the partner's user's devices of the model.</summary>
    private async Task<string[]> MacsAsync(TestPartner partner, int model = 17, int? userId = null)
    {
        using var admin = server.CreateAdminClient();
        var user = await admin.GetFromJsonAsync($"/admin/api/users/{userId ?? partner.UserId}", AdminJsonContext.Default.User, Ct);
        return user!.Devices.Where(d => d.Model == model).Select(d => d.MacAddress).ToArray();
    }

    private async Task<InventoryDevice> DeviceAsync(string mac)
    {
        using var admin = server.CreateAdminClient();
        return (await admin.GetFromJsonAsync($"/admin/api/devices/{mac}", AdminJsonContext.Default.InventoryDevice, Ct))!;
    }

    private async Task<List<AuditEvent>> ProgrammeEventsAsync(TestPartner partner)
    {
        using var admin = server.CreateAdminClient();
        var page = await admin.GetFromJsonAsync($"/admin/api/audit?client_id={partner.ClientId}", AdminJsonContext.Default.AuditPage, Ct);
        return page!.Events.Where(e => e.Kind == "device.programme_changed").ToList();
    }

    private async Task ImportAsync(string mac, string? clientId, int model = 17)
    {
        using var admin = server.CreateAdminClient();
        using var response = await admin.PostAsJsonAsync("/admin/api/devices/import",
            new ImportDevicesRequest([new DeviceImportRow(mac, model, "EU", null, clientId)]), AdminJsonContext.Default.ImportDevicesRequest, Ct);
        response.EnsureSuccessStatusCode();
    }

    // --- the state machine

    [Fact]
    public async Task EndPartnerProgram_LinkedDevice_StartsActive_AndStandbyAnswersTheNewStatusOnly()
    {
        var partner = await server.CreatePartnerAsync();
        var mac = (await MacsAsync(partner)).Single();
        Assert.Equal("ACTIVE", (await DeviceAsync(mac)).ProgrammeState);

        var answer = await EndAsync(partner, mac, "STANDBY");

        Assert.Equal(0, answer.Status);
        Assert.Equal("""{"new_sim_status":"STANDBY"}""", answer.Body.GetRawText());
        var device = await DeviceAsync(mac);
        Assert.Equal("STANDBY", device.ProgrammeState);
        Assert.Null(device.TerminationDate);
        Assert.Equal(0, (await EndAsync(partner, mac, "ACTIVE")).Status);
        Assert.Equal("ACTIVE", (await DeviceAsync(mac)).ProgrammeState);
    }

    [Fact]
    public async Task EndPartnerProgram_Terminated_StartsAThirtyDayCountdown_AnsweringPendingAndTheDate()
    {
        var partner = await server.CreatePartnerAsync();
        var mac = (await MacsAsync(partner)).Single();
        var expected = server.Time.GetUtcNow().ToUnixTimeSeconds() + (long)Countdown.TotalSeconds;

        var answer = await EndAsync(partner, mac, "TERMINATED");

        Assert.Equal(0, answer.Status);
        Assert.Equal($$"""{"new_sim_status":"PENDING_TERMINATION","termination_date":{{expected}}}""", answer.Body.GetRawText());
        var device = await DeviceAsync(mac);
        Assert.Equal("PENDING_TERMINATION", device.ProgrammeState);
        Assert.Equal(expected, device.TerminationDate!.Value.ToUnixTimeSeconds());
    }

    [Fact]
    public async Task EndPartnerProgram_CountdownCompletesOnTheTerminationDate_NotASecondBefore()
    {
        var partner = await server.CreatePartnerAsync();
        var mac = (await MacsAsync(partner)).Single();
        var date = (await EndAsync(partner, mac, "TERMINATED")).Body.GetProperty("termination_date").GetInt64();

        server.Time.Advance(DateTimeOffset.FromUnixTimeSeconds(date) - server.Time.GetUtcNow() - TimeSpan.FromSeconds(1));
        Assert.Equal("PENDING_TERMINATION", (await DeviceAsync(mac)).ProgrammeState);
        Assert.Equal(0, (await partner.EnableAsync("feature_pwv")).Status);

        server.Time.Advance(TimeSpan.FromSeconds(1));
        var device = await DeviceAsync(mac);
        Assert.Equal("TERMINATED", device.ProgrammeState);
        Assert.Equal(date, device.TerminationDate!.Value.ToUnixTimeSeconds());
        var refused = await partner.EnableAsync("feature_pwv");
        Assert.Equal(524, refused.Status);
    }

    [Fact]
    public async Task EndPartnerProgram_StandbyBeforeTheDate_ReversesTheTermination()
    {
        var partner = await server.CreatePartnerAsync();
        var mac = (await MacsAsync(partner)).Single();
        await EndAsync(partner, mac, "TERMINATED");
        server.Time.Advance(Countdown - TimeSpan.FromMinutes(1));

        var answer = await EndAsync(partner, mac, "STANDBY");

        Assert.Equal(0, answer.Status);
        Assert.Equal("""{"new_sim_status":"STANDBY"}""", answer.Body.GetRawText());
        server.Time.Advance(Countdown);
        var device = await DeviceAsync(mac);
        Assert.Equal("STANDBY", device.ProgrammeState);
        Assert.Null(device.TerminationDate);
        Assert.Equal(0, (await partner.EnableAsync("feature_pwv")).Status);
        Assert.Equal(0, (await EndAsync(partner, mac, "ACTIVE")).Status);
    }

    [Fact]
    public async Task EndPartnerProgram_ActiveWhilePending_IsBadState_NamingTheStateAndTheWayBack()
    {
        var partner = await server.CreatePartnerAsync();
        var mac = (await MacsAsync(partner)).Single();
        await EndAsync(partner, mac, "TERMINATED");

        var answer = await EndAsync(partner, mac, "ACTIVE");

        Assert.Equal(524, answer.Status);
        Assert.Contains(mac, answer.Error);
        Assert.Contains("PENDING_TERMINATION", answer.Error);
        Assert.Contains("status=STANDBY", answer.Error);
        Assert.Equal("PENDING_TERMINATION", (await DeviceAsync(mac)).ProgrammeState);
    }

    [Fact]
    public async Task EndPartnerProgram_TerminatedDevice_RefusesEveryOtherStatus_AndRepeatsItsTermination()
    {
        var partner = await server.CreatePartnerAsync();
        var mac = (await MacsAsync(partner)).Single();
        var date = (await EndAsync(partner, mac, "TERMINATED")).Body.GetProperty("termination_date").GetInt64();
        server.Time.Advance(Countdown);

        foreach (var status in new[] { "STANDBY", "ACTIVE" })
        {
            var refused = await EndAsync(partner, mac, status);
            Assert.Equal(524, refused.Status);
            Assert.Contains("TERMINATED", refused.Error);
            Assert.Contains(mac, refused.Error);
        }

        var again = await EndAsync(partner, mac, "TERMINATED");
        Assert.Equal(0, again.Status);
        Assert.Equal($$"""{"new_sim_status":"TERMINATED","termination_date":{{date}}}""", again.Body.GetRawText());
    }

    [Fact]
    public async Task EndPartnerProgram_RepeatedRequests_ChangeNothingMore_AndAreAuditedOnce()
    {
        var partner = await server.CreatePartnerAsync();
        var mac = (await MacsAsync(partner)).Single();

        Assert.Equal(0, (await EndAsync(partner, mac, "ACTIVE")).Status);
        var first = await EndAsync(partner, mac, "TERMINATED");
        server.Time.Advance(TimeSpan.FromDays(1));
        var second = await EndAsync(partner, mac, "TERMINATED");
        Assert.Equal(0, (await EndAsync(partner, mac, "STANDBY")).Status);
        Assert.Equal(0, (await EndAsync(partner, mac, "STANDBY")).Status);

        // The repeated termination keeps its countdown: the date does not move.
        Assert.Equal(first.Body.GetRawText(), second.Body.GetRawText());
        var events = await ProgrammeEventsAsync(partner);
        Assert.Equal(2, events.Count);
        var terminated = events[0];
        Assert.Equal(partner.ClientId, terminated.Actor);
        Assert.Equal(partner.UserId, terminated.Userid);
        Assert.Equal(17, terminated.Model);
        Assert.StartsWith($"{mac} ACTIVE -> PENDING_TERMINATION, terminates at ", terminated.Detail);
        Assert.False(string.IsNullOrEmpty(terminated.RequestId));
        Assert.Equal($"{mac} PENDING_TERMINATION -> STANDBY", events[1].Detail);
    }

    [Fact]
    public async Task EndPartnerProgram_DeviceOnlyInTheInventory_IsReady_AndCanBeManaged()
    {
        var partner = await server.CreatePartnerAsync();
        var mac = ServerFactory.RandomMac();
        await ImportAsync(mac, partner.ClientId);
        Assert.Equal("READY", (await DeviceAsync(mac)).ProgrammeState);

        Assert.Equal("""{"new_sim_status":"STANDBY"}""", (await EndAsync(partner, mac, "STANDBY")).Body.GetRawText());
        Assert.Equal("STANDBY", (await DeviceAsync(mac)).ProgrammeState);
    }

    [Fact]
    public async Task AssigningATerminatedDevice_ToAnotherPartner_StartsItsProgrammeAfresh_AndSaysSoInTheAudit()
    {
        var partner = await server.CreatePartnerAsync();
        var next = await server.CreatePartnerAsync();
        var mac = ServerFactory.RandomMac();
        await ImportAsync(mac, partner.ClientId);
        Assert.Equal(0, (await EndAsync(partner, mac, "TERMINATED")).Status);
        server.Time.Advance(Countdown);
        Assert.Equal("TERMINATED", (await DeviceAsync(mac)).ProgrammeState);

        using var admin = server.CreateAdminClient();
        using var response = await admin.PostAsJsonAsync($"/admin/api/devices/{mac}/assign", new { client_id = next.ClientId }, Ct);
        response.EnsureSuccessStatusCode();

        var device = await DeviceAsync(mac);
        Assert.Equal(("READY", (DateTimeOffset?)null), (device.ProgrammeState, device.TerminationDate));
        var page = await admin.GetFromJsonAsync($"/admin/api/audit?client_id={next.ClientId}", AdminJsonContext.Default.AuditPage, Ct);
        Assert.Contains("its programme state TERMINATED was reset", page!.Events.Single(e => e.Kind == "device.assigned").Detail);
        Assert.Equal("""{"new_sim_status":"ACTIVE"}""", (await EndAsync(next, mac, "ACTIVE")).Body.GetRawText());
        Assert.Equal(510, (await EndAsync(partner, mac, "STANDBY")).Status);
    }

    [Theory]
    [InlineData("standby", "STANDBY")]
    [InlineData("Active", "ACTIVE")]
    public async Task EndPartnerProgram_StatusInAnyCase_AndMacInAnyForm_AreAccepted(string status, string answered)
    {
        var partner = await server.CreatePartnerAsync();
        var mac = (await MacsAsync(partner)).Single();

        var answer = await EndAsync(partner, mac.Replace(":", "", StringComparison.Ordinal).ToUpperInvariant(), status);

        Assert.Equal(0, answer.Status);
        Assert.Equal(answered, answer.Body.GetProperty("new_sim_status").GetString());
    }

    /// <summary>Brings a fresh device of a new partner into <paramref name="state"/>, the way a partner would.</summary>
    private async Task<(TestPartner Partner, string Mac)> DeviceInAsync(string state)
    {
        var partner = await server.CreatePartnerAsync();
        if (state == "READY")
        {
            var ready = ServerFactory.RandomMac();
            await ImportAsync(ready, partner.ClientId);
            return (partner, ready);
        }

        var mac = (await MacsAsync(partner)).Single();
        switch (state)
        {
            case "STANDBY":
                Assert.Equal(0, (await EndAsync(partner, mac, "STANDBY")).Status);
                break;
            case "PENDING_TERMINATION":
                Assert.Equal(0, (await EndAsync(partner, mac, "TERMINATED")).Status);
                break;
            case "TERMINATED":
                // Terminated long ago: the clock is moved on by the countdown, which every other test tolerates.
                Assert.Equal(0, (await EndAsync(partner, mac, "TERMINATED")).Status);
                server.Time.Advance(Countdown);
                break;
        }

        Assert.Equal(state, (await DeviceAsync(mac)).ProgrammeState);
        return (partner, mac);
    }

    [Theory]
    [InlineData("READY", "ACTIVE", 0, "ACTIVE")]
    [InlineData("READY", "STANDBY", 0, "STANDBY")]
    [InlineData("READY", "TERMINATED", 0, "PENDING_TERMINATION")]
    [InlineData("ACTIVE", "ACTIVE", 0, "ACTIVE")]
    [InlineData("ACTIVE", "STANDBY", 0, "STANDBY")]
    [InlineData("ACTIVE", "TERMINATED", 0, "PENDING_TERMINATION")]
    [InlineData("STANDBY", "ACTIVE", 0, "ACTIVE")]
    [InlineData("STANDBY", "STANDBY", 0, "STANDBY")]
    [InlineData("STANDBY", "TERMINATED", 0, "PENDING_TERMINATION")]
    [InlineData("PENDING_TERMINATION", "ACTIVE", 524, "PENDING_TERMINATION")]
    [InlineData("PENDING_TERMINATION", "STANDBY", 0, "STANDBY")]
    [InlineData("PENDING_TERMINATION", "TERMINATED", 0, "PENDING_TERMINATION")]
    [InlineData("TERMINATED", "ACTIVE", 524, "TERMINATED")]
    [InlineData("TERMINATED", "STANDBY", 524, "TERMINATED")]
    [InlineData("TERMINATED", "TERMINATED", 0, "TERMINATED")]
    public async Task EndPartnerProgram_TheTransitionTable(string from, string status, int answered, string state)
    {
        var (partner, mac) = await DeviceInAsync(from);
        var before = (await ProgrammeEventsAsync(partner)).Count;

        var answer = await EndAsync(partner, mac, status);

        Assert.Equal(answered, answer.Status);
        if (answered == 0)
        {
            Assert.Equal(state, answer.Body.GetProperty("new_sim_status").GetString());
            Assert.Equal(status == "TERMINATED", answer.Body.TryGetProperty("termination_date", out _));
        }
        else
        {
            Assert.Contains($"device {mac} is {from}", answer.Error);
            Assert.Contains($"status={status} is refused", answer.Error);
        }

        Assert.Equal(state, (await DeviceAsync(mac)).ProgrammeState);
        Assert.Equal(before + (state == from ? 0 : 1), (await ProgrammeEventsAsync(partner)).Count);
    }

    [Fact]
    public async Task EndPartnerProgram_ConcurrentRequestsForOneDevice_FollowEachOther_AndAreAuditedOnce()
    {
        var partner = await server.CreatePartnerAsync();
        var mac = (await MacsAsync(partner)).Single();
        var signed = new List<Dictionary<string, string>>();
        for (var i = 0; i < 8; i++)
        {
            signed.Add(await partner.SignedAsync("endpartnerprogram", new() { ["mac_address"] = mac, ["status"] = "TERMINATED" }));
        }

        var answers = await Task.WhenAll(signed.Select(p => partner.PostFormAsync("/v2/device", p)));

        Assert.All(answers, a => Assert.Equal(0, a.Status));
        Assert.Single(answers.Select(a => a.Body.GetRawText()).Distinct());
        Assert.Single(await ProgrammeEventsAsync(partner));
    }

    // --- refusals

    [Theory]
    [InlineData("mac_address", null, "missing parameter 'mac_address'")]
    [InlineData("mac_address", "00:24:e4:zz:00:01", "parameter 'mac_address' must be 12 hexadecimal digits")]
    [InlineData("mac_address", "00:24:e4:00:01", "parameter 'mac_address' must be 12 hexadecimal digits")]
    [InlineData("status", null, "missing parameter 'status'")]
    [InlineData("status", "PAUSED", "parameter 'status' must be ACTIVE, STANDBY or TERMINATED, not 'PAUSED'")]
    [InlineData("status", "READY", "parameter 'status' must be ACTIVE, STANDBY or TERMINATED, not 'READY'")]
    [InlineData("status", "PENDING_TERMINATION", "not 'PENDING_TERMINATION'")]
    public async Task EndPartnerProgram_BadParameter_IsInvalidParamsNamingIt(string parameter, string? value, string error)
    {
        var partner = await server.CreatePartnerAsync();
        var business = new Dictionary<string, string> { ["mac_address"] = (await MacsAsync(partner)).Single(), ["status"] = "STANDBY" };
        if (value is null)
        {
            business.Remove(parameter);
        }
        else
        {
            business[parameter] = value;
        }

        var answer = await partner.CallAsync("endpartnerprogram", business);

        Assert.Equal(503, answer.Status);
        Assert.Contains(error, answer.Error);
        Assert.Empty(await ProgrammeEventsAsync(partner));
    }

    [Fact]
    public async Task EndPartnerProgram_OtherPartnersUnassignedAndUnknownDevices_GetTheSameRefusal()
    {
        var partner = await server.CreatePartnerAsync();
        var other = await server.CreatePartnerAsync();
        var othersMac = (await MacsAsync(other)).Single();
        var unassigned = ServerFactory.RandomMac();
        await ImportAsync(unassigned, null);
        var unknown = ServerFactory.RandomMac();

        foreach (var mac in new[] { othersMac, unassigned, unknown })
        {
            var answer = await EndAsync(partner, mac, "TERMINATED");
            Assert.Equal(510, answer.Status);
            Assert.Equal($"Invalid Params: mac_address {mac} is not one of your devices", answer.Error);
        }

        Assert.Equal("ACTIVE", (await DeviceAsync(othersMac)).ProgrammeState);
        Assert.Equal("READY", (await DeviceAsync(unassigned)).ProgrammeState);
    }

    [Theory]
    [InlineData("STANDBY")]
    [InlineData("PAUSED")]
    public async Task EndPartnerProgram_NonceIsSpentOnce_WhetherTheRequestSucceedsOrIsRefused(string status)
    {
        var partner = await server.CreatePartnerAsync();
        var mac = (await MacsAsync(partner)).Single();
        var signed = await partner.SignedAsync("endpartnerprogram", new() { ["mac_address"] = mac, ["status"] = status });

        var first = await partner.PostFormAsync("/v2/device", signed);
        signed["status"] = "STANDBY";
        var replay = await partner.PostFormAsync("/v2/device", signed);

        Assert.Equal(status == "STANDBY" ? 0 : 503, first.Status);
        Assert.Equal(401, replay.Status);
        Assert.Contains("already been used", replay.Error);
        Assert.Equal(1, Sql.Scalar(server, $"SELECT COUNT(*) FROM used_nonces WHERE client_id = '{partner.ClientId}'"));
        Assert.Equal(status == "STANDBY" ? 1 : 0, (await ProgrammeEventsAsync(partner)).Count);
    }

    [Fact]
    public async Task EndPartnerProgram_SuspendedPartner_IsUnauthorized_AndChangesNothing()
    {
        var partner = await server.CreatePartnerAsync();
        var mac = (await MacsAsync(partner)).Single();
        var signed = await partner.SignedAsync("endpartnerprogram", new() { ["mac_address"] = mac, ["status"] = "TERMINATED" });
        using var admin = server.CreateAdminClient();
        (await admin.PostAsync($"/admin/api/partners/{partner.ClientId}/suspend", null, Ct)).EnsureSuccessStatusCode();

        var answer = await partner.PostFormAsync("/v2/device", signed);

        Assert.Equal(214, answer.Status);
        Assert.Equal("ACTIVE", (await DeviceAsync(mac)).ProgrammeState);
    }

    // --- what termination does to the features

    [Fact]
    public async Task TerminatedDevices_RefuseFeatureSwitches_AndGetFeaturesListsNothing_ButTheAuditKeepsTheHistory()
    {
        var partner = await server.CreatePartnerAsync();
        var mac = (await MacsAsync(partner)).Single();
        Assert.Equal(0, (await partner.EnableAsync("feature_pwv")).Status);
        await EndAsync(partner, mac, "TERMINATED");
        server.Time.Advance(Countdown);

        var enable = await partner.EnableAsync("feature_eyes_closed_mode");
        var disable = await partner.DisableAsync("feature_pwv");

        foreach (var refused in new[] { enable, disable })
        {
            Assert.Equal(524, refused.Status);
            Assert.Contains(mac, refused.Error);
            Assert.Contains("TERMINATED", refused.Error);
            Assert.Contains("Body Pro 2", refused.Error);
        }

        Assert.Empty(await partner.GetFeaturesAsync(17));

        // The other model of the same user is still in the programme.
        Assert.Equal(0, (await partner.EnableAsync("feature_retake_low_htn", model: 47)).Status);
        Assert.Equal(new Dictionary<string, bool> { ["feature_retake_low_htn"] = true }, await partner.GetFeaturesAsync(47));

        using var admin = server.CreateAdminClient();
        var audit = await admin.GetFromJsonAsync($"/admin/api/audit?userid={partner.UserId}", AdminJsonContext.Default.AuditPage, Ct);
        Assert.Equal(["feature.enabled", "device.programme_changed", "feature.enabled"], audit!.Events.Where(e => e.Kind != "user.created").Select(e => e.Kind));
        var user = await admin.GetFromJsonAsync($"/admin/api/users/{partner.UserId}", AdminJsonContext.Default.User, Ct);
        Assert.Equal("TERMINATED", user!.Devices.Single(d => d.Model == 17).ProgrammeState);
        Assert.NotNull(user.Devices.Single(d => d.Model == 17).TerminationDate);
        Assert.Equal("ACTIVE", user.Devices.Single(d => d.Model == 47).ProgrammeState);
    }

    [Fact]
    public async Task TerminatedDevice_WithAnotherDeviceOfTheModelStillActive_KeepsTheUsersChoices()
    {
        var partner = await server.CreatePartnerAsync((17, "EU"), (17, "EU"));
        var macs = await MacsAsync(partner);
        Assert.Equal(2, macs.Length);
        await partner.EnableAsync("feature_pwv");
        await EndAsync(partner, macs[0], "TERMINATED");
        server.Time.Advance(Countdown);

        Assert.Equal(0, (await partner.EnableAsync("feature_eyes_closed_mode")).Status);
        Assert.Equal(new Dictionary<string, bool> { ["feature_pwv"] = true, ["feature_eyes_closed_mode"] = true }, await partner.GetFeaturesAsync(17));
    }

    [Fact]
    public async Task TerminatedDevice_DoesNotCountForTheMarketRule()
    {
        // An EU-only feature, with the EU device terminated and a US one left: the market rule sees the US device only.
        var partner = await server.CreatePartnerAsync((17, "EU"), (17, "US"));
        using var admin = server.CreateAdminClient();
        var user = await admin.GetFromJsonAsync($"/admin/api/users/{partner.UserId}", AdminJsonContext.Default.User, Ct);
        var eu = user!.Devices.Single(d => d.Market == "EU").MacAddress;
        Assert.Equal(0, (await partner.EnableAsync("feature_nhs")).Status);
        await EndAsync(partner, eu, "TERMINATED");
        server.Time.Advance(Countdown);

        var answer = await partner.EnableAsync("feature_nhs");

        Assert.Equal(2555, answer.Status);
        Assert.EndsWith("devices are US", answer.Error);
        Assert.Equal(0, (await partner.DisableAsync("feature_nhs")).Status);
    }
}

public sealed class EndPartnerProgramTestsOnSqlite(SqliteServer server) : EndPartnerProgramTests(server), IClassFixture<SqliteServer>;

[NeedsPostgres]
public sealed class EndPartnerProgramTestsOnPostgres(PostgresServer server) : EndPartnerProgramTests(server.OrSkip()), IClassFixture<PostgresServer>;
