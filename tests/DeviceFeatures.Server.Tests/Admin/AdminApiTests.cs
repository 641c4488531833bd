using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using DeviceFeatures.Protocol.Admin;
using DeviceFeatures.Server.Tests.Infrastructure;

namespace DeviceFeatures.Server.Tests.Admin;

public abstract class AdminApiTests(ServerFactory server)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static async Task<JsonElement> ProblemAsync(HttpResponseMessage response, HttpStatusCode status, string code)
    {
        Assert.Equal(status, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>(Ct);
        Assert.Equal(code, problem.GetProperty("code").GetString());
        Assert.Equal((int)status, problem.GetProperty("status").GetInt32());
        return problem;
    }

    [Theory]
    [InlineData(null)]
    [InlineData("Bearer")]
    [InlineData("Bearer   ")]
    [InlineData("Basic dGVzdDp0ZXN0")]
    public async Task AdminApi_WithoutABearerKey_IsUnauthorized_AsAMissingKey(string? authorization)
    {
        using var client = server.CreateClient();
        if (authorization is not null)
        {
            client.DefaultRequestHeaders.TryAddWithoutValidation("Authorization", authorization);
        }

        using var response = await client.GetAsync("/admin/api/partners", Ct);
        var problem = await ProblemAsync(response, HttpStatusCode.Unauthorized, "admin_key_missing");
        Assert.Contains("'Authorization: Bearer <key>'", problem.GetProperty("detail").GetString());
        var challenge = response.Headers.WwwAuthenticate.Single();
        Assert.Equal("Bearer", challenge.Scheme);
        Assert.Null(challenge.Parameter);
    }

    [Theory]
    [InlineData("Bearer wrong-key")]
    [InlineData("bearer   wrong-key  ")]
    public async Task AdminApi_WithAWrongKey_IsUnauthorized_AsAnInvalidKey_WithItsOwnText(string authorization)
    {
        using var client = server.CreateClient();
        client.DefaultRequestHeaders.TryAddWithoutValidation("Authorization", authorization);
        using var response = await client.GetAsync("/admin/api/partners", Ct);
        var problem = await ProblemAsync(response, HttpStatusCode.Unauthorized, "admin_key_invalid");
        Assert.Contains("Admin:ApiKey", problem.GetProperty("detail").GetString());

        using var missing = await server.CreateClient().GetAsync("/admin/api/partners", Ct);
        var missingProblem = await missing.Content.ReadFromJsonAsync<JsonElement>(Ct);
        Assert.NotEqual(missingProblem.GetProperty("detail").GetString(), problem.GetProperty("detail").GetString());

        var challenge = response.Headers.WwwAuthenticate.Single();
        Assert.Equal("Bearer", challenge.Scheme);
        Assert.Equal("error=\"invalid_token\"", challenge.Parameter);
    }

    [Fact]
    public async Task AdminApi_WithoutTheKey_IsUnauthorizedBeforeTheBodyIsRead()
    {
        using var client = server.CreateClient();
        using var response = await client.PostAsync("/admin/api/partners", new StringContent("{\"name\":", Encoding.UTF8, "application/json"), Ct);
        await ProblemAsync(response, HttpStatusCode.Unauthorized, "admin_key_missing");
    }

    [Fact]
    public async Task CreatePartner_ShowsTheSecretOnce_AndListsWithoutIt()
    {
        using var admin = server.CreateAdminClient();
        using var created = await admin.PostAsJsonAsync("/admin/api/partners", new { name = "Acme Health" }, Ct);
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var partner = await created.Content.ReadFromJsonAsync<JsonElement>(Ct);
        var clientId = partner.GetProperty("client_id").GetString()!;
        Assert.Matches("^[0-9a-f]{64}$", clientId);
        Assert.Matches("^[0-9a-f]{64}$", partner.GetProperty("client_secret").GetString()!);
        Assert.Equal("Acme Health", partner.GetProperty("name").GetString());
        Assert.Equal($"/admin/api/partners/{clientId}", created.Headers.Location?.ToString());

        var list = await admin.GetStringAsync("/admin/api/partners", Ct);
        Assert.Contains(clientId, list);
        Assert.DoesNotContain("client_secret", list);
        var one = await admin.GetFromJsonAsync<JsonElement>($"/admin/api/partners/{clientId}", Ct);
        Assert.Equal("active", one.GetProperty("status").GetString());
        Assert.False(one.TryGetProperty("client_secret", out _));
    }

    [Theory]
    [InlineData("{}")]
    [InlineData("""{"name":""}""")]
    [InlineData("""{"name":"   "}""")]
    public async Task CreatePartner_WithoutName_IsInvalid(string body)
    {
        using var admin = server.CreateAdminClient();
        using var response = await admin.PostAsync("/admin/api/partners", new StringContent(body, Encoding.UTF8, "application/json"), Ct);
        var problem = await ProblemAsync(response, HttpStatusCode.BadRequest, "invalid_request");
        Assert.Contains("'name'", problem.GetProperty("detail").GetString());
    }

    [Fact]
    public async Task CreatePartner_MalformedJson_IsProblemNotCrash()
    {
        using var admin = server.CreateAdminClient();
        using var response = await admin.PostAsync("/admin/api/partners", new StringContent("{\"name\":", Encoding.UTF8, "application/json"), Ct);
        await ProblemAsync(response, HttpStatusCode.BadRequest, "invalid_request");
    }

    [Fact]
    public async Task RotateSecret_WithoutOverlap_OldSecretStopsAtOnce()
    {
        var partner = await server.CreatePartnerAsync();
        using var admin = server.CreateAdminClient();
        using var response = await admin.PostAsJsonAsync($"/admin/api/partners/{partner.ClientId}/rotate-secret", new { overlap_seconds = 0 }, Ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var rotated = await response.Content.ReadFromJsonAsync<JsonElement>(Ct);
        var secret = rotated.GetProperty("client_secret").GetString()!;
        Assert.NotEqual(partner.ClientSecret, secret);
        Assert.Equal(JsonValueKind.Null, rotated.GetProperty("previous_secret_expires_at").ValueKind);

        Assert.Equal(101, (await partner.GetNonceAnswerAsync()).Status);
        Assert.Equal(0, (await partner.GetNonceAnswerAsync(secret: secret)).Status);
    }

    [Fact]
    public async Task RotateSecret_ByDefault_AcceptsBothSecretsForAnHour_ThenOnlyTheNewOne()
    {
        var partner = await server.CreatePartnerAsync();
        using var admin = server.CreateAdminClient();
        using var response = await admin.PostAsync($"/admin/api/partners/{partner.ClientId}/rotate-secret", null, Ct);
        var rotated = await response.Content.ReadFromJsonAsync<JsonElement>(Ct);
        var secret = rotated.GetProperty("client_secret").GetString()!;
        var expiresAt = rotated.GetProperty("previous_secret_expires_at").GetDateTimeOffset();
        Assert.Equal(server.Time.GetUtcNow().AddHours(1), expiresAt);

        // Old and new both sign, for the whole of a call (the nonce's call is signed with the other secret).
        Assert.Equal(0, (await partner.GetNonceAnswerAsync()).Status);
        Assert.Equal(0, (await partner.EnableAsync("feature_pwv")).Status);
        var renewed = new TestPartner(server, partner.ClientId, secret, partner.UserId);
        Assert.Equal(0, (await renewed.EnableAsync("feature_pacemaker")).Status);
        var status = await admin.GetFromJsonAsync<JsonElement>($"/admin/api/partners/{partner.ClientId}", Ct);
        Assert.Equal(expiresAt, status.GetProperty("previous_secret_expires_at").GetDateTimeOffset());

        server.Time.Advance(TimeSpan.FromHours(1));
        Assert.Equal(101, (await partner.GetNonceAnswerAsync()).Status);
        Assert.Equal(0, (await renewed.GetNonceAnswerAsync()).Status);
    }

    [Fact]
    public async Task ClientSecrets_AreEncryptedAtRest_AndNeverReturnedAfterCreation()
    {
        var partner = await server.CreatePartnerAsync();
        var stored = Sql.Text(server, $"SELECT client_secret FROM partners WHERE client_id = '{partner.ClientId}'");
        Assert.StartsWith("v1:", stored);
        Assert.DoesNotContain(partner.ClientSecret, stored);
        Assert.DoesNotContain(partner.ClientSecret, Sql.Snapshot(server));

        using var admin = server.CreateAdminClient();
        Assert.DoesNotContain(partner.ClientSecret, await admin.GetStringAsync("/admin/api/partners", Ct));
        Assert.DoesNotContain(partner.ClientSecret, await admin.GetStringAsync($"/admin/api/partners/{partner.ClientId}", Ct));
        Assert.DoesNotContain(partner.ClientSecret, await admin.GetStringAsync($"/admin/api/audit/export?client_id={partner.ClientId}", Ct));
    }

    [Fact]
    public async Task RotateSecret_WithAnOverlapOutOfRange_IsInvalid()
    {
        var partner = await server.CreatePartnerAsync();
        using var admin = server.CreateAdminClient();
        await ProblemAsync(await admin.PostAsJsonAsync($"/admin/api/partners/{partner.ClientId}/rotate-secret", new { overlap_seconds = -1 }, Ct),
            HttpStatusCode.BadRequest, "invalid_request");
    }

    [Fact]
    public async Task PartnerOperations_OnUnknownPartner_AreNotFound()
    {
        using var admin = server.CreateAdminClient();
        await ProblemAsync(await admin.GetAsync("/admin/api/partners/nobody", Ct), HttpStatusCode.NotFound, "partner_not_found");
        await ProblemAsync(await admin.PostAsync("/admin/api/partners/nobody/suspend", null, Ct), HttpStatusCode.NotFound, "partner_not_found");
        await ProblemAsync(await admin.PostAsync("/admin/api/partners/nobody/rotate-secret", null, Ct), HttpStatusCode.NotFound, "partner_not_found");
        await ProblemAsync(await admin.PutAsync("/admin/api/partners/nobody/entitlements/feature_esc", null, Ct), HttpStatusCode.NotFound, "partner_not_found");
    }

    [Fact]
    public async Task SuspendAndResume_ChangeStatus_AndAreAudited()
    {
        var partner = await server.CreatePartnerAsync();
        using var admin = server.CreateAdminClient();
        var suspended = await (await admin.PostAsync($"/admin/api/partners/{partner.ClientId}/suspend", null, Ct)).Content.ReadFromJsonAsync<JsonElement>(Ct);
        Assert.Equal("suspended", suspended.GetProperty("status").GetString());
        await admin.PostAsync($"/admin/api/partners/{partner.ClientId}/suspend", null, Ct);
        var resumed = await (await admin.PostAsync($"/admin/api/partners/{partner.ClientId}/resume", null, Ct)).Content.ReadFromJsonAsync<JsonElement>(Ct);
        Assert.Equal("active", resumed.GetProperty("status").GetString());

        var kinds = await KindsAsync(admin, partner.ClientId);
        Assert.Equal(["partner.created", "user.created", "partner.suspended", "partner.resumed"], kinds);
    }

    [Fact]
    public async Task CreateUser_NormalizesDevices_AndShowsThem()
    {
        var partner = await server.CreatePartnerAsync();
        using var admin = server.CreateAdminClient();
        var mac = ServerFactory.RandomMac().ToUpperInvariant().Replace(':', '-');
        using var response = await admin.PostAsJsonAsync("/admin/api/users", new
        {
            client_id = partner.ClientId,
            devices = new[] { new { mac_address = mac, model = 17, market = "eu" } },
        }, Ct);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var userId = (await response.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("userid").GetInt32();

        var user = await admin.GetFromJsonAsync<JsonElement>($"/admin/api/users/{userId}", Ct);
        var device = user.GetProperty("devices")[0];
        Assert.Equal(mac.ToLowerInvariant().Replace('-', ':'), device.GetProperty("mac_address").GetString());
        Assert.Equal("EU", device.GetProperty("market").GetString());
        Assert.Equal("Body Pro 2", device.GetProperty("model_name").GetString());
        Assert.Equal(partner.ClientId, user.GetProperty("client_id").GetString());
    }

    public static TheoryData<string, string> InvalidUsers => new()
    {
        { """{"devices":[]}""", "'client_id'" },
        { """{"client_id":"CID","devices":[{"mac_address":"nope","model":17,"market":"EU"}]}""", "devices[0].mac_address" },
        { """{"client_id":"CID","devices":[{"mac_address":"00:24:e4:00:00:01","model":999,"market":"EU"}]}""", "devices[0].model" },
        { """{"client_id":"CID","devices":[{"mac_address":"00:24:e4:00:00:01","model":17,"market":"Europe"}]}""", "devices[0].market" },
        { """{"client_id":"CID","devices":[{"mac_address":"00:24:e4:00:00:01","model":17,"market":"EU"},{"mac_address":"00:24:E4:00:00:01","model":47,"market":"EU"}]}""", "listed twice" },
    };

    [Theory]
    [MemberData(nameof(InvalidUsers))]
    public async Task CreateUser_InvalidBody_SaysWhichField(string body, string expected)
    {
        var partner = await server.CreatePartnerAsync();
        using var admin = server.CreateAdminClient();
        using var response = await admin.PostAsync("/admin/api/users",
            new StringContent(body.Replace("CID", partner.ClientId, StringComparison.Ordinal), Encoding.UTF8, "application/json"), Ct);
        var problem = await ProblemAsync(response, HttpStatusCode.BadRequest, "invalid_request");
        Assert.Contains(expected, problem.GetProperty("detail").GetString());
    }

    [Fact]
    public async Task CreateUser_WithLinkedMac_IsConflict()
    {
        var partner = await server.CreatePartnerAsync();
        using var admin = server.CreateAdminClient();
        var mac = ServerFactory.RandomMac();
        var body = new { client_id = partner.ClientId, devices = new[] { new { mac_address = mac, model = 17, market = "EU" } } };
        (await admin.PostAsJsonAsync("/admin/api/users", body, Ct)).EnsureSuccessStatusCode();
        await ProblemAsync(await admin.PostAsJsonAsync("/admin/api/users", body, Ct), HttpStatusCode.Conflict, "mac_address_linked");
    }

    [Fact]
    public async Task CreateUser_ForUnknownPartner_IsNotFound()
    {
        using var admin = server.CreateAdminClient();
        await ProblemAsync(await admin.PostAsJsonAsync("/admin/api/users", new { client_id = "nobody", devices = Array.Empty<object>() }, Ct),
            HttpStatusCode.NotFound, "partner_not_found");
    }

    [Fact]
    public async Task Entitlements_GrantListRevoke_AreIdempotentAndAudited()
    {
        var partner = await server.CreatePartnerAsync();
        using var admin = server.CreateAdminClient();
        var path = $"/admin/api/partners/{partner.ClientId}/entitlements/feature_esc";
        Assert.Equal(HttpStatusCode.OK, (await admin.PutAsync(path, null, Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await admin.PutAsync(path, null, Ct)).StatusCode);

        var list = await admin.GetFromJsonAsync<JsonElement>($"/admin/api/partners/{partner.ClientId}/entitlements", Ct);
        Assert.Equal(["feature_esc"], list.GetProperty("entitlements").EnumerateArray().Select(e => e.GetProperty("feature_name").GetString()));

        Assert.Equal(HttpStatusCode.NoContent, (await admin.DeleteAsync(path, Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await admin.DeleteAsync(path, Ct)).StatusCode);
        Assert.Equal(["partner.created", "user.created", "entitlement.granted", "entitlement.revoked"], await KindsAsync(admin, partner.ClientId));
    }

    [Fact]
    public async Task Entitlements_ForUnknownOrUngatedFeature_AreRefused()
    {
        var partner = await server.CreatePartnerAsync();
        using var admin = server.CreateAdminClient();
        await ProblemAsync(await admin.PutAsync($"/admin/api/partners/{partner.ClientId}/entitlements/feature_nope", null, Ct),
            HttpStatusCode.NotFound, "feature_not_found");
        var problem = await ProblemAsync(await admin.PutAsync($"/admin/api/partners/{partner.ClientId}/entitlements/feature_pwv", null, Ct),
            HttpStatusCode.BadRequest, "invalid_request");
        Assert.Contains("not a gated feature", problem.GetProperty("detail").GetString());
    }

    [Fact]
    public async Task EffectiveFeatures_OverlayChoicesOnDefaults_AndApplyMarketAndGrantRules()
    {
        var partner = await server.CreatePartnerAsync((17, "US"), (47, "EU"));
        await partner.DisableAsync("feature_fat_mass");
        await partner.EnableAsync("feature_pwv");
        await partner.EnableAsync("feature_retake_low_htn", model: 47);

        using var admin = server.CreateAdminClient();
        var state = await admin.GetFromJsonAsync<JsonElement>($"/admin/api/users/{partner.UserId}/features", Ct);
        Assert.Equal(partner.ClientId, state.GetProperty("client_id").GetString());
        var devices = state.GetProperty("devices").EnumerateArray().ToList();
        Assert.Equal(2, devices.Count);

        var scale = devices.Single(d => d.GetProperty("model").GetInt32() == 17).GetProperty("features").EnumerateArray()
            .ToDictionary(f => f.GetProperty("feature_name").GetString()!);
        Assert.Equal(13, scale.Count);
        Assert.False(scale["feature_fat_mass"].GetProperty("active").GetBoolean());
        Assert.Equal("choice", scale["feature_fat_mass"].GetProperty("source").GetString());
        Assert.True(scale["feature_muscle_mass"].GetProperty("active").GetBoolean());
        Assert.Equal("default", scale["feature_muscle_mass"].GetProperty("source").GetString());
        Assert.True(scale["feature_pwv"].GetProperty("active").GetBoolean());
        Assert.False(scale["feature_nhs"].GetProperty("active").GetBoolean());
        Assert.Contains("EU devices only", scale["feature_nhs"].GetProperty("restriction").GetString());
        Assert.False(scale["feature_esc"].GetProperty("active").GetBoolean());
        Assert.Contains("not granted", scale["feature_esc"].GetProperty("restriction").GetString());

        var bpm = devices.Single(d => d.GetProperty("model").GetInt32() == 47).GetProperty("features").EnumerateArray()
            .ToDictionary(f => f.GetProperty("feature_name").GetString()!, f => f.GetProperty("active").GetBoolean());
        Assert.Equal(new Dictionary<string, bool>
        {
            ["feature_retake_high_htn"] = true,
            ["feature_retake_medium_htn"] = false,
            ["feature_retake_low_htn"] = true,
        }, bpm);
        Assert.Empty(state.GetProperty("pending_choices").EnumerateArray());
    }

    [Fact]
    public async Task EffectiveFeatures_ChoiceForUnlinkedModel_IsPending()
    {
        var partner = await server.CreatePartnerAsync((47, "EU"));
        await partner.EnableAsync("feature_eyes_closed_mode");
        using var admin = server.CreateAdminClient();
        var state = await admin.GetFromJsonAsync<JsonElement>($"/admin/api/users/{partner.UserId}/features", Ct);
        var pending = Assert.Single(state.GetProperty("pending_choices").EnumerateArray());
        Assert.Equal("feature_eyes_closed_mode", pending.GetProperty("feature_name").GetString());
        Assert.Equal(17, pending.GetProperty("model").GetInt32());
    }

    [Fact]
    public async Task Users_UnknownUser_IsNotFound()
    {
        using var admin = server.CreateAdminClient();
        await ProblemAsync(await admin.GetAsync("/admin/api/users/2000000001/features", Ct), HttpStatusCode.NotFound, "user_not_found");
        await ProblemAsync(await admin.GetAsync("/admin/api/users/2000000001", Ct), HttpStatusCode.NotFound, "user_not_found");
    }

    [Fact]
    public async Task Audit_PagesWithNextAfter_AndFiltersBySince()
    {
        var partner = await server.CreatePartnerAsync();
        foreach (var feature in new[] { "feature_pwv", "feature_pacemaker", "feature_eyes_closed_mode" })
        {
            await partner.EnableAsync(feature);
        }

        using var admin = server.CreateAdminClient();
        var seen = new List<string>();
        string? after = null;
        do
        {
            var page = await admin.GetFromJsonAsync<JsonElement>(
                $"/admin/api/audit?client_id={partner.ClientId}&limit=2" + (after is null ? "" : $"&after={after}"), Ct);
            seen.AddRange(page.GetProperty("events").EnumerateArray().Select(e => e.GetProperty("kind").GetString()!));
            after = page.GetProperty("next_after").ValueKind == JsonValueKind.Null ? null : page.GetProperty("next_after").GetInt64().ToString(System.Globalization.CultureInfo.InvariantCulture);
        }
        while (after is not null);

        Assert.Equal(["partner.created", "user.created", "feature.enabled", "feature.enabled", "feature.enabled"], seen);

        var future = server.Time.GetUtcNow().AddMinutes(1).ToString("O", System.Globalization.CultureInfo.InvariantCulture);
        var none = await admin.GetFromJsonAsync<JsonElement>($"/admin/api/audit?client_id={partner.ClientId}&since={Uri.EscapeDataString(future)}", Ct);
        Assert.Empty(none.GetProperty("events").EnumerateArray());
    }

    [Theory]
    [InlineData("limit=0")]
    [InlineData("limit=5000")]
    [InlineData("since=yesterday")]
    [InlineData("userid=abc")]
    [InlineData("after=-1")]
    public async Task Audit_BadQuery_IsInvalid(string query)
    {
        using var admin = server.CreateAdminClient();
        await ProblemAsync(await admin.GetAsync($"/admin/api/audit?{query}", Ct), HttpStatusCode.BadRequest, "invalid_request");
    }

    [Fact]
    public async Task AuditExport_IsJsonLines()
    {
        var partner = await server.CreatePartnerAsync();
        await partner.EnableAsync("feature_pwv");
        using var admin = server.CreateAdminClient();
        using var response = await admin.GetAsync($"/admin/api/audit/export?client_id={partner.ClientId}", Ct);
        Assert.Equal("application/x-ndjson", response.Content.Headers.ContentType?.MediaType);
        var lines = (await response.Content.ReadAsStringAsync(Ct)).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(3, lines.Length);
        var last = JsonDocument.Parse(lines[^1]).RootElement;
        Assert.Equal("feature.enabled", last.GetProperty("kind").GetString());
        Assert.Equal(partner.UserId, last.GetProperty("userid").GetInt32());
    }

    [Fact]
    public async Task UnknownAdminPath_IsProblemJson()
    {
        using var admin = server.CreateAdminClient();
        using var response = await admin.GetAsync("/admin/api/nothing-here", Ct);
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task Answers_AreTheSharedContracts_ByteForByte()
    {
        var partner = await server.CreatePartnerAsync();
        await partner.EnableAsync("feature_eyes_closed_mode");
        using var admin = server.CreateAdminClient();
        (await admin.PutAsync($"/admin/api/partners/{partner.ClientId}/entitlements/feature_esc", null, Ct)).EnsureSuccessStatusCode();

        var contracts = AdminJsonContext.Default;
        await SameBytesAsync(admin, $"/admin/api/partners/{partner.ClientId}", contracts.Partner);
        await SameBytesAsync(admin, $"/admin/api/partners/{partner.ClientId}/entitlements", contracts.EntitlementList);
        await SameBytesAsync(admin, $"/admin/api/users/{partner.UserId}", contracts.User);
        await SameBytesAsync(admin, $"/admin/api/users/{partner.UserId}/features", contracts.UserFeatureState);
        await SameBytesAsync(admin, $"/admin/api/audit?client_id={partner.ClientId}", contracts.AuditPage);
    }

    private static async Task SameBytesAsync<T>(HttpClient admin, string path, JsonTypeInfo<T> contract)
    {
        var answer = await admin.GetStringAsync(path, Ct);
        var value = JsonSerializer.Deserialize(answer, contract)!;
        Assert.Equal(answer, JsonSerializer.Serialize(value, contract));
    }

    private static async Task<List<string>> KindsAsync(HttpClient admin, string clientId)
    {
        var page = await admin.GetFromJsonAsync<JsonElement>($"/admin/api/audit?client_id={clientId}", Ct);
        return page.GetProperty("events").EnumerateArray().Select(e => e.GetProperty("kind").GetString()!).ToList();
    }
}

public sealed class AdminApiTestsOnSqlite(SqliteServer server) : AdminApiTests(server), IClassFixture<SqliteServer>;

public sealed class AdminApiTestsOnPostgres(PostgresServer server) : AdminApiTests(server.OrSkip()), IClassFixture<PostgresServer>;
