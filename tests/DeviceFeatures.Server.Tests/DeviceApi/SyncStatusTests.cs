using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using DeviceFeatures.Protocol.Admin;
using DeviceFeatures.Protocol.DeviceApi;
using DeviceFeatures.Protocol.Status;
using DeviceFeatures.Server.Tests.Infrastructure;

namespace DeviceFeatures.Server.Tests.DeviceApi;

/// <summary>
/// The sync status (docs/device-api.md, "Sync status"), reached only through what devices and partners really send:
/// signed pulls and reports, wire choices, and the clock.
/// </summary>
public abstract class SyncStatusTests(ServerFactory server)
{
    private protected const string Eyes = "feature_eyes_closed_mode";
    private const string Pacemaker = "feature_pacemaker";
    private const string FatMass = "feature_fat_mass";

    private protected static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>A partner with a user whose one Body Pro 2 has been given a secret by an operator.</summary>
    private protected async Task<(TestPartner Partner, TestDevice Device)> LinkedDeviceAsync()
    {
        var partner = await server.CreatePartnerAsync((17, "EU"));
        using var admin = server.CreateAdminClient();
        var mac = (await admin.GetFromJsonAsync($"/admin/api/users/{partner.UserId}", AdminJsonContext.Default.User, Ct))!.Devices.Single().MacAddress;
        using var rotated = await admin.PostAsync($"/admin/api/devices/{mac}/rotate-credential", null, Ct);
        var secret = (await rotated.Content.ReadFromJsonAsync(AdminJsonContext.Default.DeviceCredential, Ct))!.DeviceSecret;
        return (partner, new TestDevice(server, mac, secret));
    }

    /// <summary>A report with each feature's applied state, and <c>active</c> only where given.</summary>
    private protected static async Task<DeviceReportReceipt> ReportAsync(TestDevice device, long version, params DeviceFeatureReport[] features)
    {
        var body = JsonSerializer.Serialize(new DeviceReport(version, "2.3.1", features), DeviceApiJsonContext.Default.DeviceReport);
        using var response = await device.Http.SendAsync(device.Request(HttpMethod.Post, "/device/v1/report", body), Ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync(DeviceApiJsonContext.Default.DeviceReportReceipt, Ct))!;
    }

    private static Dictionary<string, string> StatusParameters(int userId, int model = 17, string? feature = null)
    {
        var parameters = new Dictionary<string, string>
        {
            ["userid"] = userId.ToString(CultureInfo.InvariantCulture),
            ["model"] = model.ToString(CultureInfo.InvariantCulture),
        };
        if (feature is not null)
        {
            parameters["feature_name"] = feature;
        }

        return parameters;
    }

    /// <summary>The one device's entry of getfeaturestatus.</summary>
    private static async Task<JsonElement> DeviceStatusAsync(TestPartner partner, string? feature = null)
    {
        var answer = await partner.CallAsync("getfeaturestatus", StatusParameters(partner.UserId, feature: feature));
        Assert.Equal(0, answer.Status);
        return answer.Body.GetProperty("devices").EnumerateArray().Single();
    }

    private protected static async Task<JsonElement> FeatureStatusAsync(TestPartner partner, string feature) =>
        (await DeviceStatusAsync(partner, feature)).GetProperty("features").EnumerateArray().Single();

    private static async Task<string> StatusAsync(TestPartner partner, string feature) =>
        (await FeatureStatusAsync(partner, feature)).GetProperty("status").GetString()!;

    [Fact]
    public async Task Status_GoesFromUnknownToPendingToInSync_ThroughDeviceRequests()
    {
        var (partner, device) = await LinkedDeviceAsync();
        Assert.Equal(FeatureSyncStatuses.Unknown, await StatusAsync(partner, Eyes));

        var first = await device.ConfigurationAsync();
        Assert.Equal(FeatureSyncStatuses.Pending, await StatusAsync(partner, Eyes));

        // Applied, active omitted: the current version's values are recorded.
        Assert.True((await ReportAsync(device, first.Version, new DeviceFeatureReport(Eyes, true), new DeviceFeatureReport(FatMass, true))).Recorded);
        var eyes = await FeatureStatusAsync(partner, Eyes);
        Assert.Equal(FeatureSyncStatuses.InSync, eyes.GetProperty("status").GetString());
        Assert.False(eyes.GetProperty("reported_active").GetBoolean());
        Assert.Equal(first.Version, eyes.GetProperty("reported_version").GetInt64());

        server.Time.Advance(TimeSpan.FromSeconds(5));
        Assert.Equal(0, (await partner.EnableAsync(Eyes)).Status);
        Assert.Equal(FeatureSyncStatuses.Pending, await StatusAsync(partner, Eyes));
        // The change did not touch fat mass: the older report still shows the device runs what is desired.
        Assert.Equal(FeatureSyncStatuses.InSync, await StatusAsync(partner, FatMass));

        var second = await device.ConfigurationAsync();
        Assert.True(second.Version > first.Version);
        Assert.True((await ReportAsync(device, second.Version, new DeviceFeatureReport(Eyes, true))).Recorded);
        eyes = await FeatureStatusAsync(partner, Eyes);
        Assert.Equal(FeatureSyncStatuses.InSync, eyes.GetProperty("status").GetString());
        Assert.True(eyes.GetProperty("active").GetBoolean());
        Assert.True(eyes.GetProperty("reported_active").GetBoolean());
        Assert.Equal(second.Version, eyes.GetProperty("version").GetInt64());
        Assert.Equal(server.Time.GetUtcNow().ToUnixTimeSeconds(), eyes.GetProperty("reported_at").GetInt64());

        var entry = await DeviceStatusAsync(partner);
        Assert.Equal(device.Mac, entry.GetProperty("mac_address").GetString());
        Assert.Equal("2.3.1", entry.GetProperty("firmware").GetString());
        Assert.Equal(server.Time.GetUtcNow().ToUnixTimeSeconds(), entry.GetProperty("last_seen").GetInt64());
        Assert.Equal(13, entry.GetProperty("features").GetArrayLength());
    }

    [Fact]
    public async Task FailedReport_IsSyncFailed_WithTheDevicesReason()
    {
        var (partner, device) = await LinkedDeviceAsync();
        Assert.Equal(0, (await partner.EnableAsync(Pacemaker)).Status);
        var configuration = await device.ConfigurationAsync();
        await ReportAsync(device, configuration.Version, new DeviceFeatureReport(Pacemaker, false, "sensor missing"));

        var pacemaker = await FeatureStatusAsync(partner, Pacemaker);
        Assert.Equal(FeatureSyncStatuses.SyncFailed, pacemaker.GetProperty("status").GetString());
        Assert.Equal("sensor missing", pacemaker.GetProperty("reason").GetString());
        // A failure says nothing of the state the device runs when it does not say it.
        Assert.Equal(JsonValueKind.Null, pacemaker.GetProperty("reported_active").ValueKind);
    }

    [Fact]
    public async Task AFailureThatLeftTheFeatureAsItIsNowDesired_IsInSync()
    {
        var (partner, device) = await LinkedDeviceAsync();
        Assert.Equal(0, (await partner.EnableAsync(Pacemaker)).Status);
        var enabled = await device.ConfigurationAsync();
        await ReportAsync(device, enabled.Version, new DeviceFeatureReport(Pacemaker, false, "sensor missing", Active: false));
        Assert.Equal(FeatureSyncStatuses.SyncFailed, await StatusAsync(partner, Pacemaker));

        // The user gives up: the device still runs it off, which is now what is desired.
        server.Time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(0, (await partner.DisableAsync(Pacemaker)).Status);
        var pacemaker = await FeatureStatusAsync(partner, Pacemaker);
        Assert.Equal(FeatureSyncStatuses.InSync, pacemaker.GetProperty("status").GetString());
        Assert.Equal((false, false), (pacemaker.GetProperty("active").GetBoolean(), pacemaker.GetProperty("reported_active").GetBoolean()));
    }

    [Fact]
    public async Task Silence_MakesItUnknown_UnlessTheDeviceRunsWhatIsDesired()
    {
        var (partner, device) = await LinkedDeviceAsync();
        Assert.Equal(0, (await partner.EnableAsync(Eyes)).Status);
        var configuration = await device.ConfigurationAsync();
        await ReportAsync(device, configuration.Version, new DeviceFeatureReport(Eyes, true));
        server.Time.Advance(TimeSpan.FromSeconds(5));
        Assert.Equal(0, (await partner.EnableAsync(Pacemaker)).Status);
        Assert.Equal(FeatureSyncStatuses.Pending, await StatusAsync(partner, Pacemaker));

        server.Time.Advance(TimeSpan.FromMinutes(61));
        Assert.Equal(FeatureSyncStatuses.Unknown, await StatusAsync(partner, Pacemaker));
        Assert.Equal(FeatureSyncStatuses.InSync, await StatusAsync(partner, Eyes));

        await device.ConfigurationAsync();
        Assert.Equal(FeatureSyncStatuses.Pending, await StatusAsync(partner, Pacemaker));
    }

    [Fact]
    public async Task AReportOfAReplacedVersion_AfterTheNewOneWasCommitted_IsSuperseded()
    {
        var (partner, device) = await LinkedDeviceAsync();
        Assert.Equal(0, (await partner.EnableAsync(Eyes)).Status);
        var enabled = await device.ConfigurationAsync();
        Assert.Contains(new DeviceFeatureSetting(Eyes, true), enabled.Features);

        // The user changes her mind while the device is applying the first change.
        server.Time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(0, (await partner.DisableAsync(Eyes)).Status);
        server.Time.Advance(TimeSpan.FromSeconds(1));
        Assert.True((await ReportAsync(device, enabled.Version, new DeviceFeatureReport(Eyes, true))).Recorded);

        var eyes = await FeatureStatusAsync(partner, Eyes);
        Assert.Equal(FeatureSyncStatuses.Superseded, eyes.GetProperty("status").GetString());
        Assert.Equal(enabled.Version, eyes.GetProperty("reported_version").GetInt64());
        Assert.Equal(enabled.Version + 1, eyes.GetProperty("version").GetInt64());
        Assert.False(eyes.GetProperty("active").GetBoolean());
        // Omitted for a version that is no longer current: not known, so not guessed.
        Assert.Equal(JsonValueKind.Null, eyes.GetProperty("reported_active").ValueKind);

        var current = await device.ConfigurationAsync();
        await ReportAsync(device, current.Version, new DeviceFeatureReport(Eyes, true));
        Assert.Equal(FeatureSyncStatuses.InSync, await StatusAsync(partner, Eyes));
    }

    [Fact]
    public async Task AReportOfAnOlderVersion_DoesNotOverwriteTheStatusOfANewerOne()
    {
        var (partner, device) = await LinkedDeviceAsync();
        Assert.Equal(0, (await partner.EnableAsync(Eyes)).Status);
        var older = await device.ConfigurationAsync();
        Assert.Equal(0, (await partner.EnableAsync(Pacemaker)).Status);
        var newer = await device.ConfigurationAsync();
        Assert.True((await ReportAsync(device, newer.Version, new DeviceFeatureReport(Eyes, true), new DeviceFeatureReport(Pacemaker, true))).Recorded);

        server.Time.Advance(TimeSpan.FromSeconds(1));
        var late = await ReportAsync(device, older.Version, new DeviceFeatureReport(Eyes, false, "late", false), new DeviceFeatureReport(Pacemaker, false, "late"));
        Assert.Equal(new DeviceReportReceipt(newer.Version, Recorded: false), late);

        foreach (var feature in new[] { Eyes, Pacemaker })
        {
            var status = await FeatureStatusAsync(partner, feature);
            Assert.Equal(FeatureSyncStatuses.InSync, status.GetProperty("status").GetString());
            Assert.Equal(newer.Version, status.GetProperty("reported_version").GetInt64());
            Assert.Equal(JsonValueKind.Null, status.GetProperty("reason").ValueKind);
        }
    }

    [Fact]
    public async Task GetFeatureStatus_RefusesLikeGetFeatures()
    {
        var (partner, _) = await LinkedDeviceAsync();
        var other = await server.CreatePartnerAsync((17, "EU"));

        async Task Refused(Dictionary<string, string> parameters, int status, string inError)
        {
            var answer = await partner.CallAsync("getfeaturestatus", parameters);
            Assert.Equal(status, answer.Status);
            Assert.Contains(inError, answer.Error, StringComparison.Ordinal);
        }

        await Refused(new() { ["model"] = "17" }, WireStatus.InvalidParams, "missing parameter 'userid'");
        await Refused(new() { ["userid"] = "abc", ["model"] = "17" }, WireStatus.InvalidParams, "'userid'");
        await Refused(new() { ["userid"] = partner.UserId.ToString(CultureInfo.InvariantCulture) }, WireStatus.InvalidParams, "missing parameter 'model'");
        await Refused(StatusParameters(partner.UserId, model: 999), WireStatus.UnknownModel, "unknown model 999");
        await Refused(StatusParameters(partner.UserId, feature: ""), WireStatus.InvalidParams, "'feature_name'");
        await Refused(StatusParameters(partner.UserId, feature: "feature_nope"), WireStatus.UnknownFeature, "feature_nope");
        await Refused(StatusParameters(partner.UserId, feature: "feature_retake_high_htn"), WireStatus.IncompatibleModel, "feature_retake_high_htn");

        // Another partner's user and no user at all are answered alike.
        var notYours = await partner.CallAsync("getfeaturestatus", StatusParameters(other.UserId));
        var missing = await partner.CallAsync("getfeaturestatus", StatusParameters(int.MaxValue));
        Assert.Equal((WireStatus.UnknownUser, WireStatus.UnknownUser), (notYours.Status, missing.Status));
        Assert.Equal(
            notYours.Error!.Replace(other.UserId.ToString(CultureInfo.InvariantCulture), "N", StringComparison.Ordinal),
            missing.Error!.Replace(int.MaxValue.ToString(CultureInfo.InvariantCulture), "N", StringComparison.Ordinal));

        // A model the user has no device of: nothing to tell.
        var none = await partner.CallAsync("getfeaturestatus", StatusParameters(partner.UserId, model: 47));
        Assert.Equal(0, none.Status);
        Assert.Equal(0, none.Body.GetProperty("devices").GetArrayLength());

        // getfeatures keeps Withings' shape: only features, nothing of the extension.
        var features = await partner.CallAsync("getfeatures", StatusParameters(partner.UserId));
        Assert.Equal(["features"], features.Body.EnumerateObject().Select(p => p.Name));
    }

    [Fact]
    public async Task AdminEffectiveView_ShowsEachFeaturesSyncStatus_AndTheDevicesSummary()
    {
        var (partner, device) = await LinkedDeviceAsync();
        Assert.Equal(0, (await partner.EnableAsync(Pacemaker)).Status);
        var configuration = await device.ConfigurationAsync();
        await ReportAsync(device, configuration.Version, new DeviceFeatureReport(Pacemaker, false, "sensor missing"), new DeviceFeatureReport(Eyes, true));

        using var admin = server.CreateAdminClient();
        var state = (await admin.GetFromJsonAsync($"/admin/api/users/{partner.UserId}/features", AdminJsonContext.Default.UserFeatureState, Ct))!;
        var view = state.Devices.Single();
        var sync = view.Sync!;
        Assert.Equal((configuration.Version, server.Time.GetUtcNow(), "2.3.1", configuration.Version, server.Time.GetUtcNow()),
            (sync.ConfigVersion, sync.LastSeenAt, sync.Firmware, sync.ReportedVersion, sync.ReportedAt));
        Assert.Equal(view.Features.Select(f => (f.FeatureName, f.Active)), sync.Features.Select(f => (f.FeatureName, f.Active)));
        Assert.Equal(
            new FeatureSyncState(Pacemaker, FeatureSyncStatuses.SyncFailed, true, configuration.Version, configuration.Version, null, "sensor missing", server.Time.GetUtcNow()),
            sync.Features.Single(f => f.FeatureName == Pacemaker));
        Assert.Equal(FeatureSyncStatuses.InSync, sync.Features.Single(f => f.FeatureName == Eyes).Status);
        Assert.Equal(FeatureSyncStatuses.Pending, sync.Features.Single(f => f.FeatureName == FatMass).Status);

        // The user view stays as it was: no sync member there.
        using var user = await admin.GetAsync($"/admin/api/users/{partner.UserId}", Ct);
        var json = await user.Content.ReadAsStringAsync(Ct);
        Assert.DoesNotContain("\"sync\"", json, StringComparison.Ordinal);
    }
}

public sealed class SyncStatusTestsOnSqlite(SqliteServer server) : SyncStatusTests(server), IClassFixture<SqliteServer>;

[NeedsPostgres]
public sealed class SyncStatusTestsOnPostgres(PostgresServer server) : SyncStatusTests(server.OrSkip()), IClassFixture<PostgresServer>
{
    /// <summary>
    /// A report for version N that meets a change committing version N + 1 (here it waits on the device's row, held by
    /// the change, while its request is authenticated): the state it did not state is not filled in from the newer
    /// configuration, so the device, which runs version N, is not shown in sync with a value it never received. (The
    /// report's own transaction reads the version again once it holds the row, for a change that commits between its
    /// first read and its upsert: a window a test cannot open from outside.)
    /// </summary>
    [Fact]
    public async Task AReportMeetingAChange_DoesNotClaimTheChangedValue()
    {
        var (partner, device) = await LinkedDeviceAsync();
        var first = await device.ConfigurationAsync();

        // The change, held open: the choice and the version bump, as enablefeature writes them, not yet committed.
        await using var connection = new Npgsql.NpgsqlConnection(server.Database.ConnectionString);
        await connection.OpenAsync(Ct);
        await using var change = await connection.BeginTransactionAsync(Ct);
        await using (var command = new Npgsql.NpgsqlCommand(
            """
            INSERT INTO choices (userid, model, feature_name, active, updated_at) VALUES (@userId, 17, @feature, true, 0)
            ON CONFLICT (userid, model, feature_name) DO UPDATE SET active = true;
            UPDATE device_sync SET version = version + 1 WHERE mac_address = @mac;
            """, connection, change))
        {
            command.Parameters.AddWithValue("userId", partner.UserId);
            command.Parameters.AddWithValue("feature", Eyes);
            command.Parameters.AddWithValue("mac", device.Mac);
            await command.ExecuteNonQueryAsync(Ct);
        }

        // The report waits on the device's row; the change commits; the report goes on.
        var report = ReportAsync(device, first.Version, new DeviceFeatureReport(Eyes, true));
        await PostgresLocks.WaitForSessionWaitingOnALockAsync(connection, report, change);
        await change.CommitAsync(Ct);
        Assert.True((await report).Recorded);

        var eyes = await FeatureStatusAsync(partner, Eyes);
        Assert.True(eyes.GetProperty("active").GetBoolean());
        Assert.Equal(first.Version, eyes.GetProperty("reported_version").GetInt64());
        Assert.Equal(JsonValueKind.Null, eyes.GetProperty("reported_active").ValueKind);
        Assert.NotEqual(FeatureSyncStatuses.InSync, eyes.GetProperty("status").GetString());
    }
}

/// <summary><c>DeviceApi:UnknownAfter</c>: read from configuration, and checked when the server starts.</summary>
public sealed class SyncStatusSettingsTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task UnknownAfter_IsTheConfiguredSilence()
    {
        using var server = new SqliteServer();
        server.Settings["DeviceApi:UnknownAfter"] = "00:05:00";
        var partner = await server.CreatePartnerAsync((17, "EU"));
        using var admin = server.CreateAdminClient();
        var mac = (await admin.GetFromJsonAsync($"/admin/api/users/{partner.UserId}", AdminJsonContext.Default.User, Ct))!.Devices.Single().MacAddress;
        using var rotated = await admin.PostAsync($"/admin/api/devices/{mac}/rotate-credential", null, Ct);
        var device = new TestDevice(server, mac, (await rotated.Content.ReadFromJsonAsync(AdminJsonContext.Default.DeviceCredential, Ct))!.DeviceSecret);
        await device.ConfigurationAsync();

        async Task<string> EyesAsync() =>
            (await admin.GetFromJsonAsync($"/admin/api/users/{partner.UserId}/features", AdminJsonContext.Default.UserFeatureState, Ct))!
                .Devices.Single().Sync!.Features.Single(f => f.FeatureName == "feature_eyes_closed_mode").Status;

        server.Time.Advance(TimeSpan.FromMinutes(5));
        Assert.Equal(FeatureSyncStatuses.Pending, await EyesAsync());
        server.Time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(FeatureSyncStatuses.Unknown, await EyesAsync());
    }

    [Theory]
    [InlineData("00:00:00")]
    [InlineData("-01:00:00")]
    [InlineData("an hour")]
    public void UnknownAfter_OutOfRange_StopsTheStart(string value)
    {
        using var server = new SqliteServer();
        server.Settings["DeviceApi:UnknownAfter"] = value;
        var error = Assert.ThrowsAny<Exception>(() => server.CreateClient());
        Assert.Contains("UnknownAfter", error.ToString(), StringComparison.Ordinal);
    }
}
