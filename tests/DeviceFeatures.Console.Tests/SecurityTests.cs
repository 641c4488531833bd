using System.Net;
using DeviceFeatures.Protocol.Admin;
using Microsoft.Playwright;

namespace DeviceFeatures.Console.Tests;

/// <summary>Sessions, antiforgery, roles and lockout, as a browser (or someone crafting requests) meets them.</summary>
[Collection(ConsoleBrowser.Name)]
public sealed class SecurityTests(ConsoleFixture fixture)
{
    [Theory]
    [InlineData("/console")]
    [InlineData("/console/partners")]
    [InlineData("/console/partners/some-client")]
    [InlineData("/console/users?by=userid&q=1")]
    [InlineData("/console/audit")]
    [InlineData("/console/audit?handler=Export&format=csv")]
    [InlineData("/console/catalog")]
    [InlineData("/console/operators")]
    [InlineData("/console/journal")]
    [InlineData("/console/faults")]
    public async Task EveryPage_WithoutASession_RedirectsToSignIn(string path)
    {
        using var client = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = fixture.Server.BaseAddress };
        using var response = await client.GetAsync(path, TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.StartsWith("/console/sign-in", response.Headers.Location!.PathAndQuery, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AForm_WithoutASession_ChangesNothing()
    {
        using var client = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = fixture.Server.BaseAddress };
        var name = "No session " + Guid.NewGuid().ToString("N");
        using var response = await client.PostAsync("/console/partners?handler=Create",
            new FormUrlEncodedContent(new Dictionary<string, string> { ["NewName"] = name }), TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.DoesNotContain(await PartnerNamesAsync(), n => n == name);
    }

    [Fact]
    public async Task SignIn_ByKeyboardOnly_OpensTheOverview_AndSignOutEndsTheSession()
    {
        var (name, password) = await fixture.CreateOperatorAsync(OperatorRolesForTests.Support);
        var page = await fixture.NewPageAsync();
        await page.GotoAsync("/console");
        Assert.Contains("/console/sign-in", page.Url, StringComparison.Ordinal);
        await Accessibility.AssertNoSeriousViolationsAsync(page);
        await Screenshots.TakeAsync(page, "sign-in");

        // The name field has the focus; Tab reaches the password, Enter sends the form.
        await page.Keyboard.TypeAsync(name);
        await page.Keyboard.PressAsync("Tab");
        await page.Keyboard.TypeAsync(password);
        await page.Keyboard.PressAsync("Enter");
        await page.WaitForURLAsync("**/console");
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Overview" })).ToBeVisibleAsync();

        await page.GetByRole(AriaRole.Button, new() { Name = "Sign out" }).ClickAsync();
        await page.WaitForURLAsync("**/console/sign-in");
        await page.GotoAsync("/console/partners");
        Assert.Contains("/console/sign-in", page.Url, StringComparison.Ordinal);
    }

    [Fact]
    public async Task WrongPasswords_LockTheAccount_EvenAgainstTheRightOne()
    {
        var (name, password) = await fixture.CreateOperatorAsync(OperatorRolesForTests.Support);
        var page = await fixture.NewPageAsync();
        await page.GotoAsync("/console/sign-in");
        for (var i = 0; i < 4; i++)
        {
            await TrySignInAsync(page, name, "not the password " + i);
            await Assertions.Expect(page.GetByRole(AriaRole.Alert)).ToHaveTextAsync("Wrong name or password.");
        }

        await TrySignInAsync(page, name, "not the password either");
        await Assertions.Expect(page.GetByRole(AriaRole.Alert)).ToContainTextAsync("locked until");
        await TrySignInAsync(page, name, password);
        await Assertions.Expect(page.GetByRole(AriaRole.Alert)).ToContainTextAsync("locked until");
        Assert.Contains("/console/sign-in", page.Url, StringComparison.Ordinal);
    }

    [Fact]
    public async Task APost_WithoutTheAntiforgeryToken_IsRefused()
    {
        var (name, password) = await fixture.CreateOperatorAsync(OperatorRolesForTests.Administrator);
        var page = await fixture.NewPageAsync();
        await ConsoleFixture.SignInAsync(page, name, password);
        var partner = "No token " + Guid.NewGuid().ToString("N");

        // The session cookie goes with it (same browser context); only the form's token is missing.
        var response = await page.APIRequest.PostAsync("/console/partners?handler=Create",
            new() { Form = page.APIRequest.CreateFormData().Set("NewName", partner), MaxRedirects = 0 });
        Assert.Equal(400, response.Status);
        Assert.DoesNotContain(await PartnerNamesAsync(), n => n == partner);
    }

    [Fact]
    public async Task ASupportAgent_CannotChangeAnything_EvenWithACraftedPost()
    {
        var target = await fixture.CreatePartnerAsync("Support target");
        var (name, password) = await fixture.CreateOperatorAsync(OperatorRolesForTests.Support);
        var page = await fixture.NewPageAsync();
        await ConsoleFixture.SignInAsync(page, name, password);

        await page.GotoAsync($"/console/partners/{target.ClientId}");
        await Assertions.Expect(page.GetByRole(AriaRole.Button, new() { Name = "Suspend partner" })).ToHaveCountAsync(0);
        await Assertions.Expect(page.GetByRole(AriaRole.Link, new() { Name = "Operators" })).ToHaveCountAsync(0);

        // A valid token of the agent's own session (from the sign-out form), sent to change handlers.
        var token = await page.Locator("input[name=__RequestVerificationToken]").First.GetAttributeAsync("value");
        var suspend = await page.APIRequest.PostAsync($"/console/partners/{target.ClientId}?handler=Suspend", new()
        {
            Form = page.APIRequest.CreateFormData().Set("Suspended", "true").Set("__RequestVerificationToken", token!),
            MaxRedirects = 0,
        });
        Assert.Equal(403, suspend.Status);
        var create = await page.APIRequest.PostAsync("/console/operators?handler=Create", new()
        {
            Form = page.APIRequest.CreateFormData().Set("NewName", "sneaky").Set("NewRole", "administrator").Set("__RequestVerificationToken", token!),
            MaxRedirects = 0,
        });
        Assert.Equal(403, create.Status);

        Assert.Equal("active", (await fixture.GetPartnerAsync(target.ClientId)).Status);
        var operatorsPage = await page.GotoAsync("/console/operators");
        Assert.Equal(403, operatorsPage!.Status);
    }

    private static async Task TrySignInAsync(IPage page, string name, string password)
    {
        await page.GetByLabel("Name").FillAsync(name);
        await page.GetByLabel("Password").FillAsync(password);
        // The form posts back to the same address: wait for that navigation itself, not for a load state, which can
        // be asked of the document being replaced and then never come. (Marked obsolete in favour of WaitForURL, which
        // cannot see a navigation to the address the page is already at.)
#pragma warning disable CS0612
        await page.RunAndWaitForNavigationAsync(
            () => page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync(),
            new() { WaitUntil = WaitUntilState.DOMContentLoaded });
#pragma warning restore CS0612
    }

    private async Task<IEnumerable<string>> PartnerNamesAsync() =>
        (await System.Net.Http.Json.HttpClientJsonExtensions.GetFromJsonAsync(fixture.Admin, "/admin/api/partners", AdminJsonContext.Default.PartnerList))!
            .Partners.Select(p => p.Name);
}

/// <summary>The role names as the admin API takes them.</summary>
public static class OperatorRolesForTests
{
    public const string Administrator = "administrator";
    public const string CustomerSuccess = "customer_success";
    public const string Support = "support";
}
