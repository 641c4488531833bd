using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Identity;
using DeviceFeatures.Protocol.Admin;
using DeviceFeatures.Protocol.Envelope;
using DeviceFeatures.Server.Tests.Infrastructure;

namespace DeviceFeatures.Server.Tests.Device;

/// <summary>
/// <c>/v2/user activate</c>, <c>get</c> and <c>getdevice</c>, and <c>/v2/oauth2 requesttoken</c>: a partner activates a user
/// with the devices it shipped, exchanges the code for tokens and reads the user's devices.
/// </summary>
public abstract class UserActivationTests(ServerFactory server)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>Imports devices into the inventory, assigned to the partner (or to nobody).</summary>
    protected async Task<string[]> ShipAsync(string? clientId, params int[] models)
    {
        using var admin = server.CreateAdminClient();
        var rows = models.Select(model => new DeviceImportRow(ServerFactory.RandomMac(), model, "EU", "2.1.0", clientId)).ToArray();
        using var response = await admin.PostAsJsonAsync("/admin/api/devices/import", new ImportDevicesRequest(rows),
            AdminJsonContext.Default.ImportDevicesRequest, Ct);
        response.EnsureSuccessStatusCode();
        return rows.Select(r => r.MacAddress!).ToArray();
    }

    protected static Dictionary<string, string> Profile(string externalId, params string[] macs) => new()
    {
        ["mailingpref"] = "true",
        ["birthdate"] = "631152000",
        ["measures"] = """[{"value":180,"unit":-2,"type":4},{"value":8000,"unit":-2,"type":1}]""",
        ["gender"] = "1",
        ["preflang"] = "en_EN",
        ["unit_pref"] = """{"weight":1,"height":6,"distance":6,"temperature":11}""",
        ["email"] = "Jane.Doe@Example.com",
        ["timezone"] = "Europe/Paris",
        ["shortname"] = "JAN",
        ["external_id"] = externalId,
        ["mac_addresses"] = JsonSerializer.Serialize(macs),
    };

    private static async Task<WireAnswer> ActivateOkAsync(TestPartner partner, Dictionary<string, string> profile)
    {
        var answer = await partner.PostFormAsync("/v2/user", await partner.SignedAsync("activate", profile));
        Assert.True(answer.Status == 0, answer.Error);
        return answer;
    }

    private static string Code(WireAnswer answer) => answer.Body.GetProperty("user").GetProperty("code").GetString()!;

    private static Task<WireAnswer> ExchangeAsync(TestPartner partner, string code, string redirectUri = "https://partner.example/callback",
        string? secret = null) =>
        partner.PostFormAsync("/v2/oauth2", new()
        {
            ["action"] = "requesttoken",
            ["grant_type"] = "authorization_code",
            ["client_id"] = partner.ClientId,
            ["client_secret"] = secret ?? partner.ClientSecret,
            ["code"] = code,
            ["redirect_uri"] = redirectUri,
        });

    private static Task<WireAnswer> RefreshAsync(TestPartner partner, string refreshToken) =>
        partner.PostFormAsync("/v2/oauth2", new()
        {
            ["action"] = "requesttoken",
            ["grant_type"] = "refresh_token",
            ["client_id"] = partner.ClientId,
            ["client_secret"] = partner.ClientSecret,
            ["refresh_token"] = refreshToken,
        });

    private static async Task<JsonElement> TokensAsync(TestPartner partner, string code)
    {
        var answer = await ExchangeAsync(partner, code);
        Assert.True(answer.Status == 0, answer.Error);
        return answer.Body;
    }

    private async Task<WireAnswer> GetDeviceAsync(string? authorization)
    {
        using var client = server.CreateClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v2/user")
        {
            Content = new FormUrlEncodedContent(new Dictionary<string, string> { ["action"] = "getdevice" }),
        };
        if (authorization is not null)
        {
            request.Headers.TryAddWithoutValidation("Authorization", authorization);
        }

        using var response = await client.SendAsync(request, Ct);
        return await TestPartner.ReadAsync(response);
    }

    private static async Task<WireAnswer> GetUserAsync(TestPartner partner, Dictionary<string, string> lookup) =>
        await partner.PostFormAsync("/v2/user", await partner.SignedAsync("get", lookup));

    private static string NewExternalId() => Guid.NewGuid().ToString();

    private List<string> AuditOf(string kind, string clientId) =>
        Sql.Rows(server.Database, $"SELECT userid, detail FROM audit_events WHERE kind = '{kind}' AND client_id = '{clientId}' ORDER BY id");

    [Fact]
    public async Task Activate_WithThePartnersDevices_AnswersTheSpecShape_StoresTheProfile_AndAuditsIt()
    {
        var partner = await server.CreatePartnerAsync();
        var macs = await ShipAsync(partner.ClientId, 17, 47);
        var externalId = NewExternalId();

        var answer = await ActivateOkAsync(partner, Profile(externalId, macs[0].ToUpperInvariant(), macs[1]));

        var user = answer.Body.GetProperty("user");
        Assert.Matches("^[0-9a-f]{40}$", user.GetProperty("code").GetString());
        Assert.Equal(externalId, user.GetProperty("external_id").GetString());
        var devices = answer.Body.GetProperty("devices").EnumerateArray().ToArray();
        Assert.Equal(2, devices.Length);
        Assert.Equal(macs[0], devices[0].GetProperty("mac_address").GetString());
        Assert.Equal("Scale", devices[0].GetProperty("type").GetString());
        Assert.Equal("Body Pro 2", devices[0].GetProperty("model").GetString());
        Assert.Equal(17, devices[0].GetProperty("model_id").GetInt32());
        Assert.Matches("^[0-9a-f]{40}$", devices[0].GetProperty("deviceid").GetString());
        Assert.Equal("Europe/Paris", devices[0].GetProperty("timezone").GetString());
        Assert.Equal("Blood Pressure Monitor", devices[1].GetProperty("type").GetString());
        Assert.Equal(47, devices[1].GetProperty("model_id").GetInt32());

        var tokens = await TokensAsync(partner, Code(answer));
        var userId = tokens.GetProperty("userid").GetInt32();
        var audit = Assert.Single(AuditOf("user.activated", partner.ClientId));
        Assert.StartsWith($"{userId}|external_id {externalId}; linked ", audit);
        Assert.Contains(macs[0], audit);
        Assert.Equal(1, Sql.Scalar(server, $"SELECT COUNT(*) FROM user_profiles WHERE userid = {userId} AND email = 'jane.doe@example.com'"));
        Assert.Equal(2, Sql.Scalar(server, $"SELECT COUNT(*) FROM devices WHERE userid = {userId}"));
    }

    public static TheoryData<string, string?> InvalidParameters() => new()
    {
        { "mailingpref", null }, { "mailingpref", "maybe" },
        { "birthdate", null }, { "birthdate", "yesterday" }, { "birthdate", "99999999999" }, { "birthdate", "-2208988801" },
        { "measures", null }, { "measures", "not json" }, { "measures", """[{"value":180,"unit":-2,"type":4}]""" },
        { "measures", """[{"value":180,"unit":-2,"type":4},{"value":180,"unit":-2,"type":4}]""" },
        { "measures", """[{"value":400,"unit":-2,"type":4},{"value":8000,"unit":-2,"type":1}]""" },
        { "measures", """[{"value":180,"unit":-2,"type":4},{"value":601,"unit":0,"type":1}]""" },
        { "measures", """[{"value":1.8,"unit":0,"type":4},{"value":80,"unit":0,"type":1}]""" },
        { "gender", null }, { "gender", "2" },
        { "preflang", null }, { "preflang", "english" },
        { "unit_pref", null }, { "unit_pref", "[1,6,6,11]" }, { "unit_pref", """{"weight":3,"height":6,"distance":6,"temperature":11}""" },
        { "unit_pref", """{"weight":1,"height":6,"distance":6}""" },
        { "email", null }, { "email", "jane.doe" }, { "email", "jane doe@example.com" },
        { "timezone", null }, { "timezone", "Mars/Olympus" }, { "timezone", "CET+1" },
        { "shortname", null }, { "shortname", "JA" }, { "shortname", "JAN!" }, { "shortname", "J N" },
        { "external_id", null }, { "external_id", " padded " },
        { "mac_addresses", null }, { "mac_addresses", "00:24:e4:12:34:56" }, { "mac_addresses", "[]" }, { "mac_addresses", """["00:24:e4:zz:34:56"]""" },
        { "mac_addresses", """["00:24:e4:12:34:56","00-24-E4-12-34-56"]""" },
        { "firstname", new string('a', 101) }, { "lastname", new string('a', 101) },
        { "phonenumber", "0612345678" }, { "phonenumber", "+33 6 12 34 56 78" },
        { "recovery_code", new string('r', 256) },
        { "goals", "[10000]" }, { "goals", """{"steps":-1}""" }, { "goals", """{"calories":2000}""" },
        { "goals", """{"steps":"10000"}""" }, { "goals", """{"sleep":null}""" },
        { "shortname", "JAN\n" }, { "preflang", "en_EN\n" }, { "email", "jane.doe@example.com\n" }, { "phonenumber", "+33612345678\n" },
        { "redirect_uri", "not a uri" }, { "redirect_uri", "ftp://partner.example/" },
    };

    [Theory]
    [MemberData(nameof(InvalidParameters))]
    public async Task Activate_WithAnInvalidParameter_IsInvalidParams_NamingIt_AndCreatesNothing(string name, string? value)
    {
        var partner = await server.CreatePartnerAsync();
        var macs = await ShipAsync(partner.ClientId, 17);
        var externalId = NewExternalId();
        var profile = Profile(externalId, macs);
        if (value is null)
        {
            profile.Remove(name);
        }
        else
        {
            profile[name] = value;
        }

        var answer = await partner.PostFormAsync("/v2/user", await partner.SignedAsync("activate", profile));

        Assert.Equal(503, answer.Status);
        Assert.Contains($"'{name}'", answer.Error);
        Assert.Equal(0, Sql.Scalar(server, $"SELECT COUNT(*) FROM user_profiles WHERE external_id = '{externalId}'"));
        Assert.Equal(0, Sql.Scalar(server, $"SELECT COUNT(*) FROM devices WHERE mac_address = '{macs[0]}'"));
    }

    [Fact]
    public async Task Activate_WithEveryOptionalParameter_KeepsThem_AndAUserGetShowsThem()
    {
        var partner = await server.CreatePartnerAsync();
        var macs = await ShipAsync(partner.ClientId, 17);
        var profile = Profile(NewExternalId(), macs);
        profile["firstname"] = "Jane";
        profile["lastname"] = "Doe";
        profile["phonenumber"] = "+33612345678";
        profile["recovery_code"] = "recover-me";
        profile["goals"] = """{"steps":10000,"sleep":28800,"weight":{"value":70500,"unit":-3}}""";
        profile["redirect_uri"] = "https://partner.example/callback";
        profile["mailingpref"] = "0";
        var userId = (await TokensAsync(partner, Code(await ActivateOkAsync(partner, profile)))).GetProperty("userid").GetInt32();

        var answer = await GetUserAsync(partner, new() { ["userid"] = userId.ToString(System.Globalization.CultureInfo.InvariantCulture) });

        Assert.Equal(0, answer.Status);
        var user = answer.Body.GetProperty("user");
        Assert.Equal("jane.doe@example.com", user.GetProperty("email").GetString());
        Assert.Equal("Jane", user.GetProperty("firstname").GetString());
        Assert.Equal("Doe", user.GetProperty("lastname").GetString());
        Assert.Equal("JAN", user.GetProperty("shortname").GetString());
        Assert.Equal(1, user.GetProperty("gender").GetInt32());
        Assert.Equal(631152000, user.GetProperty("birthdate").GetInt64());
        Assert.Equal("en_EN", user.GetProperty("preflang").GetString());
        Assert.Equal("Europe/Paris", user.GetProperty("timezone").GetString());
        Assert.False(user.GetProperty("mailingpref").GetBoolean());
        Assert.Equal(6, user.GetProperty("unit_pref").GetProperty("height").GetInt32());
        Assert.Equal("+33612345678", user.GetProperty("phonenumber").GetString());
        var recoveryHash = Sql.Text(server, $"SELECT recovery_code_hash FROM user_profiles WHERE userid = {userId}");
        Assert.DoesNotContain("recover-me", recoveryHash, StringComparison.Ordinal);
        Assert.Equal(PasswordVerificationResult.Success, new PasswordHasher<object>().VerifyHashedPassword(new object(), recoveryHash!, "recover-me"));
    }

    [Fact]
    public async Task Activate_WithoutNames_TakesTheShortname_AndAUserGetLeavesOutAnUnsetPhone()
    {
        var partner = await server.CreatePartnerAsync();
        var macs = await ShipAsync(partner.ClientId, 17);
        var userId = (await TokensAsync(partner, Code(await ActivateOkAsync(partner, Profile(NewExternalId(), macs))))).GetProperty("userid").GetInt32();

        var user = (await GetUserAsync(partner, new() { ["email"] = "JANE.DOE@example.com" })).Body.GetProperty("user");

        Assert.Equal("JAN", user.GetProperty("firstname").GetString());
        Assert.Equal("JAN", user.GetProperty("lastname").GetString());
        Assert.False(user.TryGetProperty("phonenumber", out _));
        var byBoth = await GetUserAsync(partner, new() { ["userid"] = userId.ToString(System.Globalization.CultureInfo.InvariantCulture), ["email"] = "jane.doe@example.com" });
        Assert.Equal(0, byBoth.Status);
    }

    [Fact]
    public async Task Activate_AnUnknownMac_AndAnotherPartnersMac_GetTheSameRefusal_NamingTheMac()
    {
        var partner = await server.CreatePartnerAsync();
        var other = await server.CreatePartnerAsync();
        var mine = await ShipAsync(partner.ClientId, 17);
        var theirs = await ShipAsync(other.ClientId, 17);
        var unassigned = await ShipAsync(null, 17);
        var unknown = ServerFactory.RandomMac();

        var answers = new List<WireAnswer>();
        foreach (var mac in new[] { theirs[0], unassigned[0], unknown })
        {
            var answer = await partner.PostFormAsync("/v2/user", await partner.SignedAsync("activate", Profile(NewExternalId(), mine[0], mac)));
            Assert.Equal(507, answer.Status);
            Assert.Contains(mac, answer.Error);
            answers.Add(answer);
        }

        Assert.Equal(answers[0].Error!.Replace(theirs[0], "MAC", StringComparison.Ordinal), answers[2].Error!.Replace(unknown, "MAC", StringComparison.Ordinal));
        Assert.Equal(answers[1].Error!.Replace(unassigned[0], "MAC", StringComparison.Ordinal), answers[2].Error!.Replace(unknown, "MAC", StringComparison.Ordinal));
        // Nothing was linked, not even the partner's own device, and no user was left behind.
        Assert.Equal(0, Sql.Scalar(server, $"SELECT COUNT(*) FROM devices WHERE mac_address = '{mine[0]}'"));
        Assert.Equal(0, Sql.Scalar(server, $"SELECT COUNT(*) FROM user_profiles WHERE client_id = '{partner.ClientId}'"));
        Assert.Equal(1, Sql.Scalar(server, $"SELECT COUNT(*) FROM users WHERE client_id = '{partner.ClientId}'"));
    }

    [Fact]
    public async Task Activate_AMacLinkedToAnotherUser_IsRefusedNamingIt()
    {
        var partner = await server.CreatePartnerAsync();
        var macs = await ShipAsync(partner.ClientId, 17, 47);
        await ActivateOkAsync(partner, Profile(NewExternalId(), macs[0]));

        var answer = await partner.PostFormAsync("/v2/user", await partner.SignedAsync("activate", Profile(NewExternalId(), macs[1], macs[0])));

        Assert.Equal(507, answer.Status);
        Assert.Contains(macs[0], answer.Error);
        Assert.Contains("already linked to another user", answer.Error);
        Assert.Equal(0, Sql.Scalar(server, $"SELECT COUNT(*) FROM devices WHERE mac_address = '{macs[1]}'"));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Activate_ADeviceLeavingTheProgramme_IsBadState_NamingIt_AndLinksNothing(bool countdownCompleted)
    {
        var partner = await server.CreatePartnerAsync();
        var macs = await ShipAsync(partner.ClientId, 17, 47);
        var ended = await partner.CallAsync("endpartnerprogram", new() { ["mac_address"] = macs[1], ["status"] = "TERMINATED" });
        Assert.Equal(0, ended.Status);
        if (countdownCompleted)
        {
            server.Time.Advance(TimeSpan.FromDays(30));
        }

        var answer = await partner.PostFormAsync("/v2/user", await partner.SignedAsync("activate", Profile(NewExternalId(), macs[0], macs[1])));

        Assert.Equal(524, answer.Status);
        Assert.Contains(macs[1], answer.Error);
        Assert.Contains(countdownCompleted ? "is TERMINATED" : "is PENDING_TERMINATION", answer.Error);
        Assert.Equal(0, Sql.Scalar(server, $"SELECT COUNT(*) FROM devices WHERE mac_address IN ('{macs[0]}', '{macs[1]}')"));
        Assert.Equal(0, Sql.Scalar(server, $"SELECT COUNT(*) FROM user_profiles WHERE client_id = '{partner.ClientId}'"));
        Assert.Empty(AuditOf("user.activated", partner.ClientId));
    }

    [Fact]
    public async Task Activate_NamesEachModelAsWithingsSpellsIt()
    {
        var partner = await server.CreatePartnerAsync();
        var macs = await ShipAsync(partner.ClientId, 63, 41, 17);

        var devices = (await ActivateOkAsync(partner, Profile(NewExternalId(), macs))).Body.GetProperty("devices");

        Assert.Equal(["Aura Sensor V2", "Withings Blood Pressure Monitor V1", "Body Pro 2"],
            devices.EnumerateArray().Select(d => d.GetProperty("model").GetString()));
        Assert.Equal(["Sleep Monitor", "Blood Pressure Monitor", "Scale"], devices.EnumerateArray().Select(d => d.GetProperty("type").GetString()));
    }

    [Fact]
    public async Task Activate_ADeviceOnStandby_LinksIt_AndItStaysOnStandby()
    {
        var partner = await server.CreatePartnerAsync();
        var macs = await ShipAsync(partner.ClientId, 17);
        Assert.Equal(0, (await partner.CallAsync("endpartnerprogram", new() { ["mac_address"] = macs[0], ["status"] = "STANDBY" })).Status);

        var tokens = await TokensAsync(partner, Code(await ActivateOkAsync(partner, Profile(NewExternalId(), macs[0]))));
        var devices = await GetDeviceAsync("Bearer " + tokens.GetProperty("access_token").GetString());

        Assert.Equal("STANDBY", devices.Body.GetProperty("devices")[0].GetProperty("sim_status").GetString());
    }

    [Fact]
    public async Task Activate_Refused_StillSpendsItsNonce()
    {
        var partner = await server.CreatePartnerAsync();
        var signed = await partner.SignedAsync("activate", Profile(NewExternalId(), ServerFactory.RandomMac()));

        var refused = await partner.PostFormAsync("/v2/user", signed);
        var replayed = await partner.PostFormAsync("/v2/user", signed);

        Assert.Equal(507, refused.Status);
        Assert.Equal(401, replayed.Status);
        Assert.Contains("already been used", replayed.Error);

        var invalid = await partner.SignedAsync("activate", new() { ["shortname"] = "JAN" });
        Assert.Equal(503, (await partner.PostFormAsync("/v2/user", invalid)).Status);
        Assert.Equal(401, (await partner.PostFormAsync("/v2/user", invalid)).Status);
    }

    [Fact]
    public async Task Activate_OfASuspendedPartner_IsUnauthorized()
    {
        var partner = await server.CreatePartnerAsync();
        var macs = await ShipAsync(partner.ClientId, 17);
        var signed = await partner.SignedAsync("activate", Profile(NewExternalId(), macs));
        using var admin = server.CreateAdminClient();
        (await admin.PostAsync($"/admin/api/partners/{partner.ClientId}/suspend", null, Ct)).EnsureSuccessStatusCode();

        var answer = await partner.PostFormAsync("/v2/user", signed);

        Assert.Equal(214, answer.Status);
        Assert.Equal(0, Sql.Scalar(server, $"SELECT COUNT(*) FROM devices WHERE mac_address = '{macs[0]}'"));
    }

    [Fact]
    public async Task Activate_TheSameExternalIdAgain_IsTheSameUser_WithAFreshCode_AndKeepsItsChoices()
    {
        var partner = await server.CreatePartnerAsync();
        var macs = await ShipAsync(partner.ClientId, 17, 47);
        var externalId = NewExternalId();
        var first = await ActivateOkAsync(partner, Profile(externalId, macs[0]));
        var userId = (await TokensAsync(partner, Code(first))).GetProperty("userid").GetInt32();
        Assert.Equal(0, (await partner.EnableAsync("feature_eyes_closed_mode", 17, userId)).Status);

        var again = Profile(externalId, macs[0], macs[1]);
        again["email"] = "jane@new.example";
        var second = await ActivateOkAsync(partner, again);

        Assert.NotEqual(Code(first), Code(second));
        Assert.Equal(2, second.Body.GetProperty("devices").GetArrayLength());
        Assert.Equal(userId, (await TokensAsync(partner, Code(second))).GetProperty("userid").GetInt32());
        Assert.True((await partner.GetFeaturesAsync(17, userId))["feature_eyes_closed_mode"]);
        Assert.Equal(1, Sql.Scalar(server, $"SELECT COUNT(*) FROM user_profiles WHERE client_id = '{partner.ClientId}'"));
        Assert.Equal(2, Sql.Scalar(server, $"SELECT COUNT(*) FROM devices WHERE userid = {userId}"));
        var user = (await GetUserAsync(partner, new() { ["userid"] = userId.ToString(System.Globalization.CultureInfo.InvariantCulture) })).Body.GetProperty("user");
        Assert.Equal("jane@new.example", user.GetProperty("email").GetString());
        var audit = Assert.Single(AuditOf("user.reactivated", partner.ClientId));
        Assert.StartsWith($"{userId}|external_id {externalId}; profile updated; newly linked {macs[1]} model 47 EU", audit);
    }

    [Fact]
    public async Task Activate_TheSameExternalIdByAnotherPartner_IsAnotherUser()
    {
        var partner = await server.CreatePartnerAsync();
        var other = await server.CreatePartnerAsync();
        var mine = await ShipAsync(partner.ClientId, 17);
        var theirs = await ShipAsync(other.ClientId, 17);
        var externalId = NewExternalId();

        var a = (await TokensAsync(partner, Code(await ActivateOkAsync(partner, Profile(externalId, mine))))).GetProperty("userid").GetInt32();
        var b = (await TokensAsync(other, Code(await ActivateOkAsync(other, Profile(externalId, theirs))))).GetProperty("userid").GetInt32();

        Assert.NotEqual(a, b);
    }

    [Fact]
    public async Task Activate_TwoRacingForOneMac_OneWins_TheOtherIsRefusedNamingIt()
    {
        var partner = await server.CreatePartnerAsync();
        for (var round = 0; round < 5; round++)
        {
            var macs = await ShipAsync(partner.ClientId, 17, 47, 47);
            var first = await partner.SignedAsync("activate", Profile(NewExternalId(), macs[1], macs[0]));
            var second = await partner.SignedAsync("activate", Profile(NewExternalId(), macs[0], macs[2]));

            var answers = await Task.WhenAll(partner.PostFormAsync("/v2/user", first), partner.PostFormAsync("/v2/user", second));

            Assert.Single(answers, a => a.Status == 0);
            var loser = Assert.Single(answers, a => a.Status != 0);
            Assert.Equal(507, loser.Status);
            Assert.Contains(macs[0], loser.Error);
            Assert.Equal(1, Sql.Scalar(server, $"SELECT COUNT(*) FROM devices WHERE mac_address = '{macs[0]}'"));
            // The loser left nothing: only the winner's profile and its own two devices.
            Assert.Equal(round + 1, Sql.Scalar(server, $"SELECT COUNT(*) FROM user_profiles WHERE client_id = '{partner.ClientId}'"));
            Assert.Equal(2, Sql.Scalar(server, $"SELECT COUNT(*) FROM devices WHERE mac_address IN ('{macs[0]}', '{macs[1]}', '{macs[2]}')"));
        }
    }

    [Fact]
    public async Task Activate_RacingAnAssignToAnotherPartner_EndsWithOneOfThemOnly()
    {
        var partner = await server.CreatePartnerAsync();
        var other = await server.CreatePartnerAsync();
        using var admin = server.CreateAdminClient();
        for (var i = 0; i < 5; i++)
        {
            var mac = (await ShipAsync(partner.ClientId, 17))[0];
            var signed = await partner.SignedAsync("activate", Profile(NewExternalId(), mac));
            var activation = partner.PostFormAsync("/v2/user", signed);
            var assignment = admin.PostAsJsonAsync($"/admin/api/devices/{mac}/assign", new { client_id = other.ClientId }, Ct);
            await Task.WhenAll(activation, assignment);

            // Either the activation linked it (the move is refused: a linked device stays with its user's partner),
            // or the move came first (the activation is refused: not one of the partner's devices).
            using var assigned = await assignment;
            var activated = (await activation).Status == 0;
            Assert.Equal(activated ? System.Net.HttpStatusCode.Conflict : System.Net.HttpStatusCode.OK, assigned.StatusCode);
            var device = await admin.GetFromJsonAsync($"/admin/api/devices/{mac}", AdminJsonContext.Default.InventoryDevice, Ct);
            Assert.Equal((activated ? partner.ClientId : other.ClientId, activated), (device!.ClientId, device.Linked));
        }
    }

    [Fact]
    public async Task Activate_TwoRacingForOneNewExternalId_CreateOneUser()
    {
        var partner = await server.CreatePartnerAsync();
        for (var round = 0; round < 5; round++)
        {
            var macs = await ShipAsync(partner.ClientId, 17, 47);
            var externalId = NewExternalId();
            var first = await partner.SignedAsync("activate", Profile(externalId, macs[0]));
            var second = await partner.SignedAsync("activate", Profile(externalId, macs[1]));

            var answers = await Task.WhenAll(partner.PostFormAsync("/v2/user", first), partner.PostFormAsync("/v2/user", second));

            Assert.All(answers, a => Assert.True(a.Status == 0, a.Error));
            var users = new HashSet<int>();
            foreach (var answer in answers)
            {
                users.Add((await TokensAsync(partner, Code(answer))).GetProperty("userid").GetInt32());
            }

            var userId = Assert.Single(users);
            Assert.Equal(1, Sql.Scalar(server, $"SELECT COUNT(*) FROM user_profiles WHERE external_id = '{externalId}'"));
            Assert.Equal(2, Sql.Scalar(server, $"SELECT COUNT(*) FROM devices WHERE userid = {userId}"));
            Assert.Single(AuditOf("user.activated", partner.ClientId), row => row.StartsWith($"{userId}|", StringComparison.Ordinal));
        }
    }

    [Fact]
    public async Task RequestToken_WithTheCode_AnswersTheSpecShape_AndTheCodeWorksOnce()
    {
        var partner = await server.CreatePartnerAsync();
        var macs = await ShipAsync(partner.ClientId, 17);
        var code = Code(await ActivateOkAsync(partner, Profile(NewExternalId(), macs)));

        var answer = await ExchangeAsync(partner, code);
        var again = await ExchangeAsync(partner, code);

        Assert.Equal(0, answer.Status);
        var body = answer.Body;
        Assert.True(body.GetProperty("userid").GetInt32() > 0);
        Assert.Matches("^[0-9a-f]{40}$", body.GetProperty("access_token").GetString());
        Assert.Matches("^[0-9a-f]{40}$", body.GetProperty("refresh_token").GetString());
        Assert.Equal(10800, body.GetProperty("expires_in").GetInt32());
        Assert.Equal("user.info,user.metrics", body.GetProperty("scope").GetString());
        Assert.False(string.IsNullOrEmpty(body.GetProperty("csrf_token").GetString()));
        Assert.Equal("Bearer", body.GetProperty("token_type").GetString());
        Assert.Equal(283, again.Status);
        // Only hashes are kept.
        var hash = Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(body.GetProperty("access_token").GetString()!)));
        Assert.Contains($"{hash}|access", Sql.Rows(server.Database, $"SELECT token_sha256, kind FROM oauth_tokens WHERE userid = {body.GetProperty("userid").GetInt32()}"));
    }

    [Fact]
    public async Task RequestToken_SignedWithANonceInsteadOfTheSecret_ExchangesAndRefreshes_AndItsNonceWorksOnce()
    {
        var partner = await server.CreatePartnerAsync();
        var macs = await ShipAsync(partner.ClientId, 17);
        var code = Code(await ActivateOkAsync(partner, Profile(NewExternalId(), macs[0])));
        var signed = await partner.SignedAsync("requesttoken",
            new() { ["grant_type"] = "authorization_code", ["code"] = code, ["redirect_uri"] = "https://partner.example/callback" });

        var exchanged = await partner.PostFormAsync("/v2/oauth2", signed);
        var replayed = await partner.PostFormAsync("/v2/oauth2", signed);

        Assert.True(exchanged.Status == 0, exchanged.Error);
        Assert.Equal(401, replayed.Status);
        Assert.Equal("Bearer", exchanged.Body.GetProperty("token_type").GetString());
        Assert.Equal(0, (await GetDeviceAsync("Bearer " + exchanged.Body.GetProperty("access_token").GetString())).Status);

        var refresh = new Dictionary<string, string> { ["grant_type"] = "refresh_token", ["refresh_token"] = exchanged.Body.GetProperty("refresh_token").GetString()! };
        var forged = await partner.SignedAsync("requesttoken", refresh);
        forged["signature"] = new string('0', 64);
        Assert.Equal(101, (await partner.PostFormAsync("/v2/oauth2", forged)).Status);

        var renewed = await partner.PostFormAsync("/v2/oauth2", await partner.SignedAsync("requesttoken", refresh));
        Assert.True(renewed.Status == 0, renewed.Error);
        Assert.Equal(exchanged.Body.GetProperty("userid").GetInt32(), renewed.Body.GetProperty("userid").GetInt32());
    }

    [Fact]
    public async Task RequestToken_TwoConcurrentExchangesOfOneCode_OneGetsTokens()
    {
        var partner = await server.CreatePartnerAsync();
        for (var round = 0; round < 5; round++)
        {
            var macs = await ShipAsync(partner.ClientId, 17);
            var code = Code(await ActivateOkAsync(partner, Profile(NewExternalId(), macs)));

            var answers = await Task.WhenAll(ExchangeAsync(partner, code), ExchangeAsync(partner, code), ExchangeAsync(partner, code));

            Assert.Single(answers, a => a.Status == 0);
            Assert.All(answers.Where(a => a.Status != 0), a => Assert.Equal(283, a.Status));
        }
    }

    [Fact]
    public async Task RequestToken_ACodeExpiresAfterTenMinutes()
    {
        var partner = await server.CreatePartnerAsync();
        var macs = await ShipAsync(partner.ClientId, 17, 47);
        var late = Code(await ActivateOkAsync(partner, Profile(NewExternalId(), macs[0])));
        var inTime = Code(await ActivateOkAsync(partner, Profile(NewExternalId(), macs[1])));

        server.Time.Advance(TimeSpan.FromMinutes(10) - TimeSpan.FromSeconds(1));
        Assert.Equal(0, (await ExchangeAsync(partner, inTime)).Status);
        server.Time.Advance(TimeSpan.FromSeconds(1));
        var answer = await ExchangeAsync(partner, late);

        Assert.Equal(283, answer.Status);
        Assert.Contains("authorization code", answer.Error);
    }

    [Fact]
    public async Task RequestToken_RefusesAWrongSecret_AnUnknownClient_ASuspendedPartner_AndAnotherPartnersCode()
    {
        var partner = await server.CreatePartnerAsync();
        var other = await server.CreatePartnerAsync();
        var macs = await ShipAsync(partner.ClientId, 17);
        var code = Code(await ActivateOkAsync(partner, Profile(NewExternalId(), macs)));

        Assert.Equal(277, (await ExchangeAsync(partner, code, secret: partner.ClientSecret + "x")).Status);
        Assert.Equal(277, (await ExchangeAsync(partner, code, secret: other.ClientSecret)).Status);
        var theirs = await ExchangeAsync(other, code);
        Assert.Equal(283, theirs.Status);
        Assert.Equal((await ExchangeAsync(other, new string('0', 40))).Error, theirs.Error);
        var unknown = await partner.PostFormAsync("/v2/oauth2", new()
        {
            ["action"] = "requesttoken", ["grant_type"] = "authorization_code", ["client_id"] = "nobody", ["client_secret"] = "x", ["code"] = code,
            ["redirect_uri"] = "https://partner.example/",
        });
        Assert.Equal(100, unknown.Status);
        var missing = await partner.PostFormAsync("/v2/oauth2", new() { ["action"] = "requesttoken", ["client_id"] = partner.ClientId });
        Assert.Equal(503, missing.Status);
        Assert.Contains("'client_secret'", missing.Error);
        var badGrant = await partner.PostFormAsync("/v2/oauth2", new()
        {
            ["action"] = "requesttoken", ["grant_type"] = "password", ["client_id"] = partner.ClientId, ["client_secret"] = partner.ClientSecret,
        });
        Assert.Equal(503, badGrant.Status);
        Assert.Contains("'grant_type'", badGrant.Error);

        using var admin = server.CreateAdminClient();
        (await admin.PostAsync($"/admin/api/partners/{partner.ClientId}/suspend", null, Ct)).EnsureSuccessStatusCode();
        Assert.Equal(214, (await ExchangeAsync(partner, code)).Status);
        (await admin.PostAsync($"/admin/api/partners/{partner.ClientId}/resume", null, Ct)).EnsureSuccessStatusCode();
        // None of the refusals spent the code.
        Assert.Equal(0, (await ExchangeAsync(partner, code)).Status);
    }

    [Fact]
    public async Task RequestToken_NeedsTheRedirectUriGivenAtActivation()
    {
        var partner = await server.CreatePartnerAsync();
        var macs = await ShipAsync(partner.ClientId, 17);
        var profile = Profile(NewExternalId(), macs);
        profile["redirect_uri"] = "https://partner.example/activated";
        var code = Code(await ActivateOkAsync(partner, profile));

        var wrong = await ExchangeAsync(partner, code, "https://partner.example/other");
        var right = await ExchangeAsync(partner, code, "https://partner.example/activated");

        Assert.Equal(503, wrong.Status);
        Assert.Contains("'redirect_uri'", wrong.Error);
        Assert.Equal(0, right.Status);
    }

    [Fact]
    public async Task RequestToken_Refresh_RotatesTheRefreshToken_AndExpiresAfterAYear()
    {
        var partner = await server.CreatePartnerAsync();
        var macs = await ShipAsync(partner.ClientId, 17);
        var tokens = await TokensAsync(partner, Code(await ActivateOkAsync(partner, Profile(NewExternalId(), macs))));
        var userId = tokens.GetProperty("userid").GetInt32();
        var oldRefresh = tokens.GetProperty("refresh_token").GetString()!;

        var renewed = await RefreshAsync(partner, oldRefresh);
        Assert.Equal(0, renewed.Status);
        Assert.Equal(userId, renewed.Body.GetProperty("userid").GetInt32());
        var newRefresh = renewed.Body.GetProperty("refresh_token").GetString()!;
        Assert.NotEqual(oldRefresh, newRefresh);
        Assert.NotEqual(tokens.GetProperty("access_token").GetString(), renewed.Body.GetProperty("access_token").GetString());

        var replayed = await RefreshAsync(partner, oldRefresh);
        Assert.Equal(283, replayed.Status);
        Assert.Contains("refresh token", replayed.Error);

        var other = await server.CreatePartnerAsync();
        Assert.Equal(283, (await RefreshAsync(other, newRefresh)).Status);

        server.Time.Advance(TimeSpan.FromDays(365));
        Assert.Equal(283, (await RefreshAsync(partner, newRefresh)).Status);
    }

    [Fact]
    public async Task GetDevice_WithTheAccessToken_ListsThatUsersDevicesOnly()
    {
        var partner = await server.CreatePartnerAsync();
        var macs = await ShipAsync(partner.ClientId, 17, 47, 17);
        var tokens = await TokensAsync(partner, Code(await ActivateOkAsync(partner, Profile(NewExternalId(), macs[0], macs[1]))));
        await ActivateOkAsync(partner, Profile(NewExternalId(), macs[2]));

        var answer = await GetDeviceAsync("Bearer " + tokens.GetProperty("access_token").GetString());

        Assert.Equal(0, answer.Status);
        var devices = answer.Body.GetProperty("devices").EnumerateArray().ToArray();
        Assert.Equal(new[] { macs[0], macs[1] }.Order(), devices.Select(d => d.GetProperty("mac_address").GetString()).Order());
        var scale = devices.Single(d => d.GetProperty("model_id").GetInt32() == 17);
        Assert.Equal("Scale", scale.GetProperty("type").GetString());
        Assert.Equal("Body Pro 2", scale.GetProperty("model").GetString());
        Assert.Equal("2.1.0", scale.GetProperty("fw").GetString());
        Assert.Equal("Europe/Paris", scale.GetProperty("timezone").GetString());
        Assert.Matches("^[0-9a-f]{40}$", scale.GetProperty("deviceid").GetString());
        Assert.Equal(scale.GetProperty("deviceid").GetString(), scale.GetProperty("hash_deviceid").GetString());
    }

    [Fact]
    public async Task GetDevice_WithAMissingUnknownRefreshOrExpiredToken_IsRefused()
    {
        var partner = await server.CreatePartnerAsync();
        var macs = await ShipAsync(partner.ClientId, 17);
        var tokens = await TokensAsync(partner, Code(await ActivateOkAsync(partner, Profile(NewExternalId(), macs))));
        var access = tokens.GetProperty("access_token").GetString()!;

        Assert.Equal(283, (await GetDeviceAsync(null)).Status);
        Assert.Equal(283, (await GetDeviceAsync("Basic " + access)).Status);
        Assert.Equal(283, (await GetDeviceAsync("Bearer " + new string('a', 40))).Status);
        Assert.Equal(283, (await GetDeviceAsync("Bearer " + tokens.GetProperty("refresh_token").GetString())).Status);

        server.Time.Advance(TimeSpan.FromSeconds(10800 - 1));
        Assert.Equal(0, (await GetDeviceAsync("bearer " + access)).Status);
        server.Time.Advance(TimeSpan.FromSeconds(1));
        var expired = await GetDeviceAsync("Bearer " + access);
        Assert.Equal(283, expired.Status);
        Assert.Contains("expired", expired.Error);

        var renewed = await RefreshAsync(partner, tokens.GetProperty("refresh_token").GetString()!);
        Assert.Equal(0, (await GetDeviceAsync("Bearer " + renewed.Body.GetProperty("access_token").GetString())).Status);
    }

    [Fact]
    public async Task GetUser_OfAnotherPartner_IsAnsweredLikeAnUnknownUser()
    {
        var partner = await server.CreatePartnerAsync();
        var other = await server.CreatePartnerAsync();
        var theirs = await ShipAsync(other.ClientId, 17);
        var theirUser = (await TokensAsync(other, Code(await ActivateOkAsync(other, Profile(NewExternalId(), theirs))))).GetProperty("userid").GetInt32();

        var foreign = await GetUserAsync(partner, new() { ["userid"] = theirUser.ToString(System.Globalization.CultureInfo.InvariantCulture) });
        var unknown = await GetUserAsync(partner, new() { ["userid"] = int.MaxValue.ToString(System.Globalization.CultureInfo.InvariantCulture) });
        var byEmail = await GetUserAsync(partner, new() { ["email"] = "jane.doe@example.com" });
        var neither = await GetUserAsync(partner, []);

        Assert.Equal(247, foreign.Status);
        Assert.Equal(foreign.Error!.Replace(theirUser.ToString(System.Globalization.CultureInfo.InvariantCulture), "N", StringComparison.Ordinal),
            unknown.Error!.Replace(int.MaxValue.ToString(System.Globalization.CultureInfo.InvariantCulture), "N", StringComparison.Ordinal));
        Assert.Equal(247, byEmail.Status);
        Assert.Equal(503, neither.Status);
        Assert.Contains("'userid'", neither.Error);
        Assert.Equal(0, (await GetUserAsync(other, new() { ["email"] = "jane.doe@example.com" })).Status);
    }

    [Fact]
    public async Task Activate_AgainWithAMacOfAnotherUser_ChangesNothing()
    {
        var partner = await server.CreatePartnerAsync();
        var macs = await ShipAsync(partner.ClientId, 17, 47, 47);
        var externalId = NewExternalId();
        var userId = (await TokensAsync(partner, Code(await ActivateOkAsync(partner, Profile(externalId, macs[0]))))).GetProperty("userid").GetInt32();
        await ActivateOkAsync(partner, Profile(NewExternalId(), macs[1]));

        var again = Profile(externalId, macs[2], macs[1]);
        again["email"] = "changed@example.com";
        var answer = await partner.PostFormAsync("/v2/user", await partner.SignedAsync("activate", again));

        Assert.Equal(507, answer.Status);
        Assert.Contains(macs[1], answer.Error);
        Assert.Equal(1, Sql.Scalar(server, $"SELECT COUNT(*) FROM devices WHERE userid = {userId}"));
        Assert.Equal(0, Sql.Scalar(server, $"SELECT COUNT(*) FROM devices WHERE mac_address = '{macs[2]}'"));
        Assert.Equal("jane.doe@example.com", Sql.Text(server, $"SELECT email FROM user_profiles WHERE userid = {userId}"));
        Assert.Empty(AuditOf("user.reactivated", partner.ClientId));
    }

    [Fact]
    public async Task RequestToken_TwoConcurrentRefreshesOfOneToken_OneGetsTokens()
    {
        var partner = await server.CreatePartnerAsync();
        var macs = await ShipAsync(partner.ClientId, 17);
        var refresh = (await TokensAsync(partner, Code(await ActivateOkAsync(partner, Profile(NewExternalId(), macs))))).GetProperty("refresh_token").GetString()!;

        var answers = await Task.WhenAll(RefreshAsync(partner, refresh), RefreshAsync(partner, refresh), RefreshAsync(partner, refresh));

        Assert.Single(answers, a => a.Status == 0);
        Assert.All(answers.Where(a => a.Status != 0), a => Assert.Equal(283, a.Status));
    }

    [Fact]
    public async Task GetDevice_OfASuspendedPartner_IsUnauthorized()
    {
        var partner = await server.CreatePartnerAsync();
        var macs = await ShipAsync(partner.ClientId, 17);
        var access = (await TokensAsync(partner, Code(await ActivateOkAsync(partner, Profile(NewExternalId(), macs))))).GetProperty("access_token").GetString();
        using var admin = server.CreateAdminClient();
        (await admin.PostAsync($"/admin/api/partners/{partner.ClientId}/suspend", null, Ct)).EnsureSuccessStatusCode();

        Assert.Equal(214, (await GetDeviceAsync("Bearer " + access)).Status);
    }

    [Fact]
    public async Task GetUser_Refused_StillSpendsItsNonce()
    {
        var partner = await server.CreatePartnerAsync();
        var signed = await partner.SignedAsync("get", new() { ["userid"] = int.MaxValue.ToString(System.Globalization.CultureInfo.InvariantCulture) });

        Assert.Equal(247, (await partner.PostFormAsync("/v2/user", signed)).Status);
        Assert.Equal(401, (await partner.PostFormAsync("/v2/user", signed)).Status);
    }

    [Fact]
    public async Task Activate_Accepted_SpendsItsNonce_AndItsReplayChangesNothing()
    {
        var partner = await server.CreatePartnerAsync();
        var macs = await ShipAsync(partner.ClientId, 17);
        var signed = await partner.SignedAsync("activate", Profile(NewExternalId(), macs));

        var accepted = await partner.PostFormAsync("/v2/user", signed);
        var replayed = await partner.PostFormAsync("/v2/user", signed);

        Assert.Equal(0, accepted.Status);
        Assert.Equal(401, replayed.Status);
        Assert.Single(AuditOf("user.activated", partner.ClientId));
        Assert.Empty(AuditOf("user.reactivated", partner.ClientId));
        Assert.Equal(1, Sql.Scalar(server, $"SELECT COUNT(*) FROM oauth_codes WHERE client_id = '{partner.ClientId}'"));
    }

    [Fact]
    public async Task RequestToken_WithAMissingParameterOfItsGrant_IsInvalidParams_NamingIt_AndSpendsNothing()
    {
        var partner = await server.CreatePartnerAsync();
        var macs = await ShipAsync(partner.ClientId, 17, 47);
        var tokens = await TokensAsync(partner, Code(await ActivateOkAsync(partner, Profile(NewExternalId(), macs[0]))));
        var code = Code(await ActivateOkAsync(partner, Profile(NewExternalId(), macs[1])));
        var refresh = tokens.GetProperty("refresh_token").GetString()!;

        foreach (var (grant, missing) in new (string?, string)[]
        {
            (null, "grant_type"), ("authorization_code", "code"), ("authorization_code", "redirect_uri"), ("refresh_token", "refresh_token"),
        })
        {
            var form = new Dictionary<string, string>
            {
                ["action"] = "requesttoken", ["client_id"] = partner.ClientId, ["client_secret"] = partner.ClientSecret,
                ["code"] = code, ["redirect_uri"] = "https://partner.example/callback", ["refresh_token"] = refresh,
            };
            if (grant is not null)
            {
                form["grant_type"] = grant;
            }

            form.Remove(missing);
            var answer = await partner.PostFormAsync("/v2/oauth2", form);

            Assert.Equal(503, answer.Status);
            Assert.Contains($"'{missing}'", answer.Error);
        }

        // Neither the code nor the refresh token was spent by the refusals.
        Assert.Equal(0, (await ExchangeAsync(partner, code)).Status);
        Assert.Equal(0, (await RefreshAsync(partner, refresh)).Status);
    }

    [Fact]
    public async Task GetUser_WithABadUserid_IsInvalidParams_AndAnEmailOfAnotherUser_IsAnUnknownUser()
    {
        var partner = await server.CreatePartnerAsync();
        var macs = await ShipAsync(partner.ClientId, 17, 17);
        var first = Profile(NewExternalId(), macs[0]);
        var userId = (await TokensAsync(partner, Code(await ActivateOkAsync(partner, first)))).GetProperty("userid").GetInt32();
        var second = Profile(NewExternalId(), macs[1]);
        second["email"] = "someone.else@example.com";
        await ActivateOkAsync(partner, second);
        var id = userId.ToString(System.Globalization.CultureInfo.InvariantCulture);

        foreach (var bad in new[] { "abc", "0", "-1", "2147483648" })
        {
            var answer = await GetUserAsync(partner, new() { ["userid"] = bad });
            Assert.Equal(503, answer.Status);
            Assert.Contains("'userid'", answer.Error);
        }

        var mismatch = await GetUserAsync(partner, new() { ["userid"] = id, ["email"] = "someone.else@example.com" });
        var unknown = await GetUserAsync(partner, new() { ["userid"] = int.MaxValue.ToString(System.Globalization.CultureInfo.InvariantCulture) });
        Assert.Equal(247, mismatch.Status);
        Assert.Equal(mismatch.Error!.Replace(id, "N", StringComparison.Ordinal),
            unknown.Error!.Replace(int.MaxValue.ToString(System.Globalization.CultureInfo.InvariantCulture), "N", StringComparison.Ordinal));
        Assert.Equal(0, (await GetUserAsync(partner, new() { ["userid"] = id, ["email"] = "JANE.DOE@example.com" })).Status);
    }

    [Fact]
    public async Task GetDevice_AnswersEachDevicesSimStatus_FromItsProgrammeState_OnTheClock()
    {
        var partner = await server.CreatePartnerAsync();
        var macs = await ShipAsync(partner.ClientId, 17, 47);
        var tokens = await TokensAsync(partner, Code(await ActivateOkAsync(partner, Profile(NewExternalId(), macs))));

        async Task<Dictionary<string, string>> SimStatusesAsync(string accessToken)
        {
            var answer = await GetDeviceAsync("Bearer " + accessToken);
            Assert.True(answer.Status == 0, answer.Error);
            return answer.Body.GetProperty("devices").EnumerateArray()
                .ToDictionary(d => d.GetProperty("mac_address").GetString()!, d => d.GetProperty("sim_status").GetString()!);
        }

        async Task EndAsync(string mac, string status) =>
            Assert.Equal(0, (await partner.PostFormAsync("/v2/device",
                await partner.SignedAsync("endpartnerprogram", new() { ["mac_address"] = mac, ["status"] = status }))).Status);

        var access = tokens.GetProperty("access_token").GetString()!;
        Assert.Equal(new Dictionary<string, string> { [macs[0]] = "ACTIVE", [macs[1]] = "ACTIVE" }, await SimStatusesAsync(access));

        await EndAsync(macs[0], "TERMINATED");
        await EndAsync(macs[1], "STANDBY");
        Assert.Equal(new Dictionary<string, string> { [macs[0]] = "PENDING_TERMINATION", [macs[1]] = "STANDBY" }, await SimStatusesAsync(access));

        // Thirty days on the clock, and nothing rewrote the row: the countdown has completed.
        server.Time.Advance(TimeSpan.FromDays(30));
        var renewed = await RefreshAsync(partner, tokens.GetProperty("refresh_token").GetString()!);
        Assert.Equal(0, renewed.Status);
        Assert.Equal(new Dictionary<string, string> { [macs[0]] = "TERMINATED", [macs[1]] = "STANDBY" },
            await SimStatusesAsync(renewed.Body.GetProperty("access_token").GetString()!));
    }

    [Fact]
    public async Task CodesAndTokens_AppearInNoAuditEvent()
    {
        var partner = await server.CreatePartnerAsync();
        var macs = await ShipAsync(partner.ClientId, 17);
        var code = Code(await ActivateOkAsync(partner, Profile(NewExternalId(), macs)));
        var tokens = await TokensAsync(partner, code);

        var audit = string.Join('\n', Sql.Rows(server.Database, $"SELECT * FROM audit_events WHERE client_id = '{partner.ClientId}'"));

        Assert.DoesNotContain(code, audit);
        Assert.DoesNotContain(tokens.GetProperty("access_token").GetString()!, audit);
        Assert.DoesNotContain(tokens.GetProperty("refresh_token").GetString()!, audit);
    }
}

public sealed class UserActivationTestsOnSqlite(SqliteServer server) : UserActivationTests(server), IClassFixture<SqliteServer>;

[NeedsPostgres]
public sealed class UserActivationTestsOnPostgres(PostgresServer server) : UserActivationTests(server.OrSkip()), IClassFixture<PostgresServer>;
