using System.Text.RegularExpressions;
using Microsoft.Playwright;

namespace DeviceFeatures.Console.Tests;

/// <summary>Gated grants with four eyes, as two people in two browsers use them.</summary>
[Collection(ConsoleBrowser.Name)]
public sealed partial class GrantTests(ConsoleFixture fixture)
{
    private async Task<(IPage Page, string Name)> SignedInAsync(string role, int width = 1280)
    {
        var (name, password) = await fixture.CreateOperatorAsync(role);
        var page = await fixture.NewPageAsync(width);
        await ConsoleFixture.SignInAsync(page, name, password);
        return (page, name);
    }

    /// <summary>Requests a grant through the form, as a person does, and returns the request's number.</summary>
    private static async Task<string> RequestAsync(IPage page, string clientId, string partnerName, string feature, string reason)
    {
        await Nav(page, "Grants").ClickAsync();
        await page.GetByLabel("Partner", new() { Exact = true }).SelectOptionAsync(clientId);
        await page.GetByLabel("Gated feature").SelectOptionAsync(feature);
        await page.GetByLabel("Reason (what the approver decides on").FillAsync(reason);
        await page.GetByRole(AriaRole.Button, new() { Name = "Request grant" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Status)).ToContainTextAsync("another operator must approve it");
        var heading = await Card(page, partnerName).GetByRole(AriaRole.Heading).TextContentAsync();
        return RequestNumber().Match(heading!).Groups[1].Value;
    }

    [Fact]
    public async Task FourEyes_OneRequests_AnotherApproves_AndTheAuditShowsBoth()
    {
        var partnerName = "Four eyes " + Guid.NewGuid().ToString("N")[..8];
        var partner = await fixture.CreatePartnerAsync(partnerName);
        var (a, requester) = await SignedInAsync(OperatorRolesForTests.CustomerSuccess);
        var (b, approver) = await SignedInAsync(OperatorRolesForTests.CustomerSuccess);

        var id = await RequestAsync(a, partner.ClientId, partnerName, "feature_esc", "Signed the ESC addendum on Monday");

        // The requester sees no decision buttons, and a crafted approval with a valid token of their session is refused.
        var own = Card(a, partnerName);
        await Assertions.Expect(own.GetByRole(AriaRole.Button, new() { Name = $"Approve #{id}" })).ToHaveCountAsync(0);
        await Assertions.Expect(own.GetByRole(AriaRole.Button, new() { Name = $"Withdraw #{id}" })).ToBeVisibleAsync();
        var token = await a.Locator("input[name=__RequestVerificationToken]").First.GetAttributeAsync("value");
        var crafted = await a.APIRequest.PostAsync("/console/grants?handler=Approve", new()
        {
            Form = a.APIRequest.CreateFormData().Set("id", id).Set("version", "1").Set("__RequestVerificationToken", token!),
            MaxRedirects = 0,
        });
        Assert.Equal(403, crafted.Status);
        Assert.Contains("another operator must approve it", await crafted.TextAsync(), StringComparison.Ordinal);
        Assert.Empty(await GrantsAsync(partner.ClientId));

        // The other operator reads it and approves it.
        await Nav(b, "Grants").ClickAsync();
        var card = Card(b, partnerName);
        await Assertions.Expect(card).ToContainTextAsync("Signed the ESC addendum on Monday");
        await Assertions.Expect(card).ToContainTextAsync(requester);
        await Accessibility.AssertNoSeriousViolationsAsync(b);
        await card.GetByLabel("Note").FillAsync("Checked the addendum");
        await card.GetByRole(AriaRole.Button, new() { Name = $"Approve #{id}" }).ClickAsync();
        await Assertions.Expect(b.GetByRole(AriaRole.Status)).ToContainTextAsync($"Request #{id} is approved");
        await Assertions.Expect(Card(b, partnerName)).ToHaveCountAsync(0);
        await Assertions.Expect(b.GetByRole(AriaRole.Region, new() { Name = "Grant requests history table" }).GetByRole(AriaRole.Row).Filter(new() { HasText = partnerName }))
            .ToContainTextAsync("approved");
        Assert.Equal(["feature_esc"], await GrantsAsync(partner.ClientId));

        // The screen with all it shows: a pending request, the grant held, the decision in the history.
        var next = await RequestAsync(a, partner.ClientId, partnerName, "feature_sleep_rx", "Sleep study starting in January");
        await b.ReloadAsync();
        await Assertions.Expect(Card(b, partnerName).GetByRole(AriaRole.Button, new() { Name = $"Approve #{next}" })).ToBeVisibleAsync();
        await Assertions.Expect(b.GetByRole(AriaRole.Region, new() { Name = "Grants held table" })).ToContainTextAsync(partnerName);
        await Accessibility.AssertNoSeriousViolationsAsync(b);
        await Screenshots.TakeAsync(b, "grants");

        // The grant is on the partner's page, and the audit timeline names both operators.
        await b.GotoAsync($"/console/partners/{partner.ClientId}");
        await Assertions.Expect(b.GetByRole(AriaRole.Listitem).Filter(new() { HasText = "feature_esc" })).ToBeVisibleAsync();
        await b.GotoAsync($"/console/audit?client={partner.ClientId}");
        var rows = b.GetByRole(AriaRole.Region, new() { Name = "Audit events table" }).Locator("tbody tr");
        await Assertions.Expect(rows.Filter(new() { HasText = "grant_request.created" }).First).ToContainTextAsync("operator:" + requester);
        await Assertions.Expect(rows.Filter(new() { HasText = "grant_request.approved" })).ToContainTextAsync("operator:" + approver);
        await Assertions.Expect(rows.Filter(new() { HasText = "entitlement.granted" })).ToContainTextAsync("operator:" + approver);
    }

    [Fact]
    public async Task ARejection_ByKeyboard_WithANote_GrantsNothing()
    {
        var partnerName = "Rejected " + Guid.NewGuid().ToString("N")[..8];
        var partner = await fixture.CreatePartnerAsync(partnerName);
        var (a, _) = await SignedInAsync(OperatorRolesForTests.CustomerSuccess);
        var (b, decider) = await SignedInAsync(OperatorRolesForTests.Administrator);
        var id = await RequestAsync(a, partner.ClientId, partnerName, "feature_sleep_rx", "Trial of sleep apnoea screening");

        await Nav(b, "Grants").ClickAsync();
        var card = Card(b, partnerName);

        // Without a note the refusal is on the page; then the note, Tab past Approve to Reject, and Enter.
        await card.GetByRole(AriaRole.Button, new() { Name = $"Reject #{id}" }).ClickAsync();
        await Assertions.Expect(b.GetByRole(AriaRole.Alert)).ToContainTextAsync("note is required");
        card = Card(b, partnerName);
        await card.GetByLabel("Note").FocusAsync();
        await b.Keyboard.TypeAsync("No signed contract yet");
        await b.Keyboard.PressAsync("Tab");
        await Assertions.Expect(card.GetByRole(AriaRole.Button, new() { Name = $"Approve #{id}" })).ToBeFocusedAsync();
        await b.Keyboard.PressAsync("Tab");
        await Assertions.Expect(card.GetByRole(AriaRole.Button, new() { Name = $"Reject #{id}" })).ToBeFocusedAsync();
        await b.Keyboard.PressAsync("Enter");
        await Assertions.Expect(b.GetByRole(AriaRole.Status)).ToContainTextAsync($"Request #{id} is rejected");

        var row = b.GetByRole(AriaRole.Region, new() { Name = "Grant requests history table" }).GetByRole(AriaRole.Row).Filter(new() { HasText = partnerName });
        await Assertions.Expect(row).ToContainTextAsync("rejected");
        await Assertions.Expect(row).ToContainTextAsync("No signed contract yet");
        await Assertions.Expect(row).ToContainTextAsync(decider);
        Assert.Empty(await GrantsAsync(partner.ClientId));
    }

    [Fact]
    public async Task TheGrantsScreen_AtPhoneWidth_Fits_AndPassesAxe()
    {
        var partnerName = "Phone " + Guid.NewGuid().ToString("N")[..8];
        var partner = await fixture.CreatePartnerAsync(partnerName);
        var (a, _) = await SignedInAsync(OperatorRolesForTests.CustomerSuccess, width: 390);
        await RequestAsync(a, partner.ClientId, partnerName, "feature_esc", "A request with a rather long reason, to see that it wraps on a phone");
        await Accessibility.AssertFitsWidthAsync(a);
        await Accessibility.AssertNoSeriousViolationsAsync(a);

        var (b, _) = await SignedInAsync(OperatorRolesForTests.Administrator, width: 390);
        await b.GotoAsync("/console/grants");
        await Assertions.Expect(Card(b, partnerName).GetByRole(AriaRole.Button, new() { Name = "Approve" })).ToBeVisibleAsync();
        await Accessibility.AssertFitsWidthAsync(b);
        await Accessibility.AssertNoSeriousViolationsAsync(b);
    }

    [Fact]
    public async Task ASupportAgent_ReadsTheGrants_WithoutAnyForm()
    {
        // A pending request and a grant held first: the screen has everything it would offer forms for.
        var partnerName = "Support reads " + Guid.NewGuid().ToString("N")[..8];
        var partner = await fixture.CreatePartnerAsync(partnerName);
        var (a, _) = await SignedInAsync(OperatorRolesForTests.CustomerSuccess);
        var id = await RequestAsync(a, partner.ClientId, partnerName, "feature_esc", "Pilot clinic");
        (await fixture.Admin.PutAsync($"/admin/api/partners/{partner.ClientId}/entitlements/feature_sleep_rx", null, TestContext.Current.CancellationToken))
            .EnsureSuccessStatusCode();

        var (page, _) = await SignedInAsync(OperatorRolesForTests.Support);
        await Nav(page, "Grants").ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Grants of gated features" })).ToBeVisibleAsync();
        await Assertions.Expect(Card(page, partnerName).GetByRole(AriaRole.Heading)).ToContainTextAsync($"Request #{id}");
        await Assertions.Expect(page.GetByRole(AriaRole.Region, new() { Name = "Grants held table" }).GetByRole(AriaRole.Row).Filter(new() { HasText = partnerName }))
            .ToContainTextAsync("feature_sleep_rx");
        await Assertions.Expect(page.GetByRole(AriaRole.Button, new() { Name = "Request grant" })).ToHaveCountAsync(0);
        await Assertions.Expect(page.Locator("main form")).ToHaveCountAsync(0);
        await Accessibility.AssertNoSeriousViolationsAsync(page);
    }

    [Fact]
    public async Task AReasonOnTwoLines_TypedWithEnter_IsRequested_AndShownOnTwoLines()
    {
        var partnerName = "Two lines " + Guid.NewGuid().ToString("N")[..8];
        var partner = await fixture.CreatePartnerAsync(partnerName);
        var (a, _) = await SignedInAsync(OperatorRolesForTests.CustomerSuccess);
        await Nav(a, "Grants").ClickAsync();
        await a.GetByLabel("Partner", new() { Exact = true }).SelectOptionAsync(partner.ClientId);
        await a.GetByLabel("Gated feature").SelectOptionAsync("feature_esc");
        await a.GetByLabel("Reason (what the approver decides on").FocusAsync();
        await a.Keyboard.TypeAsync("Pilot clinic in Lyon");
        await a.Keyboard.PressAsync("Enter");
        await a.Keyboard.TypeAsync("Contract signed on Monday");
        await a.GetByRole(AriaRole.Button, new() { Name = "Request grant" }).ClickAsync();

        await Assertions.Expect(a.GetByRole(AriaRole.Status)).ToContainTextAsync("another operator must approve it");
        var reason = Card(a, partnerName).Locator("dd.reason");
        Assert.Equal("Pilot clinic in Lyon\nContract signed on Monday", (await reason.InnerTextAsync()).Trim());
    }

    [Fact]
    public async Task MarkupInAReason_IsShownAsText()
    {
        var partnerName = "Markup " + Guid.NewGuid().ToString("N")[..8];
        var partner = await fixture.CreatePartnerAsync(partnerName);
        var (a, _) = await SignedInAsync(OperatorRolesForTests.CustomerSuccess);
        await RequestAsync(a, partner.ClientId, partnerName, "feature_esc", "<script>alert(1)</script><b>bold</b>");

        var (b, _) = await SignedInAsync(OperatorRolesForTests.Administrator);
        var dialogs = 0;
        b.Dialog += (_, dialog) => { dialogs++; _ = dialog.DismissAsync(); };
        await Nav(b, "Grants").ClickAsync();
        var card = Card(b, partnerName);
        await Assertions.Expect(card.Locator("dd.reason")).ToHaveTextAsync("<script>alert(1)</script><b>bold</b>");
        await Assertions.Expect(card.Locator("script, b")).ToHaveCountAsync(0);
        Assert.Equal(0, dialogs);
    }

    [Fact]
    public async Task WithoutASession_TheGrantsScreenRedirects_AndItsFormsChangeNothing()
    {
        var partner = await fixture.CreatePartnerAsync("No session grants");
        using var client = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = fixture.Server.BaseAddress };
        using var page = await client.GetAsync("/console/grants", TestContext.Current.CancellationToken);
        Assert.Equal(System.Net.HttpStatusCode.Redirect, page.StatusCode);
        Assert.StartsWith("/console/sign-in", page.Headers.Location!.PathAndQuery, StringComparison.Ordinal);

        using var post = await client.PostAsync("/console/grants?handler=Request", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["clientId"] = partner.ClientId, ["featureName"] = "feature_esc", ["reason"] = "no session",
        }), TestContext.Current.CancellationToken);
        Assert.Equal(System.Net.HttpStatusCode.Redirect, post.StatusCode);
        var audit = (await System.Net.Http.Json.HttpClientJsonExtensions.GetFromJsonAsync(fixture.Admin, $"/admin/api/audit?client_id={partner.ClientId}",
            DeviceFeatures.Protocol.Admin.AdminJsonContext.Default.AuditPage, TestContext.Current.CancellationToken))!;
        Assert.DoesNotContain(audit.Events, e => e.Kind.StartsWith("grant_request.", StringComparison.Ordinal));
    }

    private async Task<IReadOnlyList<string>> GrantsAsync(string clientId) =>
        (await System.Net.Http.Json.HttpClientJsonExtensions.GetFromJsonAsync(fixture.Admin, $"/admin/api/partners/{clientId}/entitlements",
            DeviceFeatures.Protocol.Admin.AdminJsonContext.Default.EntitlementList, TestContext.Current.CancellationToken))!
            .Entitlements.Select(e => e.FeatureName).ToArray();

    private static ILocator Card(IPage page, string partnerName) => page.Locator("section.card").Filter(new() { HasText = partnerName });

    private static ILocator Nav(IPage page, string name) =>
        page.GetByRole(AriaRole.Navigation, new() { Name = "Console" }).GetByRole(AriaRole.Link, new() { Name = name, Exact = true });

    [GeneratedRegex(@"Request #(\d+)")]
    private static partial Regex RequestNumber();
}
