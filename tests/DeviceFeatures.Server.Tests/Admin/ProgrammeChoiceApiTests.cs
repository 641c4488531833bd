using System.Net;
using System.Net.Http.Json;
using DeviceFeatures.Protocol.Admin;
using DeviceFeatures.Server.Tests.Infrastructure;

namespace DeviceFeatures.Server.Tests.Admin;

public abstract class ProgrammeChoiceApiTests(ServerFactory server)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static string Path(string clientId, object model, string feature) =>
        $"/admin/api/partners/{clientId}/programme-choices/{model}/{feature}";

    private async Task<HttpResponseMessage> PutAsync(string clientId, object model, string feature, bool? active)
    {
        using var admin = server.CreateAdminClient();
        return await admin.PutAsJsonAsync(Path(clientId, model, feature), new ProgrammeChoiceRequest(active), AdminJsonContext.Default.ProgrammeChoiceRequest, Ct);
    }

    private async Task SetAsync(string clientId, int model, string feature, bool active)
    {
        using var response = await PutAsync(clientId, model, feature, active);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    private async Task<HttpResponseMessage> DeleteAsync(string clientId, object model, string feature)
    {
        using var admin = server.CreateAdminClient();
        return await admin.DeleteAsync(Path(clientId, model, feature), Ct);
    }

    private static async Task ProblemAsync(HttpResponseMessage response, HttpStatusCode status, string code, string? detail = null)
    {
        Assert.Equal(status, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = (await response.Content.ReadFromJsonAsync(AdminJsonContext.Default.AdminProblem, Ct))!;
        Assert.Equal(code, problem.Code);
        if (detail is not null)
        {
            Assert.Contains(detail, problem.Detail);
        }
    }

    private async Task<Dictionary<string, EffectiveFeature>> EffectiveAsync(int userId, int model = 17)
    {
        using var admin = server.CreateAdminClient();
        var state = await admin.GetFromJsonAsync($"/admin/api/users/{userId}/features", AdminJsonContext.Default.UserFeatureState, Ct);
        var user = await admin.GetFromJsonAsync($"/admin/api/users/{userId}", AdminJsonContext.Default.User, Ct);
        var fromFeatures = state!.Devices.First(d => d.Model == model).Features;

        // The user view carries the same effective state per device.
        Assert.Equal(fromFeatures, user!.Devices.First(d => d.Model == model).Features);
        return fromFeatures.ToDictionary(f => f.FeatureName);
    }

    [Fact]
    public async Task ProgrammeChoice_SetListAndClear_AreAuditedAsTheOperator_AndRepeatsWriteNothing()
    {
        var partner = await server.CreatePartnerAsync();
        using var set = await PutAsync(partner.ClientId, 17, "feature_pwv", true);
        Assert.Equal(HttpStatusCode.OK, set.StatusCode);
        var choice = (await set.Content.ReadFromJsonAsync(AdminJsonContext.Default.ProgrammeChoice, Ct))!;
        Assert.Equal((partner.ClientId, 17, "Body Pro 2", "feature_pwv", true), (choice.ClientId, choice.Model, choice.ModelName, choice.FeatureName, choice.Active));
        Assert.Equal(server.Time.GetUtcNow(), choice.UpdatedAt);

        await SetAsync(partner.ClientId, 17, "feature_pwv", true);
        await SetAsync(partner.ClientId, 17, "feature_fat_mass", false);
        await SetAsync(partner.ClientId, 47, "feature_retake_low_htn", true);
        await SetAsync(partner.ClientId, 17, "feature_pwv", false);

        using var admin = server.CreateAdminClient();
        var list = await admin.GetFromJsonAsync($"/admin/api/partners/{partner.ClientId}/programme-choices", AdminJsonContext.Default.ProgrammeChoiceList, Ct);
        Assert.Equal([(17, "feature_fat_mass", false), (17, "feature_pwv", false), (47, "feature_retake_low_htn", true)],
            list!.Choices.Select(c => (c.Model, c.FeatureName, c.Active)));

        using (var cleared = await DeleteAsync(partner.ClientId, 17, "feature_pwv"))
        {
            Assert.Equal(HttpStatusCode.NoContent, cleared.StatusCode);
        }

        using (var again = await DeleteAsync(partner.ClientId, 17, "feature_pwv"))
        {
            Assert.Equal(HttpStatusCode.NoContent, again.StatusCode);
        }

        var audit = (await admin.GetFromJsonAsync($"/admin/api/audit?client_id={partner.ClientId}", AdminJsonContext.Default.AuditPage, Ct))!
            .Events.Where(e => e.Kind.StartsWith("programme_choice.", StringComparison.Ordinal)).ToList();
        Assert.Equal(
            [("programme_choice.set", "feature_pwv", null, true), ("programme_choice.set", "feature_fat_mass", null, false),
                ("programme_choice.set", "feature_retake_low_htn", null, true), ("programme_choice.set", "feature_pwv", true, false),
                ("programme_choice.cleared", "feature_pwv", false, null)],
            audit.Select(e => (e.Kind, e.FeatureName!, e.OldValue, e.NewValue)));
        Assert.All(audit, e => Assert.Equal("admin", e.Actor));
        Assert.All(audit, e => Assert.Null(e.Userid));
        Assert.Contains("catalog default was off", audit[0].Detail);
    }

    [Fact]
    public async Task ProgrammeChoice_ConcurrentSetsOfOneChoice_AreAuditedOnce()
    {
        var partner = await server.CreatePartnerAsync();

        var responses = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => PutAsync(partner.ClientId, 17, "feature_pwv", true)));

        Assert.All(responses, r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));
        using var admin = server.CreateAdminClient();
        var audit = await admin.GetFromJsonAsync($"/admin/api/audit?client_id={partner.ClientId}", AdminJsonContext.Default.AuditPage, Ct);
        Assert.Single(audit!.Events, e => e.Kind == "programme_choice.set");
    }

    [Fact]
    public async Task ProgrammeChoice_Refusals_FollowTheCatalogAndGrantRules()
    {
        var partner = await server.CreatePartnerAsync();
        await ProblemAsync(await PutAsync(partner.ClientId, 17, "feature_x", true), HttpStatusCode.NotFound, AdminProblemCodes.FeatureNotFound, "feature_x");
        await ProblemAsync(await PutAsync(partner.ClientId, 999, "feature_pwv", true), HttpStatusCode.NotFound, AdminProblemCodes.ModelNotFound, "model 999");
        await ProblemAsync(await PutAsync(partner.ClientId, "scale", "feature_pwv", true), HttpStatusCode.BadRequest, AdminProblemCodes.InvalidRequest, "'scale'");
        await ProblemAsync(await PutAsync(partner.ClientId, 47, "feature_pwv", true), HttpStatusCode.BadRequest, AdminProblemCodes.IncompatibleModel,
            "feature_pwv is not available on model 47 (BPM Pro 2); it exists on Body Pro 2 (model 17)");
        await ProblemAsync(await PutAsync(partner.ClientId, 17, "feature_pwv", null), HttpStatusCode.BadRequest, AdminProblemCodes.InvalidRequest, "\"active\"");
        await ProblemAsync(await PutAsync("no-such-partner", 17, "feature_pwv", true), HttpStatusCode.NotFound, AdminProblemCodes.PartnerNotFound);
        await ProblemAsync(await DeleteAsync(partner.ClientId, 47, "feature_pwv"), HttpStatusCode.BadRequest, AdminProblemCodes.IncompatibleModel);
        await ProblemAsync(await DeleteAsync("no-such-partner", 17, "feature_pwv"), HttpStatusCode.NotFound, AdminProblemCodes.PartnerNotFound);
        using (var admin = server.CreateAdminClient())
        {
            await ProblemAsync(await admin.GetAsync("/admin/api/partners/no-such-partner/programme-choices", Ct), HttpStatusCode.NotFound, AdminProblemCodes.PartnerNotFound);
        }

        // A gated feature: off needs no grant, on does.
        await ProblemAsync(await PutAsync(partner.ClientId, 17, "feature_esc", true), HttpStatusCode.Forbidden, AdminProblemCodes.FeatureNotGranted, "grant it first");
        await SetAsync(partner.ClientId, 17, "feature_esc", false);
        using (var admin = server.CreateAdminClient())
        {
            (await admin.PutAsync($"/admin/api/partners/{partner.ClientId}/entitlements/feature_esc", null, Ct)).EnsureSuccessStatusCode();
        }

        await SetAsync(partner.ClientId, 17, "feature_esc", true);
    }

    [Fact]
    public async Task GetFeatures_ListsTheProgrammesChoicesWithTheUsersOwn_TheUsersWinning()
    {
        var partner = await server.CreatePartnerAsync();
        await SetAsync(partner.ClientId, 17, "feature_pwv", true);
        await SetAsync(partner.ClientId, 17, "feature_fat_mass", false);
        await partner.EnableAsync("feature_eyes_closed_mode");
        await partner.DisableAsync("feature_pwv");

        var answer = await partner.CallAsync("getfeatures", new() { ["userid"] = $"{partner.UserId}", ["model"] = "17" });

        Assert.Equal(
            """{"features":[{"feature_name":"feature_eyes_closed_mode","active":true},{"feature_name":"feature_fat_mass","active":false},{"feature_name":"feature_pwv","active":false}]}""",
            answer.Body.GetRawText());
        Assert.Empty(await partner.GetFeaturesAsync(47));

        // Another user of the partner gets the programme's choices; another partner's users get nothing of them.
        var second = await server.CreateUserAsync(partner.ClientId, (17, "EU"));
        Assert.Equal(new Dictionary<string, bool> { ["feature_fat_mass"] = false, ["feature_pwv"] = true }, await partner.GetFeaturesAsync(17, second));
        var other = await server.CreatePartnerAsync();
        Assert.Empty(await other.GetFeaturesAsync(17));
    }

    [Fact]
    public async Task EffectiveState_IsTheUsersChoice_ElseTheProgrammes_ElseTheDefault()
    {
        var partner = await server.CreatePartnerAsync();
        var pwv = (await EffectiveAsync(partner.UserId))["feature_pwv"];
        Assert.Equal((false, FeatureSources.Default, null, null), (pwv.Active, pwv.Source, pwv.Choice, pwv.ProgrammeChoice));

        await SetAsync(partner.ClientId, 17, "feature_pwv", true);
        pwv = (await EffectiveAsync(partner.UserId))["feature_pwv"];
        Assert.Equal((true, FeatureSources.Programme, null, true), (pwv.Active, pwv.Source, pwv.Choice, pwv.ProgrammeChoice));

        await partner.DisableAsync("feature_pwv");
        pwv = (await EffectiveAsync(partner.UserId))["feature_pwv"];
        Assert.Equal((false, FeatureSources.Choice, false, true), (pwv.Active, pwv.Source, pwv.Choice, pwv.ProgrammeChoice));

        // Clearing the programme's choice leaves the user's; enabling again is the user's choice too.
        (await DeleteAsync(partner.ClientId, 17, "feature_pwv")).Dispose();
        await partner.EnableAsync("feature_pwv");
        pwv = (await EffectiveAsync(partner.UserId))["feature_pwv"];
        Assert.Equal((true, FeatureSources.Choice, true, null), (pwv.Active, pwv.Source, pwv.Choice, pwv.ProgrammeChoice));
    }

    [Fact]
    public async Task ProgrammeChoice_OfAMarketRestrictedFeature_AppliesToTheDevicesOfItsMarketOnly()
    {
        var partner = await server.CreatePartnerAsync((17, "EU"), (17, "US"));
        await SetAsync(partner.ClientId, 17, "feature_nhs", true);

        using var admin = server.CreateAdminClient();
        var state = await admin.GetFromJsonAsync($"/admin/api/users/{partner.UserId}/features", AdminJsonContext.Default.UserFeatureState, Ct);
        var eu = state!.Devices.Single(d => d.Market == "EU").Features.Single(f => f.FeatureName == "feature_nhs");
        var us = state.Devices.Single(d => d.Market == "US").Features.Single(f => f.FeatureName == "feature_nhs");
        Assert.Equal((true, FeatureSources.Programme, (string?)null), (eu.Active, eu.Source, eu.Restriction));
        Assert.Equal((false, FeatureSources.Programme), (us.Active, us.Source));
        Assert.Contains("EU devices only", us.Restriction);
    }

    [Fact]
    public async Task TerminatedDevice_RunsTheDefaults_WhateverTheProgrammeOrTheUserChose()
    {
        var partner = await server.CreatePartnerAsync();
        await SetAsync(partner.ClientId, 17, "feature_pwv", true);
        await SetAsync(partner.ClientId, 17, "feature_fat_mass", false);
        await partner.EnableAsync("feature_eyes_closed_mode");
        using var admin = server.CreateAdminClient();
        var mac = (await admin.GetFromJsonAsync($"/admin/api/users/{partner.UserId}", AdminJsonContext.Default.User, Ct))!
            .Devices.Single(d => d.Model == 17).MacAddress;
        Assert.Equal(0, (await partner.CallAsync("endpartnerprogram", new() { ["mac_address"] = mac, ["status"] = "TERMINATED" })).Status);
        server.Time.Advance(TimeSpan.FromDays(30));

        Assert.Empty(await partner.GetFeaturesAsync(17));
        var features = await EffectiveAsync(partner.UserId);
        Assert.All(features.Values, f => Assert.Equal(FeatureSources.Terminated, f.Source));
        Assert.Equal((false, true), (features["feature_pwv"].Active, features["feature_pwv"].ProgrammeChoice!.Value));
        Assert.True(features["feature_fat_mass"].Active);
        Assert.False(features["feature_eyes_closed_mode"].Active);
        var device = (await admin.GetFromJsonAsync($"/admin/api/users/{partner.UserId}/features", AdminJsonContext.Default.UserFeatureState, Ct))!
            .Devices.Single(d => d.Model == 17);
        Assert.Equal("TERMINATED", device.ProgrammeState);
    }
}

public sealed class ProgrammeChoiceApiTestsOnSqlite(SqliteServer server) : ProgrammeChoiceApiTests(server), IClassFixture<SqliteServer>;

[NeedsPostgres]
public sealed class ProgrammeChoiceApiTestsOnPostgres(PostgresServer server) : ProgrammeChoiceApiTests(server.OrSkip()), IClassFixture<PostgresServer>;
