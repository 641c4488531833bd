using System.Net.Http.Json;
using System.Text.Json;
using DeviceFeatures.Protocol.Admin;
using Microsoft.Playwright;

namespace DeviceFeatures.Console.Tests;

/// <summary>Every screen as a person uses it, each checked with axe, some at phone width, with the docs' screenshots.</summary>
[Collection(ConsoleBrowser.Name)]
public sealed class ScreenTests(ConsoleFixture fixture)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private async Task<(IPage Page, string Name)> SignedInAsync(string role, int width = 1280)
    {
        var (name, password) = await fixture.CreateOperatorAsync(role);
        var page = await fixture.NewPageAsync(width);
        await ConsoleFixture.SignInAsync(page, name, password);
        return (page, name);
    }

    [Fact]
    public async Task Overview_ShowsTheCounts()
    {
        var (page, _) = await SignedInAsync(OperatorRolesForTests.Support);
        await Assertions.Expect(page.GetByRole(AriaRole.List, new() { Name = "Counts" })).ToContainTextAsync("partners");
        await Assertions.Expect(page.GetByRole(AriaRole.List, new() { Name = "Counts" })).ToContainTextAsync("devices out of sync");
        await Accessibility.AssertNoSeriousViolationsAsync(page);
        await Screenshots.TakeAsync(page, "overview");
    }

    [Fact]
    public async Task Partners_CreateRotateSuspendResumeQuotaAndCallback_AllAudited()
    {
        var (page, name) = await SignedInAsync(OperatorRolesForTests.Administrator);
        var partnerName = "Clinic " + Guid.NewGuid().ToString("N")[..8];

        await Nav(page, "Partners").ClickAsync();
        await page.GetByLabel("Name").FillAsync(partnerName);
        await page.GetByRole(AriaRole.Button, new() { Name = "Create partner" }).ClickAsync();
        var clientId = (await page.Locator("#created-client-id").TextContentAsync())!.Trim();
        var secret = (await page.Locator("#created-secret").TextContentAsync())!.Trim();
        Assert.Equal(64, secret.Length);
        await Accessibility.AssertNoSeriousViolationsAsync(page);
        await Screenshots.TakeAsync(page, "partners");

        await page.GetByRole(AriaRole.Link, new() { Name = partnerName }).ClickAsync();
        await page.GetByLabel("Seconds the previous secret stays valid").FillAsync("600");
        await page.GetByRole(AriaRole.Button, new() { Name = "Rotate secret" }).ClickAsync();
        var rotated = (await page.Locator("#new-secret").TextContentAsync())!.Trim();
        Assert.NotEqual(secret, rotated);
        Assert.NotNull((await fixture.GetPartnerAsync(clientId)).PreviousSecretExpiresAt);

        await page.GetByRole(AriaRole.Button, new() { Name = "Suspend partner" }).ClickAsync();
        await Assertions.Expect(page.Locator("#partner-status")).ToHaveTextAsync("suspended");
        Assert.Equal("suspended", (await fixture.GetPartnerAsync(clientId)).Status);
        await page.GetByRole(AriaRole.Button, new() { Name = "Resume partner" }).ClickAsync();
        await Assertions.Expect(page.Locator("#partner-status")).ToHaveTextAsync("active");

        await page.GetByLabel("Signed requests per minute").FillAsync("300");
        await page.GetByRole(AriaRole.Button, new() { Name = "Save quota" }).ClickAsync();
        await Assertions.Expect(page.Locator("#partner-quota")).ToHaveTextAsync("300 requests per minute");

        await page.GetByLabel("Where change events are sent").FillAsync("https://partner.example/callbacks");
        await page.GetByRole(AriaRole.Button, new() { Name = "Save callback URL" }).ClickAsync();
        await Assertions.Expect(page.Locator("#partner-callback")).ToHaveTextAsync("https://partner.example/callbacks");

        // A refusal is shown on the page, in the service's words.
        await page.GetByLabel("Where change events are sent").FillAsync("ftp://partner.example/");
        await page.GetByRole(AriaRole.Button, new() { Name = "Save callback URL" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Alert)).ToBeVisibleAsync();
        await Accessibility.AssertNoSeriousViolationsAsync(page);
        await Screenshots.TakeAsync(page, "partner");

        var audit = (await fixture.Admin.GetFromJsonAsync($"/admin/api/audit?client_id={clientId}", AdminJsonContext.Default.AuditPage, Ct))!;
        Assert.Equal(
            ["partner.created", "partner.secret_rotated", "partner.suspended", "partner.resumed", "partner.rate_limit_changed", "partner.callback_set"],
            audit.Events.Select(e => e.Kind));
        Assert.All(audit.Events, e => Assert.Equal("operator:" + name, e.Actor));
    }

    [Fact]
    public async Task UserLookup_ByUseridAndByMac_ShowsEachFeatureWithItsSourceAndSync()
    {
        var user = (await fixture.Admin.GetFromJsonAsync($"/admin/api/users/{fixture.Server.UserId}", AdminJsonContext.Default.User, Ct))!;
        var mac = user.Devices[0].MacAddress;
        var (page, _) = await SignedInAsync(OperatorRolesForTests.Support);

        await Nav(page, "Users").ClickAsync();
        await page.GetByLabel("Value").FillAsync(user.Userid.ToString(System.Globalization.CultureInfo.InvariantCulture));
        await page.GetByRole(AriaRole.Button, new() { Name = "Look up" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = $"User {user.Userid}" })).ToBeVisibleAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Region, new() { Name = $"Device {mac}" })).ToContainTextAsync("the catalog default");
        await Accessibility.AssertNoSeriousViolationsAsync(page);
        await Screenshots.TakeAsync(page, "user");

        await page.GetByLabel("Find by").SelectOptionAsync("mac");
        await page.GetByLabel("Value").FillAsync(mac.ToUpperInvariant());
        await page.GetByRole(AriaRole.Button, new() { Name = "Look up" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = $"User {user.Userid}" })).ToBeVisibleAsync();

        await page.GetByLabel("Value").FillAsync("not-a-mac");
        await page.GetByRole(AriaRole.Button, new() { Name = "Look up" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Alert)).ToContainTextAsync("MAC address");
    }

    [Fact]
    public async Task Audit_FiltersByOperator_AndExportsCsvAndJsonLines()
    {
        var target = await fixture.CreatePartnerAsync("Audited partner");
        var (page, name) = await SignedInAsync(OperatorRolesForTests.Administrator);
        await page.GotoAsync($"/console/partners/{target.ClientId}");
        await page.GetByRole(AriaRole.Button, new() { Name = "Suspend partner" }).ClickAsync();
        await Assertions.Expect(page.Locator("#partner-status")).ToHaveTextAsync("suspended");

        await Nav(page, "Audit").ClickAsync();
        await page.GetByLabel("Actor").FillAsync("operator:" + name);
        await page.GetByRole(AriaRole.Button, new() { Name = "Filter" }).ClickAsync();
        var rows = page.Locator("tbody tr");
        await Assertions.Expect(rows).ToHaveCountAsync(1);
        await Assertions.Expect(rows.First).ToContainTextAsync("partner.suspended");
        await Accessibility.AssertNoSeriousViolationsAsync(page);
        await Screenshots.TakeAsync(page, "audit");

        var csv = await DownloadAsync(page, "CSV");
        var lines = csv.Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
        Assert.StartsWith("id,occurred_at,kind,actor,client_id", lines[0], StringComparison.Ordinal);
        Assert.Equal(2, lines.Length);
        Assert.Contains($",partner.suspended,operator:{name},{target.ClientId},", lines[1], StringComparison.Ordinal);

        var jsonl = await DownloadAsync(page, "JSON lines");
        var events = jsonl.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonSerializer.Deserialize(l, AdminJsonContext.Default.AuditEvent)!).ToArray();
        Assert.Equal(("partner.suspended", "operator:" + name, target.ClientId), (events.Single().Kind, events.Single().Actor, events.Single().ClientId));
    }

    [Fact]
    public async Task Faults_AnAdministratorAddsARule_AndTheJournalShowsTheInjectedAnswer()
    {
        var target = await fixture.CreatePartnerAsync("Faulted partner");
        var (page, _) = await SignedInAsync(OperatorRolesForTests.Administrator);
        await Nav(page, "Faults").ClickAsync();
        await page.GetByLabel("Partner (client_id, empty for all)").FillAsync(target.ClientId);
        await page.GetByLabel("Action (empty for all)").FillAsync("getnonce");
        await page.GetByLabel("Withings status").FillAsync("522");
        await page.GetByLabel("At most (times)").FillAsync("1");
        await page.GetByRole(AriaRole.Button, new() { Name = "Add the rule" }).ClickAsync();
        var rule = page.Locator("tbody tr", new() { HasText = target.ClientId });
        await Assertions.Expect(rule).ToContainTextAsync("status 522");
        await Accessibility.AssertNoSeriousViolationsAsync(page);
        await Screenshots.TakeAsync(page, "faults");

        // The partner's client meets the 522 once and retries.
        var client = fixture.Server.CreateClient(target.ClientId, target.ClientSecret);
        await client.GetNonceAsync(Ct);

        await Nav(page, "Journal").ClickAsync();
        await page.GetByLabel("Partner (client_id)").FillAsync(target.ClientId);
        await page.GetByRole(AriaRole.Button, new() { Name = "Filter" }).ClickAsync();
        var rows = page.Locator("tbody tr");
        await Assertions.Expect(rows).ToHaveCountAsync(2);
        await Assertions.Expect(rows.Last).ToContainTextAsync("522");
        await Assertions.Expect(rows.Last).ToContainTextAsync("signature=***");
        await Accessibility.AssertNoSeriousViolationsAsync(page);
        await Screenshots.TakeAsync(page, "journal");

        await Nav(page, "Faults").ClickAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Delete every rule" }).ClickAsync();
        await Assertions.Expect(page.Locator("tbody tr")).ToHaveCountAsync(0);
    }

    [Fact]
    public async Task Catalog_ListsFeaturesAndModels()
    {
        var (page, _) = await SignedInAsync(OperatorRolesForTests.CustomerSuccess);
        await Nav(page, "Catalog").ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Cell, new() { Name = "feature_eyes_closed_mode" })).ToBeVisibleAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Cell, new() { Name = "Body Pro 2", Exact = true })).ToBeVisibleAsync();
        await Accessibility.AssertNoSeriousViolationsAsync(page);
        await Screenshots.TakeAsync(page, "catalog");
    }

    [Fact]
    public async Task Operators_AnAdministratorCreatesOne_WhoCanSignInWithThePasswordShownOnce()
    {
        var (page, _) = await SignedInAsync(OperatorRolesForTests.Administrator);
        await Nav(page, "Operators").ClickAsync();
        var newName = "cs-" + Guid.NewGuid().ToString("N")[..8];
        await page.GetByLabel("Name (lowercase").FillAsync(newName);
        await page.GetByLabel("Role").SelectOptionAsync(OperatorRolesForTests.CustomerSuccess);
        await page.GetByRole(AriaRole.Button, new() { Name = "Create operator" }).ClickAsync();
        var password = (await page.Locator("#created-password").TextContentAsync())!.Trim();
        await Assertions.Expect(page.GetByRole(AriaRole.Cell, new() { Name = newName, Exact = true })).ToBeVisibleAsync();
        await Accessibility.AssertNoSeriousViolationsAsync(page);

        var other = await fixture.NewPageAsync();
        await ConsoleFixture.SignInAsync(other, newName, password);
        await Assertions.Expect(other.GetByText($"{newName} (Customer success)")).ToBeVisibleAsync();
    }

    [Fact]
    public async Task DeviceImport_FromACsvFile_ShowsTheReportOfEveryLine()
    {
        var partner = await fixture.CreatePartnerAsync("Import partner");
        var (page, name) = await SignedInAsync(OperatorRolesForTests.CustomerSuccess);
        await Nav(page, "Devices").ClickAsync();
        string[] macs = [DeviceFeatures.Testing.DeviceFeaturesTestServer.RandomMac(), DeviceFeatures.Testing.DeviceFeaturesTestServer.RandomMac()];
        var csv = $"mac_address,model,market,firmware,client_id\n{macs[0]},17,EU,2.1.0,{partner.ClientId}\n# a comment\n{macs[1]},body-pro-2,us,,\n"
            + "00:24:e4:zz:00:01,17,EU,,\nnot,enough\n";
        await page.GetByLabel("File:").SetInputFilesAsync(new FilePayload { Name = "devices.csv", MimeType = "text/csv", Buffer = System.Text.Encoding.UTF8.GetBytes(csv) });
        await page.GetByRole(AriaRole.Button, new() { Name = "Import" }).ClickAsync();

        await Assertions.Expect(page.Locator("#import-summary")).ToHaveTextAsync("2 imported, 0 updated, 0 skipped, 1 refused, 1 lines not read.");
        var report = page.GetByRole(AriaRole.Region, new() { Name = "Import report table" });
        await Assertions.Expect(report.Locator("tbody tr")).ToHaveCountAsync(4);
        await Assertions.Expect(report.GetByRole(AriaRole.Row).Filter(new() { HasText = macs[0] })).ToContainTextAsync("imported");
        await Assertions.Expect(report.GetByRole(AriaRole.Row).Filter(new() { HasText = "not read" })).ToContainTextAsync("expected 5 fields");
        await Accessibility.AssertNoSeriousViolationsAsync(page);
        await Screenshots.TakeAsync(page, "devices");

        var device = (await fixture.Admin.GetFromJsonAsync($"/admin/api/devices/{macs[0]}", AdminJsonContext.Default.InventoryDevice, Ct))!;
        Assert.Equal(partner.ClientId, device.ClientId);
        var audit = (await fixture.Admin.GetFromJsonAsync($"/admin/api/audit?client_id={partner.ClientId}", AdminJsonContext.Default.AuditPage, Ct))!;
        Assert.Contains(audit.Events, e => e.Kind == "device.imported" && e.Actor == "operator:" + name);
    }

    [Theory]
    [InlineData("/console/devices")]
    [InlineData("/console")]
    [InlineData("/console/partners")]
    [InlineData("/console/users")]
    [InlineData("/console/audit")]
    [InlineData("/console/catalog")]
    [InlineData("/console/journal")]
    [InlineData("/console/faults")]
    public async Task AtPhoneWidth_EveryScreenFits_AndPassesAxe(string path)
    {
        var (page, _) = await SignedInAsync(OperatorRolesForTests.Administrator, width: 390);
        await page.GotoAsync(path);
        await Accessibility.AssertFitsWidthAsync(page);
        await Accessibility.AssertNoSeriousViolationsAsync(page);
        if (path == "/console")
        {
            await Screenshots.TakeAsync(page, "overview-390");
        }
    }

    private static ILocator Nav(IPage page, string name) =>
        page.GetByRole(AriaRole.Navigation, new() { Name = "Console" }).GetByRole(AriaRole.Link, new() { Name = name, Exact = true });

    private static async Task<string> DownloadAsync(IPage page, string link)
    {
        var download = await page.RunAndWaitForDownloadAsync(() => page.GetByRole(AriaRole.Link, new() { Name = link, Exact = true }).ClickAsync());
        var path = await download.PathAsync();
        return await File.ReadAllTextAsync(path, Ct);
    }
}
