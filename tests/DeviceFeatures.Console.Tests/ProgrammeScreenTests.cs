using System.Net.Http.Json;
using DeviceFeatures.Protocol.Admin;
using Microsoft.Playwright;

namespace DeviceFeatures.Console.Tests;

/// <summary>A partner's programme choices by model and feature: set, cleared, refused on the page, read-only for support.</summary>
[Collection(ConsoleBrowser.Name)]
public sealed class ProgrammeScreenTests(ConsoleFixture fixture)
{
    private async Task<IPage> SignedInAsync(string role, int width = 1280)
    {
        var (name, password) = await fixture.CreateOperatorAsync(role);
        var page = await fixture.NewPageAsync(width);
        await ConsoleFixture.SignInAsync(page, name, password);
        return page;
    }

    [Fact]
    public async Task CustomerSuccess_SetsAndClearsAChoice_AndSeesARefusalOnThePage()
    {
        var partner = await fixture.CreatePartnerAsync("Programme partner");
        var page = await SignedInAsync(OperatorRolesForTests.CustomerSuccess);
        await page.GotoAsync($"/console/partners/{partner.ClientId}");
        await page.GetByRole(AriaRole.Link, new() { Name = "Programme choices per model and feature" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Programme choices of Programme partner" })).ToBeVisibleAsync();

        await page.GetByLabel("Choice for feature_pwv on Body Pro 2").SelectOptionAsync("on");
        await page.GetByRole(AriaRole.Button, new() { Name = "Save feature_pwv on Body Pro 2" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Status)).ToContainTextAsync("feature_pwv is on for every Body Pro 2");
        await Assertions.Expect(page.Locator("#choice-17-feature_pwv")).ToHaveTextAsync("on");

        // A gated feature without a grant: refused, in the service's words.
        await page.GetByLabel("Choice for feature_esc on Body Pro 2").SelectOptionAsync("on");
        await page.GetByRole(AriaRole.Button, new() { Name = "Save feature_esc on Body Pro 2" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Alert)).ToContainTextAsync("has no grant");
        await Assertions.Expect(page.Locator("#choice-17-feature_esc")).ToHaveTextAsync("none");
        await Accessibility.AssertNoSeriousViolationsAsync(page);
        await Screenshots.TakeAsync(page, "programme");

        await page.GetByLabel("Choice for feature_pwv on Body Pro 2").SelectOptionAsync("default");
        await page.GetByRole(AriaRole.Button, new() { Name = "Save feature_pwv on Body Pro 2" }).ClickAsync();
        await Assertions.Expect(page.Locator("#choice-17-feature_pwv")).ToHaveTextAsync("none");

        var list = (await fixture.Admin.GetFromJsonAsync($"/admin/api/partners/{partner.ClientId}/programme-choices", AdminJsonContext.Default.ProgrammeChoiceList, TestContext.Current.CancellationToken))!;
        Assert.Empty(list.Choices);
    }

    [Fact]
    public async Task ASupportAgent_ReadsTheChoices_ButACraftedPostIsRefused()
    {
        var partner = await fixture.CreatePartnerAsync("Programme read-only");
        var page = await SignedInAsync(OperatorRolesForTests.Support);
        await page.GotoAsync($"/console/partners/{partner.ClientId}/programme");
        await Assertions.Expect(page.GetByRole(AriaRole.Button, new() { Name = "Save feature_pwv on Body Pro 2" })).ToHaveCountAsync(0);
        await Assertions.Expect(page.GetByText("Changing programme choices is for customer success and administrators.")).ToBeVisibleAsync();

        var token = await page.Locator("input[name=__RequestVerificationToken]").First.GetAttributeAsync("value");
        var response = await page.APIRequest.PostAsync($"/console/partners/{partner.ClientId}/programme?handler=Set", new()
        {
            Form = page.APIRequest.CreateFormData().Set("Model", "17").Set("Feature", "feature_pwv").Set("Value", "on").Set("__RequestVerificationToken", token!),
            MaxRedirects = 0,
        });
        Assert.Equal(403, response.Status);
        var list = (await fixture.Admin.GetFromJsonAsync($"/admin/api/partners/{partner.ClientId}/programme-choices", AdminJsonContext.Default.ProgrammeChoiceList, TestContext.Current.CancellationToken))!;
        Assert.Empty(list.Choices);
    }

    [Fact]
    public async Task AtPhoneWidth_TheProgrammePageFits_AndPassesAxe()
    {
        var partner = await fixture.CreatePartnerAsync("Programme phone");
        var page = await SignedInAsync(OperatorRolesForTests.Administrator, width: 390);
        await page.GotoAsync($"/console/partners/{partner.ClientId}/programme");
        await Accessibility.AssertFitsWidthAsync(page);
        await Accessibility.AssertNoSeriousViolationsAsync(page);
    }
}
