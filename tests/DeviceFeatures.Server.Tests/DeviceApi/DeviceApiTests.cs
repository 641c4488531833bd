using System.Net;
using System.Net.Http.Json;
using DeviceFeatures.Protocol.Admin;
using DeviceFeatures.Protocol.DeviceApi;
using DeviceFeatures.Server.Device;
using DeviceFeatures.Server.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace DeviceFeatures.Server.Tests.DeviceApi;

public abstract class DeviceApiTests(ServerFactory server)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>A device imported for a new partner, with the secret the import showed.</summary>
    private async Task<(string ClientId, TestDevice Device)> ImportedDeviceAsync(int model = 17)
    {
        using var admin = server.CreateAdminClient();
        using var created = await admin.PostAsJsonAsync("/admin/api/partners", new { name = "Device partner" }, Ct);
        var clientId = (await created.Content.ReadFromJsonAsync(AdminJsonContext.Default.CreatedPartner, Ct))!.ClientId;
        var mac = ServerFactory.RandomMac();
        using var response = await admin.PostAsJsonAsync("/admin/api/devices/import",
            new ImportDevicesRequest([new DeviceImportRow(mac, model, "EU", "1.0.0", clientId)]), AdminJsonContext.Default.ImportDevicesRequest, Ct);
        var result = (await response.Content.ReadFromJsonAsync(AdminJsonContext.Default.ImportDevicesResponse, Ct))!.Results.Single();
        Assert.Equal(DeviceImportOutcomes.Imported, result.Outcome);
        Assert.Matches("^[0-9a-f]{64}$", result.DeviceSecret);
        return (clientId, new TestDevice(server, mac, result.DeviceSecret!));
    }

    /// <summary>A partner with a user whose Body Pro 2 has just been given a secret by an operator.</summary>
    private async Task<(TestPartner Partner, TestDevice Device)> LinkedDeviceAsync()
    {
        var partner = await server.CreatePartnerAsync((17, "EU"));
        using var admin = server.CreateAdminClient();
        var user = await admin.GetFromJsonAsync($"/admin/api/users/{partner.UserId}", AdminJsonContext.Default.User, Ct);
        var mac = user!.Devices.Single().MacAddress;
        return (partner, new TestDevice(server, mac, await RotateAsync(admin, mac)));
    }

    private static async Task<string> RotateAsync(HttpClient admin, string mac)
    {
        using var response = await admin.PostAsync($"/admin/api/devices/{mac}/rotate-credential", null, Ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var credential = (await response.Content.ReadFromJsonAsync(AdminJsonContext.Default.DeviceCredential, Ct))!;
        Assert.Equal(mac.ToLowerInvariant(), credential.MacAddress);
        return credential.DeviceSecret;
    }

    private async Task<InventoryDevice> AdminViewAsync(string mac)
    {
        using var admin = server.CreateAdminClient();
        return (await admin.GetFromJsonAsync($"/admin/api/devices/{mac}", AdminJsonContext.Default.InventoryDevice, Ct))!;
    }

    [Fact]
    public async Task Import_ShowsTheSecretOnce_AndTheDevicePullsItsWholeConfiguration()
    {
        var (clientId, device) = await ImportedDeviceAsync();
        using (var admin = server.CreateAdminClient())
        {
            using var again = await admin.PostAsJsonAsync("/admin/api/devices/import",
                new ImportDevicesRequest([new DeviceImportRow(device.Mac, 17, "EU", "1.0.0", clientId)]), AdminJsonContext.Default.ImportDevicesRequest, Ct);
            var skipped = (await again.Content.ReadFromJsonAsync(AdminJsonContext.Default.ImportDevicesResponse, Ct))!.Results.Single();
            Assert.Equal((DeviceImportOutcomes.Skipped, null), (skipped.Outcome, skipped.DeviceSecret));
        }

        var configuration = await device.ConfigurationAsync();
        Assert.Equal((device.Mac, 17, 0L), (configuration.MacAddress, configuration.Model, configuration.Version));
        Assert.Contains(new DeviceFeatureSetting("feature_fat_mass", true), configuration.Features);
        Assert.Contains(new DeviceFeatureSetting("feature_eyes_closed_mode", false), configuration.Features);

        var view = await AdminViewAsync(device.Mac);
        Assert.True(view.Sync!.HasCredential);
        Assert.Equal(server.Time.GetUtcNow(), view.Sync.LastSeenAt);
    }

    [Fact]
    public async Task EveryForgedOrReplayedRequest_IsRefused_WithItsCode()
    {
        var (_, device) = await ImportedDeviceAsync();
        var (_, other) = await ImportedDeviceAsync();
        const string path = "/device/v1/configuration";

        using var bare = await device.Http.GetAsync(path, Ct);
        await TestDevice.ProblemAsync(bare, HttpStatusCode.Unauthorized, DeviceProblemCodes.AuthenticationMissing);

        var wrong = device.Request(HttpMethod.Get, path);
        wrong.Headers.Remove(DeviceApiHeaders.Signature);
        wrong.Headers.Add(DeviceApiHeaders.Signature, new string('0', 64));
        await TestDevice.ProblemAsync(await device.Http.SendAsync(wrong, Ct), HttpStatusCode.Unauthorized, DeviceProblemCodes.SignatureInvalid);

        await TestDevice.ProblemAsync(await device.Http.SendAsync(device.Request(HttpMethod.Get, path, signWith: other.Secret), Ct),
            HttpStatusCode.Unauthorized, DeviceProblemCodes.SignatureInvalid);
        await TestDevice.ProblemAsync(await device.Http.SendAsync(device.Request(HttpMethod.Get, path, asMac: ServerFactory.RandomMac()), Ct),
            HttpStatusCode.Unauthorized, DeviceProblemCodes.SignatureInvalid);

        // Signed for one path, sent to another.
        var moved = device.Request(HttpMethod.Get, path);
        moved.RequestUri = new Uri(path + "?wait=0", UriKind.Relative);
        await TestDevice.ProblemAsync(await device.Http.SendAsync(moved, Ct), HttpStatusCode.Unauthorized, DeviceProblemCodes.SignatureInvalid);

        var stale = server.Time.GetUtcNow().ToUnixTimeSeconds() - 301;
        await TestDevice.ProblemAsync(await device.Http.SendAsync(device.Request(HttpMethod.Get, path, timestamp: stale), Ct),
            HttpStatusCode.Unauthorized, DeviceProblemCodes.TimestampOutOfWindow);

        var nonce = TestDevice.NewNonce();
        using (var first = await device.Http.SendAsync(device.Request(HttpMethod.Get, path, nonce: nonce), Ct))
        {
            Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        }

        await TestDevice.ProblemAsync(await device.Http.SendAsync(device.Request(HttpMethod.Get, path, nonce: nonce), Ct),
            HttpStatusCode.Unauthorized, DeviceProblemCodes.NonceReused);

        // A body changed after signing.
        var tampered = device.Request(HttpMethod.Post, "/device/v1/report", """{"version":0,"features":[]}""");
        tampered.Content = new StringContent("""{"version":0,"firmware":"evil","features":[]}""", System.Text.Encoding.UTF8, "application/json");
        await TestDevice.ProblemAsync(await device.Http.SendAsync(tampered, Ct), HttpStatusCode.Unauthorized, DeviceProblemCodes.SignatureInvalid);
    }

    [Fact]
    public async Task Rotation_StopsTheOldSecret_AndGivesOneToADeviceThatHadNone()
    {
        var partner = await server.CreatePartnerAsync((17, "EU"));
        using var admin = server.CreateAdminClient();
        var mac = (await admin.GetFromJsonAsync($"/admin/api/users/{partner.UserId}", AdminJsonContext.Default.User, Ct))!.Devices.Single().MacAddress;
        Assert.False((await AdminViewAsync(mac)).Sync!.HasCredential);
        var device = new TestDevice(server, mac, new string('a', 64));
        await TestDevice.ProblemAsync(await device.PullAsync(), HttpStatusCode.Unauthorized, DeviceProblemCodes.SignatureInvalid);

        var first = await RotateAsync(admin, mac);
        device.Secret = first;
        using (var ok = await device.PullAsync())
        {
            Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        }

        device.Secret = await RotateAsync(admin, mac.ToUpperInvariant());
        Assert.NotEqual(first, device.Secret);
        using (var ok = await device.PullAsync())
        {
            Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        }

        await TestDevice.ProblemAsync(await device.Http.SendAsync(device.Request(HttpMethod.Get, "/device/v1/configuration", signWith: first), Ct),
            HttpStatusCode.Unauthorized, DeviceProblemCodes.SignatureInvalid);

        var audit = await admin.GetFromJsonAsync($"/admin/api/audit?client_id={partner.ClientId}", AdminJsonContext.Default.AuditPage, Ct);
        Assert.Equal(2, audit!.Events.Count(e => e.Kind == "device.credential_rotated" && e.Detail!.StartsWith(mac, StringComparison.Ordinal)));

        using var unknown = await admin.PostAsync($"/admin/api/devices/{ServerFactory.RandomMac()}/rotate-credential", null, Ct);
        await TestDevice.ProblemAsync(unknown, HttpStatusCode.NotFound, AdminProblemCodes.DeviceNotFound);
    }

    [Fact]
    public async Task Pull_EqualsTheAdminEffectiveView_AfterChoicesGrantsAndProgrammeChoices()
    {
        var (partner, device) = await LinkedDeviceAsync();
        using var admin = server.CreateAdminClient();
        (await admin.PutAsync($"/admin/api/partners/{partner.ClientId}/entitlements/feature_esc", null, Ct)).EnsureSuccessStatusCode();
        (await admin.PutAsJsonAsync($"/admin/api/partners/{partner.ClientId}/programme-choices/17/feature_fat_mass", new { active = false }, Ct)).EnsureSuccessStatusCode();
        Assert.Equal(0, (await partner.EnableAsync("feature_eyes_closed_mode")).Status);
        Assert.Equal(0, (await partner.EnableAsync("feature_esc")).Status);

        var effective = await admin.GetFromJsonAsync($"/admin/api/users/{partner.UserId}/features", AdminJsonContext.Default.UserFeatureState, Ct);
        var expected = effective!.Devices.Single(d => d.MacAddress == device.Mac).Features.Select(f => new DeviceFeatureSetting(f.FeatureName, f.Active));
        var configuration = await device.ConfigurationAsync();
        Assert.Equal(expected, configuration.Features);
        Assert.Contains(new DeviceFeatureSetting("feature_eyes_closed_mode", true), configuration.Features);
        Assert.Contains(new DeviceFeatureSetting("feature_fat_mass", false), configuration.Features);
    }

    [Fact]
    public async Task IfNoneMatch_WithTheCurrentVersion_Answers304WithNoBody()
    {
        var (partner, device) = await LinkedDeviceAsync();
        var current = await device.ConfigurationAsync();
        using (var same = await device.PullAsync(ifNoneMatch: current.Version))
        {
            Assert.Equal(HttpStatusCode.NotModified, same.StatusCode);
            Assert.Empty(await same.Content.ReadAsByteArrayAsync(Ct));
            Assert.Equal($"\"{current.Version}\"", same.Headers.ETag?.ToString());
        }

        Assert.Equal(0, (await partner.EnableAsync("feature_eyes_closed_mode")).Status);
        using var changed = await device.PullAsync(ifNoneMatch: current.Version);
        Assert.Equal(HttpStatusCode.OK, changed.StatusCode);
    }

    [Fact]
    public async Task Version_GrowsWithEveryKindOfChange()
    {
        var (partner, device) = await LinkedDeviceAsync();
        using var admin = server.CreateAdminClient();
        var versions = new List<long> { (await device.ConfigurationAsync()).Version };
        async Task Changed(Func<Task<HttpResponseMessage>> change)
        {
            using var response = await change();
            response.EnsureSuccessStatusCode();
            versions.Add((await device.ConfigurationAsync()).Version);
        }

        async Task<HttpResponseMessage> Wire(string action, Dictionary<string, string> business)
        {
            Assert.Equal(0, (await partner.CallAsync(action, business)).Status);
            return new HttpResponseMessage(HttpStatusCode.OK);
        }

        await Changed(() => Wire("enablefeature", TestPartner.Feature(partner.UserId, 17, "feature_eyes_closed_mode")));
        await Changed(() => Wire("disablefeature", TestPartner.Feature(partner.UserId, 17, "feature_eyes_closed_mode")));
        await Changed(() => admin.PutAsJsonAsync($"/admin/api/partners/{partner.ClientId}/programme-choices/17/feature_fat_mass", new { active = false }, Ct));
        await Changed(() => admin.DeleteAsync($"/admin/api/partners/{partner.ClientId}/programme-choices/17/feature_fat_mass", Ct));
        await Changed(() => admin.PutAsync($"/admin/api/partners/{partner.ClientId}/entitlements/feature_esc", null, Ct));
        await Changed(() => admin.DeleteAsync($"/admin/api/partners/{partner.ClientId}/entitlements/feature_esc", Ct));
        await Changed(() => Wire("endpartnerprogram", new() { ["mac_address"] = device.Mac, ["status"] = "STANDBY" }));
        Assert.Equal(versions.Order(), versions);
        Assert.Equal(versions.Count, versions.Distinct().Count());

        // An imported device: its assignment, then its link to a user.
        var (clientId, imported) = await ImportedDeviceAsync();
        var before = (await imported.ConfigurationAsync()).Version;
        var otherPartner = await server.CreatePartnerAsync((47, "EU"));
        using (var assigned = await admin.PostAsJsonAsync($"/admin/api/devices/{imported.Mac}/assign", new { client_id = otherPartner.ClientId }, Ct))
        {
            assigned.EnsureSuccessStatusCode();
        }

        var afterAssign = (await imported.ConfigurationAsync()).Version;
        using (var linked = await admin.PostAsJsonAsync("/admin/api/users",
            new { client_id = otherPartner.ClientId, devices = new[] { new { mac_address = imported.Mac, model = 17, market = "EU" } } }, Ct))
        {
            linked.EnsureSuccessStatusCode();
        }

        var afterLink = (await imported.ConfigurationAsync()).Version;
        Assert.True(before < afterAssign && afterAssign < afterLink, $"{before} {afterAssign} {afterLink}");
        Assert.NotNull(clientId);
    }

    [Fact]
    public async Task ATerminationThatCompletesWithTheClock_RaisesTheVersionOnce_AndTheDeviceRunsTheDefaults()
    {
        var (partner, device) = await LinkedDeviceAsync();
        Assert.Equal(0, (await partner.EnableAsync("feature_eyes_closed_mode")).Status);
        Assert.Equal(0, (await partner.CallAsync("endpartnerprogram", new() { ["mac_address"] = device.Mac, ["status"] = "TERMINATED" })).Status);
        var pending = await device.ConfigurationAsync();
        Assert.Contains(new DeviceFeatureSetting("feature_eyes_closed_mode", true), pending.Features);

        server.Time.Advance(TimeSpan.FromDays(31));
        var terminated = await device.ConfigurationAsync();
        Assert.True(terminated.Version > pending.Version);
        Assert.Contains(new DeviceFeatureSetting("feature_eyes_closed_mode", false), terminated.Features);
        Assert.Equal(terminated.Version, (await device.ConfigurationAsync()).Version);
    }

    [Fact]
    public async Task LongPoll_WakesOnAChange_AndAnswers304WhenTheWaitEnds()
    {
        var (partner, device) = await LinkedDeviceAsync();
        var signals = server.Services.GetRequiredService<DeviceSignals>();
        var current = await device.ConfigurationAsync();

        var waiting = device.PullAsync(ifNoneMatch: current.Version, wait: 30);
        await WaitUntilAsync(() => signals.WaitingDevices == 1 || waiting.IsCompleted);
        Assert.Equal(0, (await partner.EnableAsync("feature_eyes_closed_mode")).Status);
        using (var woken = await waiting.WaitAsync(TimeSpan.FromSeconds(30), Ct))
        {
            Assert.Equal(HttpStatusCode.OK, woken.StatusCode);
            var configuration = (await woken.Content.ReadFromJsonAsync(DeviceApiJsonContext.Default.DeviceConfiguration, Ct))!;
            Assert.True(configuration.Version > current.Version);
            Assert.Contains(new DeviceFeatureSetting("feature_eyes_closed_mode", true), configuration.Features);
            current = configuration;
        }

        await WaitUntilAsync(() => signals.WaitingDevices == 0);
        var quiet = device.PullAsync(ifNoneMatch: current.Version, wait: 10);
        await WaitUntilAsync(() => signals.WaitingDevices == 1 || quiet.IsCompleted);
        server.Time.Advance(TimeSpan.FromSeconds(11));
        using var timedOut = await quiet.WaitAsync(TimeSpan.FromSeconds(30), Ct);
        Assert.Equal(HttpStatusCode.NotModified, timedOut.StatusCode);
        await WaitUntilAsync(() => signals.WaitingDevices == 0);
    }

    [Fact]
    public async Task LongPoll_RefusesTooLongAWait_AndTooManyWaiters_AndLeavesWhenTheClientGoesAway()
    {
        var (_, device) = await LinkedDeviceAsync();
        var signals = server.Services.GetRequiredService<DeviceSignals>();
        var current = await device.ConfigurationAsync();
        await TestDevice.ProblemAsync(await device.PullAsync(ifNoneMatch: current.Version, wait: 61), HttpStatusCode.BadRequest, DeviceProblemCodes.InvalidRequest);

        using var gone = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        var first = device.PullAsync(ifNoneMatch: current.Version, wait: 30, abort: gone);
        var second = device.PullAsync(ifNoneMatch: current.Version, wait: 30, abort: gone);
        await WaitUntilAsync(() => first.IsCompleted || second.IsCompleted || signals.WaitersOf(device.Mac) == 2);
        await TestDevice.ProblemAsync(await device.PullAsync(ifNoneMatch: current.Version, wait: 30), HttpStatusCode.TooManyRequests, DeviceProblemCodes.TooManyWaiters);

        await gone.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => first);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => second);
        await WaitUntilAsync(() => signals.WaitingDevices == 0);
    }

    [Fact]
    public async Task Report_IsStoredPerFeature_UpdatesTheFirmware_AndAnOlderOneNeverOverwritesIt()
    {
        var (partner, device) = await LinkedDeviceAsync();
        Assert.Equal(0, (await partner.EnableAsync("feature_eyes_closed_mode")).Status);
        Assert.Equal(0, (await partner.DisableAsync("feature_eyes_closed_mode")).Status);
        var current = (await device.ConfigurationAsync()).Version;
        Assert.True(current >= 2);

        using (var newer = await device.ReportAsync(current, "2.0.0", ("feature_eyes_closed_mode", true, null), ("feature_pacemaker", false, "sensor missing")))
        {
            var receipt = (await newer.Content.ReadFromJsonAsync(DeviceApiJsonContext.Default.DeviceReportReceipt, Ct))!;
            Assert.Equal(new DeviceReportReceipt(current, true), receipt);
        }

        using (var older = await device.ReportAsync(current - 1, "1.9.0", ("feature_eyes_closed_mode", false, "old")))
        {
            var receipt = (await older.Content.ReadFromJsonAsync(DeviceApiJsonContext.Default.DeviceReportReceipt, Ct))!;
            Assert.Equal(new DeviceReportReceipt(current, false), receipt);
        }

        await TestDevice.ProblemAsync(await device.ReportAsync(current + 1, null), HttpStatusCode.Conflict, DeviceProblemCodes.VersionAhead);
        await TestDevice.ProblemAsync(await device.ReportAsync(current, null, ("feature_no_such", true, null)), HttpStatusCode.BadRequest, DeviceProblemCodes.InvalidRequest);

        var view = await AdminViewAsync(device.Mac);
        Assert.Equal("2.0.0", view.Firmware);
        Assert.Equal(current, view.Sync!.ReportedVersion);
        Assert.Equal(current, view.Sync.ConfigVersion);
        Assert.Equal(
            [("feature_eyes_closed_mode", true, (string?)null, current), ("feature_pacemaker", false, "sensor missing", current)],
            view.Sync.Features.Select(f => (f.FeatureName, f.Applied, f.Reason, f.Version)));
    }

    [Fact]
    public async Task ConcurrentReports_KeepTheNewestVersion_WhateverTheOrder()
    {
        var (partner, device) = await LinkedDeviceAsync();
        for (var i = 0; i < 6; i++)
        {
            Assert.Equal(0, (await (i % 2 == 0 ? partner.EnableAsync("feature_eyes_closed_mode") : partner.DisableAsync("feature_eyes_closed_mode"))).Status);
        }

        var current = (await device.ConfigurationAsync()).Version;
        var versions = Enumerable.Range(0, (int)current + 1).Select(v => (long)v).Reverse().ToArray();
        var answers = await Task.WhenAll(versions.Select(v => device.ReportAsync(v, $"fw-{v}", ("feature_eyes_closed_mode", v % 2 == 0, $"v{v}"))));
        Assert.All(answers, a => Assert.Equal(HttpStatusCode.OK, a.StatusCode));

        var view = await AdminViewAsync(device.Mac);
        Assert.Equal(current, view.Sync!.ReportedVersion);
        Assert.Equal($"fw-{current}", view.Firmware);
        var feature = view.Sync.Features.Single();
        Assert.Equal((current, $"v{current}"), (feature.Version, feature.Reason));
    }

    [Fact]
    public async Task ADeviceOfASuspendedPartner_IsRefused_UntilItResumes()
    {
        var (partner, device) = await LinkedDeviceAsync();
        using var admin = server.CreateAdminClient();
        (await admin.PostAsync($"/admin/api/partners/{partner.ClientId}/suspend", null, Ct)).EnsureSuccessStatusCode();
        await TestDevice.ProblemAsync(await device.PullAsync(), HttpStatusCode.Forbidden, DeviceProblemCodes.PartnerSuspended);
        (await admin.PostAsync($"/admin/api/partners/{partner.ClientId}/resume", null, Ct)).EnsureSuccessStatusCode();
        Assert.NotNull(await device.ConfigurationAsync());
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        timeout.CancelAfter(TimeSpan.FromSeconds(30));
        while (!condition())
        {
            await Task.Delay(10, timeout.Token);
        }
    }
}

public sealed class DeviceApiTestsOnSqlite(SqliteServer server) : DeviceApiTests(server), IClassFixture<SqliteServer>;

[NeedsPostgres]
public sealed class DeviceApiTestsOnPostgres(PostgresServer server) : DeviceApiTests(server.OrSkip()), IClassFixture<PostgresServer>;
