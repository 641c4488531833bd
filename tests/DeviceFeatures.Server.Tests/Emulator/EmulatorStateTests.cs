using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using DeviceFeatures.Protocol.Admin;
using DeviceFeatures.Server.OperatorConsole;
using DeviceFeatures.Server.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace DeviceFeatures.Server.Tests.Emulator;

public abstract class EmulatorStateTests(EmulatorServer server)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static async Task<EmulatorSnapshot> SnapshotAsync(HttpClient admin) =>
        (await admin.GetFromJsonAsync("/admin/api/emulator/snapshot", AdminJsonContext.Default.EmulatorSnapshot, Ct))!;

    private static async Task<EmulatorResetResult> ResetAsync(HttpClient admin, string? clientId = null)
    {
        using var response = clientId is null
            ? await admin.PostAsync("/admin/api/emulator/reset", null, Ct)
            : await admin.PostAsJsonAsync("/admin/api/emulator/reset", new EmulatorResetRequest(clientId), AdminJsonContext.Default.EmulatorResetRequest, Ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync(AdminJsonContext.Default.EmulatorResetResult, Ct))!;
    }

    private static async Task<HttpResponseMessage> RestoreAsync(HttpClient admin, EmulatorSnapshot snapshot) =>
        await admin.PutAsJsonAsync("/admin/api/emulator/snapshot", snapshot, AdminJsonContext.Default.EmulatorSnapshot, Ct);

    /// <summary>The snapshot without the moment it was taken: what two snapshots of one state share.</summary>
    private static string Content(EmulatorSnapshot snapshot) =>
        JsonSerializer.Serialize(snapshot with { TakenAt = null }, AdminJsonContext.Default.EmulatorSnapshot);

    private static async Task<AdminProblem> ProblemAsync(HttpResponseMessage response, HttpStatusCode status, string code)
    {
        Assert.Equal(status, response.StatusCode);
        var problem = (await response.Content.ReadFromJsonAsync(AdminJsonContext.Default.AdminProblem, Ct))!;
        Assert.Equal(code, problem.Code);
        return problem;
    }

    /// <summary>A partner with two users, choices of its own and of its programme, a grant and a device counting down.</summary>
    private async Task<(TestPartner Partner, int SecondUser)> RichPartnerAsync(HttpClient admin)
    {
        var partner = await server.CreatePartnerAsync();
        var second = await server.CreateUserAsync(partner.ClientId, (17, "US"), (47, "EU"));
        (await admin.PutAsync($"/admin/api/partners/{partner.ClientId}/entitlements/feature_esc", null, Ct)).EnsureSuccessStatusCode();
        (await admin.PutAsJsonAsync($"/admin/api/partners/{partner.ClientId}/programme-choices/17/feature_fat_mass",
            new ProgrammeChoiceRequest(false), AdminJsonContext.Default.ProgrammeChoiceRequest, Ct)).EnsureSuccessStatusCode();
        Assert.Equal(0, (await partner.EnableAsync("feature_eyes_closed_mode")).Status);
        Assert.Equal(0, (await partner.EnableAsync("feature_esc")).Status);
        Assert.Equal(0, (await partner.DisableAsync("feature_retake_high_htn", model: 47, userId: second)).Status);
        Assert.Equal(0, (await partner.EnableAsync("feature_muscle_mass", userId: second)).Status);

        var user = await admin.GetFromJsonAsync($"/admin/api/users/{second}", AdminJsonContext.Default.User, Ct);
        var mac = user!.Devices.First(d => d.Model == 47).MacAddress;
        Assert.Equal(0, (await partner.CallAsync("endpartnerprogram", new() { ["mac_address"] = mac, ["status"] = "TERMINATED" })).Status);
        return (partner, second);
    }

    private static async Task<Dictionary<string, Dictionary<string, bool>>> AnswersAsync(params (TestPartner Partner, int UserId)[] users)
    {
        var answers = new Dictionary<string, Dictionary<string, bool>>();
        foreach (var (partner, userId) in users)
        {
            foreach (var model in new[] { 17, 47 })
            {
                answers[$"{userId}/{model}"] = await partner.GetFeaturesAsync(model, userId);
            }
        }

        return answers;
    }

    [Fact]
    public async Task SnapshotResetRestore_AnswersGetfeaturesIdentically_AndTheSecretsStillSign()
    {
        using var admin = server.CreateAdminClient();
        await ResetAsync(admin);
        var (a, aSecond) = await RichPartnerAsync(admin);
        var (b, bSecond) = await RichPartnerAsync(admin);
        var before = await AnswersAsync((a, a.UserId), (a, aSecond), (b, b.UserId), (b, bSecond));
        var snapshot = await SnapshotAsync(admin);
        Assert.Equal(2, snapshot.Partners!.Count);
        Assert.Equal(a.ClientSecret, snapshot.Partners.Single(p => p!.ClientId == a.ClientId)!.ClientSecret);

        var reset = await ResetAsync(admin);
        Assert.Null(reset.ClientId);
        Assert.Equal(new EmulatorStateCounts(2, 4, 8, 8, 8, 2, 2), reset.Removed);
        Assert.Empty((await SnapshotAsync(admin)).Partners!);
        Assert.NotEqual(0, (await a.GetNonceAnswerAsync()).Status);

        using var restored = await RestoreAsync(admin, snapshot);
        Assert.Equal(HttpStatusCode.OK, restored.StatusCode);
        var result = (await restored.Content.ReadFromJsonAsync(AdminJsonContext.Default.EmulatorRestoreResult, Ct))!;
        Assert.Equal(new EmulatorStateCounts(0, 0, 0, 0, 0, 0, 0), result.Removed);
        Assert.Equal(new EmulatorStateCounts(2, 4, 8, 8, 8, 2, 2), result.Restored);

        Assert.Equal(before, await AnswersAsync((a, a.UserId), (a, aSecond), (b, b.UserId), (b, bSecond)));
        Assert.Equal(Content(snapshot), Content(await SnapshotAsync(admin)));

        // New users are numbered after the restored ones.
        var next = await server.CreateUserAsync(a.ClientId, (17, "EU"));
        Assert.True(next > Math.Max(aSecond, bSecond));

        var audit = await admin.GetFromJsonAsync("/admin/api/audit?limit=1000", AdminJsonContext.Default.AuditPage, Ct);
        Assert.Contains(audit!.Events, e => e.Kind == "emulator.reset" && e.Detail!.StartsWith("removed 2 partner(s), 4 user(s)", StringComparison.Ordinal));
        Assert.Contains(audit.Events, e => e.Kind == "emulator.restored");
    }

    [Fact]
    public async Task ResetOfOnePartner_RemovesItsUsersAndDevices_AndLeavesTheOtherIntact()
    {
        using var admin = server.CreateAdminClient();
        var (a, aSecond) = await RichPartnerAsync(admin);
        var (b, bSecond) = await RichPartnerAsync(admin);
        var others = await AnswersAsync((b, b.UserId), (b, bSecond));
        var before = await SnapshotAsync(admin);

        var reset = await ResetAsync(admin, a.ClientId);
        Assert.Equal(a.ClientId, reset.ClientId);
        Assert.Equal(new EmulatorStateCounts(0, 2, 4, 4, 4, 0, 0), reset.Removed);

        // The partner stays, with its secret and configuration; its users are gone.
        Assert.Equal(0, (await a.GetNonceAnswerAsync()).Status);
        var gone = await a.CallAsync("getfeatures", new() { ["userid"] = a.UserId.ToString(CultureInfo.InvariantCulture), ["model"] = "17" });
        Assert.NotEqual(0, gone.Status);
        Assert.Equal(others, await AnswersAsync((b, b.UserId), (b, bSecond)));

        var after = await SnapshotAsync(admin);
        Assert.Equal(
            JsonSerializer.Serialize(before.Partners, AdminJsonContext.Default.IReadOnlyListSnapshotPartner),
            JsonSerializer.Serialize(after.Partners, AdminJsonContext.Default.IReadOnlyListSnapshotPartner));
        Assert.DoesNotContain(after.Users!, u => u!.ClientId == a.ClientId);
        Assert.Equal(before.Users!.Count(u => u!.ClientId != a.ClientId), after.Users!.Count);

        await ProblemAsync(await admin.PostAsJsonAsync("/admin/api/emulator/reset", new { client_id = "nobody" }, Ct),
            HttpStatusCode.NotFound, AdminProblemCodes.PartnerNotFound);
    }

    [Fact]
    public async Task InvalidRestore_NamesTheField_AndChangesNothing()
    {
        using var admin = server.CreateAdminClient();
        var (a, _) = await RichPartnerAsync(admin);
        var before = await SnapshotAsync(admin);
        var user = before.Users!.First(u => u!.Devices!.Count > 0)!;
        var index = before.Users!.ToList().IndexOf(user);

        var badModel = before with
        {
            Users = [.. before.Users!.Select(u => u == user ? u with { Devices = [user.Devices![0]! with { Model = 999 }] } : u)],
        };
        var problem = await ProblemAsync(await RestoreAsync(admin, badModel), HttpStatusCode.BadRequest, AdminProblemCodes.InvalidRequest);
        Assert.Contains($"users[{index}].devices[0].model", problem.Detail, StringComparison.Ordinal);

        var unknownPartner = before with { Users = [.. before.Users!.Select(u => u == user ? u with { ClientId = "nobody" } : u)] };
        problem = await ProblemAsync(await RestoreAsync(admin, unknownPartner), HttpStatusCode.BadRequest, AdminProblemCodes.InvalidRequest);
        Assert.Contains($"users[{index}].client_id", problem.Detail, StringComparison.Ordinal);

        using var wrongType = new StringContent("""{"version": 1, "partners": [{"client_id": 12}]}""", System.Text.Encoding.UTF8, "application/json");
        problem = await ProblemAsync(await admin.PutAsync("/admin/api/emulator/snapshot", wrongType, Ct), HttpStatusCode.BadRequest,
            AdminProblemCodes.InvalidRequest);
        Assert.Contains("partners[0].client_id", problem.Detail, StringComparison.Ordinal);

        problem = await ProblemAsync(await RestoreAsync(admin, before with { Version = 7 }), HttpStatusCode.BadRequest, AdminProblemCodes.InvalidRequest);
        Assert.Contains("version", problem.Detail, StringComparison.Ordinal);

        Assert.Equal(Content(before), Content(await SnapshotAsync(admin)));
        Assert.Equal(0, (await a.GetNonceAnswerAsync()).Status);
    }

    [Fact]
    public async Task ResetAndRestore_WithARequestForAGrant_Succeed_AndAPartnersOwnResetKeepsItsRequests()
    {
        using var admin = server.CreateAdminClient();
        await ResetAsync(admin);
        var partner = await server.CreatePartnerAsync();
        var requests = server.Services.GetRequiredService<GrantRequests>();
        var actor = new ConsoleActor("cs-reset", OperatorRoles.CustomerSuccess, "t");
        var (id, error) = await requests.RequestAsync(actor, partner.ClientId, requests.GatedFeatures[0], "Pilot clinic", Ct);
        Assert.Null(error);
        var snapshot = await SnapshotAsync(admin);

        // The partner stays, and so does the request for a grant to it.
        await ResetAsync(admin, partner.ClientId);
        Assert.Contains((await requests.ListAsync(Ct)).Pending, r => r.Id == id);

        // Everything goes, the request with its partner; and a restore over a state that holds one succeeds.
        await ResetAsync(admin);
        Assert.DoesNotContain((await requests.ListAsync(Ct)).Pending, r => r.Id == id);
        using (var restored = await RestoreAsync(admin, snapshot))
        {
            Assert.Equal(HttpStatusCode.OK, restored.StatusCode);
        }

        Assert.Null((await requests.RequestAsync(actor, partner.ClientId, requests.GatedFeatures[0], "Again", Ct)).Error);
        using var again = await RestoreAsync(admin, snapshot);
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        Assert.Empty((await requests.ListAsync(Ct)).Pending);
        Assert.Equal(0, (await partner.GetNonceAnswerAsync()).Status);
    }

    [Fact]
    public async Task Restore_ChecksAProfilesUnitsMeasuresAndGoals_AsActivateDoes()
    {
        using var admin = server.CreateAdminClient();
        await using var file = File.OpenRead(Path.Combine(Repository.Root(), "docs", "examples", "fixture.json"));
        var fixture = (await JsonSerializer.DeserializeAsync(file, AdminJsonContext.Default.EmulatorSnapshot, cancellationToken: Ct))!;
        var user = fixture.Users!.First(u => u!.Profile is not null)!;
        var index = fixture.Users!.ToList().IndexOf(user);
        EmulatorSnapshot With(SnapshotProfile profile) =>
            fixture with { Users = [.. fixture.Users!.Select(u => u == user ? u with { Profile = profile } : u)] };

        foreach (var (member, profile) in new[]
        {
            ("unit_pref", user.Profile! with { UnitPref = "{\"weight\": " }),
            ("unit_pref", user.Profile! with { UnitPref = "[1]" }),
            ("measures", user.Profile! with { Measures = "[{\"value\": 180}]" }),
            ("goals", user.Profile! with { Goals = "{\"steps\": \"many\"}" }),
        })
        {
            var problem = await ProblemAsync(await RestoreAsync(admin, With(profile)), HttpStatusCode.BadRequest, AdminProblemCodes.InvalidRequest);
            Assert.Contains($"users[{index}].profile.{member}", problem.Detail, StringComparison.Ordinal);
        }

        var valid = user.Profile! with
        {
            UnitPref = """{"weight": 1, "height": 6, "distance": 6, "temperature": 11}""",
            Measures = """[{"value": 180, "unit": -2, "type": 4}, {"value": 75, "unit": 0, "type": 1}]""",
            Goals = """{"steps": 10000}""",
        };
        using var restored = await RestoreAsync(admin, With(valid));
        Assert.Equal(HttpStatusCode.OK, restored.StatusCode);
    }

    [Fact]
    public async Task FixtureFile_RestoresAsDocumented()
    {
        using var admin = server.CreateAdminClient();
        await using var file = File.OpenRead(Path.Combine(Repository.Root(), "docs", "examples", "fixture.json"));
        var fixture = (await JsonSerializer.DeserializeAsync(file, AdminJsonContext.Default.EmulatorSnapshot, cancellationToken: Ct))!;
        using var response = await RestoreAsync(admin, fixture);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);

        await FixtureAssertions.AnswerAsync(server);
    }
}

public sealed class EmulatorStateTestsOnSqlite(EmulatorSqliteServer server) : EmulatorStateTests(server), IClassFixture<EmulatorSqliteServer>;

[NeedsPostgres]
public sealed class EmulatorStateTestsOnPostgres(EmulatorPostgresServer server) : EmulatorStateTests(server.OrSkip()), IClassFixture<EmulatorPostgresServer>;

/// <summary>What docs/examples/fixture.json promises, checked through the wire.</summary>
internal static class FixtureAssertions
{
    public static async Task AnswerAsync(ServerFactory server)
    {
        var partner = new TestPartner(server, "fixture-partner", "fixture-secret", 1001);
        var features = await partner.GetFeaturesAsync(17);
        Assert.True(features["feature_eyes_closed_mode"]);
        Assert.True(features["feature_esc"]);
        Assert.False(features["feature_fat_mass"]);
        Assert.Equal(0, (await partner.GetNonceAnswerAsync()).Status);
        Assert.NotEmpty(await partner.GetFeaturesAsync(17, 1002));

        var suspended = new TestPartner(server, "fixture-suspended", "suspended-secret", 0);
        Assert.NotEqual(0, (await suspended.GetNonceAnswerAsync()).Status);
    }
}

/// <summary>The repository's root, found from the test's output folder.</summary>
internal static class Repository
{
    public static string Root()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "DeviceFeatures.slnx")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException($"No DeviceFeatures.slnx above {AppContext.BaseDirectory}.");
    }
}
