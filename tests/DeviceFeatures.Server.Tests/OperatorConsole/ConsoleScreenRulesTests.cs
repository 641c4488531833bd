using System.Net;
using System.Net.Http.Json;
using DeviceFeatures.Protocol.Admin;
using DeviceFeatures.Server.Device;
using DeviceFeatures.Server.Storage;
using DeviceFeatures.Server.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace DeviceFeatures.Server.Tests.OperatorConsole;

/// <summary>The programme choices and device inventory screens over HTTP, on both providers: roles, audit, refusals.</summary>
public abstract partial class ConsoleScreenRulesTests(ServerFactory server)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static Dictionary<string, string> Form(params (string Key, string Value)[] fields) => fields.ToDictionary(f => f.Key, f => f.Value);

    private async Task<(ConsoleSession Session, string Name)> SignedInAsync(string role)
    {
        using var admin = server.CreateAdminClient();
        var name = $"{role[..3]}-{Guid.NewGuid():N}"[..20];
        using var response = await admin.PostAsJsonAsync("/admin/api/operators", new CreateOperatorRequest(name, role, "a password for the screens"), AdminJsonContext.Default.CreateOperatorRequest, Ct);
        response.EnsureSuccessStatusCode();
        var session = ConsoleSession.Open(server);
        Assert.Equal(HttpStatusCode.Redirect, (await session.SignInAsync(name, "a password for the screens")).Status);
        return (session, name);
    }

    [Fact]
    public async Task ProgrammeChoices_SetAndClearedInTheConsole_AreAuditedLikeTheApi_AndSupportReadsOnly()
    {
        var partner = await server.CreatePartnerAsync();
        var (session, name) = await SignedInAsync("customer_success");
        using var admin = server.CreateAdminClient();
        var path = $"/console/partners/{partner.ClientId}/programme";

        var (status, html) = await session.GetAsync(path);
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Contains("feature_pwv", html, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Redirect, (await session.PostAsync(path + "?handler=Set", Form(("Model", "17"), ("Feature", "feature_pwv"), ("Value", "on")))).Status);
        Assert.Equal(HttpStatusCode.Redirect, (await session.PostAsync(path + "?handler=Set", Form(("Model", "17"), ("Feature", "feature_pwv"), ("Value", "off")))).Status);
        var list = (await admin.GetFromJsonAsync($"/admin/api/partners/{partner.ClientId}/programme-choices", AdminJsonContext.Default.ProgrammeChoiceList, Ct))!;
        Assert.Equal((17, "feature_pwv", false), (list.Choices.Single().Model, list.Choices.Single().FeatureName, list.Choices.Single().Active));
        Assert.Equal(HttpStatusCode.Redirect, (await session.PostAsync(path + "?handler=Set", Form(("Model", "17"), ("Feature", "feature_pwv"), ("Value", "default")))).Status);
        Assert.Empty((await admin.GetFromJsonAsync($"/admin/api/partners/{partner.ClientId}/programme-choices", AdminJsonContext.Default.ProgrammeChoiceList, Ct))!.Choices);

        // Refusals come back on the page, in the service's words and with its status.
        var gated = await session.PostAsync(path + "?handler=Set", Form(("Model", "17"), ("Feature", "feature_esc"), ("Value", "on")));
        Assert.Equal(HttpStatusCode.Forbidden, gated.Status);
        Assert.Contains("has no grant", gated.Html, StringComparison.Ordinal);
        var incompatible = await session.PostAsync(path + "?handler=Set", Form(("Model", "47"), ("Feature", "feature_pwv"), ("Value", "on")));
        Assert.Equal(HttpStatusCode.BadRequest, incompatible.Status);
        Assert.Contains("not available on model 47", incompatible.Html, StringComparison.Ordinal);

        // The same change through the admin API writes the same events, apart from the actor and the request.
        var viaApi = await server.CreatePartnerAsync();
        (await admin.PutAsJsonAsync($"/admin/api/partners/{viaApi.ClientId}/programme-choices/17/feature_pwv", new ProgrammeChoiceRequest(true), AdminJsonContext.Default.ProgrammeChoiceRequest, Ct)).EnsureSuccessStatusCode();
        (await admin.PutAsJsonAsync($"/admin/api/partners/{viaApi.ClientId}/programme-choices/17/feature_pwv", new ProgrammeChoiceRequest(false), AdminJsonContext.Default.ProgrammeChoiceRequest, Ct)).EnsureSuccessStatusCode();
        (await admin.DeleteAsync($"/admin/api/partners/{viaApi.ClientId}/programme-choices/17/feature_pwv", Ct)).EnsureSuccessStatusCode();
        async Task<List<AuditEvent>> EventsAsync(string clientId) =>
            (await admin.GetFromJsonAsync($"/admin/api/audit?client_id={clientId}&limit=1000", AdminJsonContext.Default.AuditPage, Ct))!.Events
                .Where(e => e.Kind.StartsWith("programme_choice.", StringComparison.Ordinal)).ToList();
        var console = await EventsAsync(partner.ClientId);
        var api = await EventsAsync(viaApi.ClientId);
        Assert.Equal(["programme_choice.set", "programme_choice.set", "programme_choice.cleared"], console.Select(e => e.Kind));
        Assert.All(console, e => Assert.Equal("operator:" + name, e.Actor));
        static AuditEvent Comparable(AuditEvent e) => e with { Id = 0, OccurredAt = default, RequestId = null, Actor = "", ClientId = null };
        Assert.Equal(api.Select(Comparable), console.Select(Comparable));

        var (support, _) = await SignedInAsync("support");
        var (readStatus, readHtml) = await support.GetAsync(path);
        Assert.Equal(HttpStatusCode.OK, readStatus);
        Assert.DoesNotContain("handler=Set", readHtml, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Forbidden, (await support.PostAsync(path + "?handler=Set", Form(("Model", "17"), ("Feature", "feature_pwv"), ("Value", "on")))).Status);
        Assert.Empty((await admin.GetFromJsonAsync($"/admin/api/partners/{partner.ClientId}/programme-choices", AdminJsonContext.Default.ProgrammeChoiceList, Ct))!.Choices);

        Assert.Equal(HttpStatusCode.NotFound, (await support.GetAsync("/console/partners/no-such-partner/programme")).Status);
    }

    [Fact]
    public async Task ADeviceSeenWithNothingToApply_IsNotOutOfSync_OnTheOverviewNorInTheList()
    {
        var (session, _) = await SignedInAsync("support");
        async Task<int> OutOfSyncAsync() =>
            int.Parse(OutOfSyncPattern().Match((await session.GetAsync("/console")).Html).Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
        var before = await OutOfSyncAsync();

        using var admin = server.CreateAdminClient();
        var mac = ServerFactory.RandomMac();
        (await admin.PostAsJsonAsync("/admin/api/devices/import", new ImportDevicesRequest([new DeviceImportRow(mac, 47, "EU", null, null)]), AdminJsonContext.Default.ImportDevicesRequest, Ct))
            .EnsureSuccessStatusCode();
        var store = server.Services.GetRequiredService<IFeatureStore>();
        await store.WriteAsync(s => s.DeviceSeenAsync(mac, server.Time.GetUtcNow().ToUnixTimeMilliseconds()), Ct);

        var listed = (await admin.GetFromJsonAsync($"/admin/api/devices?mac_prefix={mac}", AdminJsonContext.Default.InventoryPage, Ct))!.Devices;
        Assert.Equal((0L, (long?)null), (Assert.Single(listed).Sync!.ConfigVersion, listed[0].Sync!.ReportedVersion));
        Assert.Contains("nothing to apply yet", (await session.GetAsync($"/console/devices?mac={mac}")).Html, StringComparison.Ordinal);
        Assert.Equal(before, await OutOfSyncAsync());
    }

    [System.Text.RegularExpressions.GeneratedRegex("class=\"value\">(\\d+)</span> devices out of sync")]
    private static partial System.Text.RegularExpressions.Regex OutOfSyncPattern();

    [Fact]
    public async Task TheInventoryList_FiltersByPartnerModelAssignmentAndMacPrefix_WithEachDevicesSync()
    {
        var partner = await server.CreatePartnerAsync();
        using var admin = server.CreateAdminClient();
        var bytes = Guid.NewGuid().ToByteArray();
        var prefix = string.Join(':', bytes.Take(3).Select(b => b.ToString("x2", System.Globalization.CultureInfo.InvariantCulture)));
        string[] macs = [$"{prefix}:00:00:01", $"{prefix}:00:00:02", $"{prefix}:00:00:03"];
        var import = new ImportDevicesRequest(
        [
            new DeviceImportRow(macs[0], 17, "EU", "2.1.0", partner.ClientId),
            new DeviceImportRow(macs[1], 47, "EU", null, null),
            new DeviceImportRow(macs[2], 17, "US", null, partner.ClientId),
        ]);
        (await admin.PostAsJsonAsync("/admin/api/devices/import", import, AdminJsonContext.Default.ImportDevicesRequest, Ct)).EnsureSuccessStatusCode();
        (await admin.PutAsJsonAsync($"/admin/api/partners/{partner.ClientId}/programme-choices/17/feature_pwv", new ProgrammeChoiceRequest(true), AdminJsonContext.Default.ProgrammeChoiceRequest, Ct)).EnsureSuccessStatusCode();

        async Task<string[]> MacsAsync(string query) =>
            (await admin.GetFromJsonAsync($"/admin/api/devices?{query}", AdminJsonContext.Default.InventoryPage, Ct))!.Devices.Select(d => d.MacAddress).ToArray();
        Assert.Equal(macs, await MacsAsync($"mac_prefix={prefix.ToUpperInvariant().Replace(":", "", StringComparison.Ordinal)}"));
        Assert.Equal([macs[1]], await MacsAsync($"mac_prefix={prefix}&assigned=false"));
        Assert.Equal([macs[0], macs[2]], await MacsAsync($"mac_prefix={prefix}&assigned=true&client_id={partner.ClientId}&model=17"));
        Assert.Equal([macs[0]], await MacsAsync($"mac_prefix={prefix}:00:00:01"));
        using (var bad = await admin.GetAsync("/admin/api/devices?mac_prefix=zz", Ct))
        {
            Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        }

        using (var bad = await admin.GetAsync("/admin/api/devices?assigned=maybe", Ct))
        {
            Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        }

        var listed = (await admin.GetFromJsonAsync($"/admin/api/devices?mac_prefix={prefix}", AdminJsonContext.Default.InventoryPage, Ct))!.Devices;
        Assert.Equal((1L, (long?)null), (listed[0].Sync!.ConfigVersion, listed[0].Sync!.ReportedVersion));
        Assert.Equal((0L, (long?)null), (listed[1].Sync!.ConfigVersion, listed[1].Sync!.ReportedVersion));

        var (session, _) = await SignedInAsync("support");
        var (status, html) = await session.GetAsync($"/console/devices?partner={partner.ClientId}&assigned=true&mac={prefix}");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Contains(macs[0], html, StringComparison.Ordinal);
        Assert.Contains(macs[2], html, StringComparison.Ordinal);
        Assert.DoesNotContain(macs[1], html, StringComparison.Ordinal);
        Assert.Contains("out of sync: never reported", html, StringComparison.Ordinal);

        var (unassignedStatus, unassigned) = await session.GetAsync($"/console/devices?assigned=false&mac={prefix}");
        Assert.Equal(HttpStatusCode.OK, unassignedStatus);
        Assert.Contains(macs[1], unassigned, StringComparison.Ordinal);
        Assert.Contains("nothing to apply yet", unassigned, StringComparison.Ordinal);

        var (badStatus, badHtml) = await session.GetAsync("/console/devices?mac=not-hex");
        Assert.Equal(HttpStatusCode.BadRequest, badStatus);
        Assert.Contains("The start of the MAC address must be", badHtml, StringComparison.Ordinal);
    }
}

public sealed class ConsoleScreenRulesTestsOnSqlite(SqliteServer server) : ConsoleScreenRulesTests(server), IClassFixture<SqliteServer>;

[NeedsPostgres]
public sealed class ConsoleScreenRulesTestsOnPostgres(PostgresServer server) : ConsoleScreenRulesTests(server.OrSkip()), IClassFixture<PostgresServer>;
