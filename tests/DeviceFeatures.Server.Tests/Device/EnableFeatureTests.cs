using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using DeviceFeatures.Server.Tests.Infrastructure;

namespace DeviceFeatures.Server.Tests.Device;

public abstract class EnableFeatureTests(ServerFactory server)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task EnableFeature_SeedExample_SucceedsWithEmptyBody()
    {
        var partner = await server.CreatePartnerAsync();
        var answer = await partner.EnableAsync("feature_eyes_closed_mode");
        Assert.Equal(0, answer.Status);
        Assert.Equal("{}", answer.Body.GetRawText());
        Assert.Null(answer.Error);
        Assert.Equal(new Dictionary<string, bool> { ["feature_eyes_closed_mode"] = true }, await partner.GetFeaturesAsync());
    }

    [Fact]
    public async Task DisableFeature_AfterEnable_RecordsInactive()
    {
        var partner = await server.CreatePartnerAsync();
        Assert.Equal(0, (await partner.EnableAsync("feature_pacemaker")).Status);
        Assert.Equal(0, (await partner.DisableAsync("feature_pacemaker")).Status);
        Assert.Equal(new Dictionary<string, bool> { ["feature_pacemaker"] = false }, await partner.GetFeaturesAsync());
    }

    [Fact]
    public async Task GetFeatures_NoChoiceRecorded_IsEmptyList()
    {
        var partner = await server.CreatePartnerAsync();
        Assert.Empty(await partner.GetFeaturesAsync());
    }

    [Fact]
    public async Task GetFeatures_ListsOnlyTheChoicesOfThatModel()
    {
        var partner = await server.CreatePartnerAsync();
        await partner.EnableAsync("feature_pwv");
        await partner.EnableAsync("feature_retake_low_htn", model: 47);
        Assert.Equal(new Dictionary<string, bool> { ["feature_pwv"] = true }, await partner.GetFeaturesAsync(17));
        Assert.Equal(new Dictionary<string, bool> { ["feature_retake_low_htn"] = true }, await partner.GetFeaturesAsync(47));
    }

    [Fact]
    public async Task EnableFeature_AsJsonWithNumbers_IsAccepted()
    {
        var partner = await server.CreatePartnerAsync();
        var signed = await partner.SignedAsync("enablefeature");
        var answer = await partner.PostJsonAsync("/v2/device", new
        {
            action = "enablefeature",
            client_id = partner.ClientId,
            signature = signed["signature"],
            nonce = signed["nonce"],
            feature_name = "feature_eyes_closed_mode",
            userid = partner.UserId,
            model = 17,
        });
        Assert.Equal(0, answer.Status);
        Assert.True((await partner.GetFeaturesAsync())["feature_eyes_closed_mode"]);
    }

    [Fact]
    public async Task EnableFeature_AsJsonWithStrings_IsAccepted()
    {
        var partner = await server.CreatePartnerAsync();
        var signed = await partner.SignedAsync("enablefeature", TestPartner.Feature(partner.UserId, 17, "feature_pwv"));
        Assert.Equal(0, (await partner.PostJsonAsync("/v2/device", signed)).Status);
    }

    [Fact]
    public async Task EnableFeature_InQueryStringOfBodilessPost_IsAccepted()
    {
        var partner = await server.CreatePartnerAsync();
        var signed = await partner.SignedAsync("enablefeature", TestPartner.Feature(partner.UserId, 17, "feature_pwv"));
        var query = string.Join("&", signed.Select(p => $"{p.Key}={Uri.EscapeDataString(p.Value)}"));
        using var response = await partner.Http.PostAsync($"/v2/device?{query}", null, Ct);
        Assert.Equal(0, (await TestPartner.ReadAsync(response)).Status);
    }

    [Fact]
    public async Task EnableFeature_AsGet_IsAccepted()
    {
        var partner = await server.CreatePartnerAsync();
        var signed = await partner.SignedAsync("enablefeature", TestPartner.Feature(partner.UserId, 17, "feature_pwv"));
        var query = string.Join("&", signed.Select(p => $"{p.Key}={Uri.EscapeDataString(p.Value)}"));
        using var response = await partner.Http.GetAsync($"/v2/device?{query}", Ct);
        Assert.Equal(0, (await TestPartner.ReadAsync(response)).Status);
    }

    [Fact]
    public async Task EnableFeature_AsMultipartForm_IsAccepted()
    {
        var partner = await server.CreatePartnerAsync();
        var signed = await partner.SignedAsync("enablefeature", TestPartner.Feature(partner.UserId, 17, "feature_pwv"));
        using var content = new MultipartFormDataContent();
        foreach (var (key, value) in signed)
        {
            content.Add(new StringContent(value), key);
        }

        using var response = await partner.Http.PostAsync("/v2/device", content, Ct);
        Assert.Equal(0, (await TestPartner.ReadAsync(response)).Status);
    }

    [Fact]
    public async Task EnableFeature_SplitBetweenQueryAndBody_IsAccepted()
    {
        var partner = await server.CreatePartnerAsync();
        var signed = await partner.SignedAsync("enablefeature", TestPartner.Feature(partner.UserId, 17, "feature_pwv"));
        var body = new Dictionary<string, string>(signed);
        body.Remove("action");
        using var response = await partner.Http.PostAsync("/v2/device?action=enablefeature&unknown_extra=1", new FormUrlEncodedContent(body), Ct);
        Assert.Equal(0, (await TestPartner.ReadAsync(response)).Status);
    }

    [Fact]
    public async Task EnableFeature_AlreadyEnabled_SucceedsAndWritesNoEvent()
    {
        var partner = await server.CreatePartnerAsync();
        Assert.Equal(0, (await partner.EnableAsync("feature_pwv")).Status);
        Assert.Equal(0, (await partner.EnableAsync("feature_pwv")).Status);
        Assert.Equal(0, (await partner.DisableAsync("feature_pwv")).Status);
        Assert.Equal(0, (await partner.DisableAsync("feature_pwv")).Status);

        var events = await AuditAsync(partner);
        Assert.Equal(["feature.enabled", "feature.disabled"], events.Select(e => e.GetProperty("kind").GetString()));
    }

    [Fact]
    public async Task EnableFeature_AuditEvent_CarriesWhoWhatWhenAndRequestId()
    {
        var partner = await server.CreatePartnerAsync();
        await partner.EnableAsync("feature_eyes_closed_mode");
        await partner.DisableAsync("feature_eyes_closed_mode");

        var events = await AuditAsync(partner);
        Assert.Equal(2, events.Count);
        var enabled = events[0];
        Assert.Equal("feature.enabled", enabled.GetProperty("kind").GetString());
        Assert.Equal(partner.ClientId, enabled.GetProperty("actor").GetString());
        Assert.Equal(partner.ClientId, enabled.GetProperty("client_id").GetString());
        Assert.Equal(partner.UserId, enabled.GetProperty("userid").GetInt32());
        Assert.Equal(17, enabled.GetProperty("model").GetInt32());
        Assert.Equal("feature_eyes_closed_mode", enabled.GetProperty("feature_name").GetString());
        Assert.Equal(JsonValueKind.Null, enabled.GetProperty("old_value").ValueKind);
        Assert.True(enabled.GetProperty("new_value").GetBoolean());
        Assert.Contains("catalog default was off", enabled.GetProperty("detail").GetString());
        Assert.False(string.IsNullOrEmpty(enabled.GetProperty("request_id").GetString()));
        Assert.Equal(server.Time.GetUtcNow(), enabled.GetProperty("occurred_at").GetDateTimeOffset());

        var disabled = events[1];
        Assert.True(disabled.GetProperty("old_value").GetBoolean());
        Assert.False(disabled.GetProperty("new_value").GetBoolean());
        Assert.NotEqual(enabled.GetProperty("request_id").GetString(), disabled.GetProperty("request_id").GetString());
    }

    [Fact]
    public async Task EnableFeature_DefaultOnFeature_IsRecordedAsAChoice()
    {
        var partner = await server.CreatePartnerAsync();
        Assert.Equal(0, (await partner.EnableAsync("feature_fat_mass")).Status);
        Assert.Equal(new Dictionary<string, bool> { ["feature_fat_mass"] = true }, await partner.GetFeaturesAsync());
    }

    // --- refusals

    [Theory]
    [InlineData("userid")]
    [InlineData("model")]
    [InlineData("feature_name")]
    [InlineData("nonce")]
    [InlineData("signature")]
    [InlineData("client_id")]
    public async Task EnableFeature_MissingParameter_IsInvalidParamsNamingIt(string missing)
    {
        var partner = await server.CreatePartnerAsync();
        var signed = await partner.SignedAsync("enablefeature", TestPartner.Feature(partner.UserId, 17, "feature_pwv"));
        signed.Remove(missing);
        var answer = await partner.PostFormAsync("/v2/device", signed);
        Assert.Equal(503, answer.Status);
        Assert.Equal($"Invalid Params: missing parameter '{missing}'", answer.Error);
    }

    [Theory]
    [InlineData("userid", "abc")]
    [InlineData("userid", "99999999999")]
    [InlineData("userid", "1.5")]
    [InlineData("model", "seventeen")]
    [InlineData("model", "1e3")]
    public async Task EnableFeature_MalformedNumber_IsInvalidParamsNamingIt(string parameter, string value)
    {
        var partner = await server.CreatePartnerAsync();
        var business = TestPartner.Feature(partner.UserId, 17, "feature_pwv");
        business[parameter] = value;
        var answer = await partner.CallAsync("enablefeature", business);
        Assert.Equal(503, answer.Status);
        Assert.Contains($"'{parameter}'", answer.Error);
    }

    [Fact]
    public async Task EnableFeature_UnknownFeature_IsInvalidParams()
    {
        var partner = await server.CreatePartnerAsync();
        var answer = await partner.EnableAsync("feature_time_travel");
        Assert.Equal(504, answer.Status);
        Assert.Contains("unknown feature_name 'feature_time_travel'", answer.Error);
    }

    [Fact]
    public async Task EnableFeature_UnknownModel_IsInvalidParams()
    {
        var partner = await server.CreatePartnerAsync();
        var answer = await partner.EnableAsync("feature_pwv", model: 999);
        Assert.Equal(505, answer.Status);
        Assert.Contains("unknown model 999", answer.Error);
    }

    [Fact]
    public async Task EnableFeature_IncompatibleModel_SaysWhereTheFeatureExists()
    {
        var partner = await server.CreatePartnerAsync();
        var answer = await partner.EnableAsync("feature_pacemaker", model: 47);
        Assert.Equal(506, answer.Status);
        Assert.Contains("not available on model 47 (BPM Pro 2)", answer.Error);
        Assert.Contains("Body Pro 2 (model 17)", answer.Error);
    }

    [Fact]
    public async Task EnableFeature_UnknownUserAndOtherPartnersUser_GetTheSameRefusal()
    {
        var partner = await server.CreatePartnerAsync();
        var other = await server.CreatePartnerAsync();

        var missing = await partner.EnableAsync("feature_pwv", userId: 2_000_000_000);
        var foreign = await partner.EnableAsync("feature_pwv", userId: other.UserId);

        Assert.Equal(247, missing.Status);
        Assert.Equal(247, foreign.Status);
        Assert.Equal(
            missing.Error!.Replace("2000000000", "N", StringComparison.Ordinal),
            foreign.Error!.Replace(other.UserId.ToString(CultureInfo.InvariantCulture), "N", StringComparison.Ordinal));
        Assert.Empty(await other.GetFeaturesAsync());
    }

    [Fact]
    public async Task GetFeatures_OtherPartnersUser_IsRefusedLikeAMissingUser()
    {
        var partner = await server.CreatePartnerAsync();
        var other = await server.CreatePartnerAsync();
        await other.EnableAsync("feature_pwv");
        var answer = await partner.CallAsync("getfeatures", new() { ["userid"] = other.UserId.ToString(CultureInfo.InvariantCulture), ["model"] = "17" });
        Assert.Equal(247, answer.Status);
        Assert.False(answer.Body.TryGetProperty("features", out _));
    }

    [Fact]
    public async Task EnableFeature_GatedWithoutGrant_IsUnauthorized()
    {
        var partner = await server.CreatePartnerAsync();
        var answer = await partner.EnableAsync("feature_esc");
        Assert.Equal(2553, answer.Status);
        Assert.Contains("Customer Success Manager", answer.Error);
        Assert.Empty(await partner.GetFeaturesAsync());
    }

    [Fact]
    public async Task EnableFeature_GatedWithGrant_Succeeds_AndRevokeStopsIt()
    {
        var partner = await server.CreatePartnerAsync((63, "US"));
        using var admin = server.CreateAdminClient();
        (await admin.PutAsync($"/admin/api/partners/{partner.ClientId}/entitlements/feature_sleep_rx", null, Ct)).EnsureSuccessStatusCode();
        Assert.Equal(0, (await partner.EnableAsync("feature_sleep_rx", model: 63)).Status);
        Assert.Equal(0, (await partner.DisableAsync("feature_sleep_rx", model: 63)).Status);

        (await admin.DeleteAsync($"/admin/api/partners/{partner.ClientId}/entitlements/feature_sleep_rx", Ct)).EnsureSuccessStatusCode();
        Assert.Equal(2553, (await partner.EnableAsync("feature_sleep_rx", model: 63)).Status);
        Assert.Equal(0, (await partner.DisableAsync("feature_sleep_rx", model: 63)).Status);
    }

    [Fact]
    public async Task EnableFeature_EuOnlyFeatureOnUsDevicesOnly_IsRefused()
    {
        var partner = await server.CreatePartnerAsync((17, "US"));
        var answer = await partner.EnableAsync("feature_nhs");
        Assert.Equal(2555, answer.Status);
        Assert.Contains("EU devices only", answer.Error);
        Assert.Contains("US", answer.Error);
        Assert.Equal(0, (await partner.DisableAsync("feature_nhs")).Status);
    }

    [Fact]
    public async Task EnableFeature_EuOnlyFeatureWithOneEuDevice_IsAccepted()
    {
        var partner = await server.CreatePartnerAsync((17, "US"), (17, "eu"));
        Assert.Equal(0, (await partner.EnableAsync("feature_nhs")).Status);
    }

    [Fact]
    public async Task EnableFeature_EuOnlyFeatureWithNoDeviceOfThatModelYet_WaitsForOne()
    {
        var partner = await server.CreatePartnerAsync((47, "US"));
        Assert.Equal(0, (await partner.EnableAsync("feature_nhs")).Status);
        Assert.True((await partner.GetFeaturesAsync())["feature_nhs"]);
    }

    [Fact]
    public async Task EnableFeature_SuspendedPartner_IsUnauthorized_AndResumeRestores()
    {
        var partner = await server.CreatePartnerAsync();
        var signed = await partner.SignedAsync("enablefeature", TestPartner.Feature(partner.UserId, 17, "feature_pwv"));
        using var admin = server.CreateAdminClient();
        (await admin.PostAsync($"/admin/api/partners/{partner.ClientId}/suspend", null, Ct)).EnsureSuccessStatusCode();

        var answer = await partner.PostFormAsync("/v2/device", signed);
        Assert.Equal(214, answer.Status);
        Assert.Equal(214, (await partner.GetNonceAnswerAsync()).Status);

        (await admin.PostAsync($"/admin/api/partners/{partner.ClientId}/resume", null, Ct)).EnsureSuccessStatusCode();
        Assert.Equal(0, (await partner.EnableAsync("feature_pwv")).Status);
    }

    [Fact]
    public async Task Device_UnknownAction_IsNotImplemented()
    {
        var partner = await server.CreatePartnerAsync();
        var answer = await partner.CallAsync("setfeature", new());
        Assert.Equal(2554, answer.Status);
        Assert.Contains("'setfeature' is not an action of /v2/device", answer.Error);
    }

    [Fact]
    public async Task UnknownWebService_IsNotImplemented()
    {
        var partner = await server.CreatePartnerAsync();
        var answer = await partner.PostFormAsync("/v2/nothing", new() { ["action"] = "get" });
        Assert.Equal(2554, answer.Status);
    }

    private async Task<List<JsonElement>> AuditAsync(TestPartner partner)
    {
        using var admin = server.CreateAdminClient();
        var page = await admin.GetFromJsonAsync<JsonElement>(
            $"/admin/api/audit?client_id={partner.ClientId}&userid={partner.UserId}", Ct);
        return page.GetProperty("events").EnumerateArray()
            .Where(e => e.GetProperty("kind").GetString()!.StartsWith("feature.", StringComparison.Ordinal))
            .ToList();
    }
}

public sealed class EnableFeatureTestsOnSqlite(SqliteServer server) : EnableFeatureTests(server), IClassFixture<SqliteServer>;

[NeedsPostgres]
public sealed class EnableFeatureTestsOnPostgres(PostgresServer server) : EnableFeatureTests(server.OrSkip()), IClassFixture<PostgresServer>;
