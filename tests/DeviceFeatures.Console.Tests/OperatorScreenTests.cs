using System.Net.Http.Json;
using DeviceFeatures.Protocol.Admin;
using Microsoft.Playwright;

namespace DeviceFeatures.Console.Tests;

/// <summary>An administrator manages another operator in the console; the operator's own session feels it at once.</summary>
[Collection(ConsoleBrowser.Name)]
public sealed class OperatorScreenTests(ConsoleFixture fixture)
{
    private async Task<IPage> SignedInAsync(string name, string password, int width = 1280)
    {
        var page = await fixture.NewPageAsync(width);
        await ConsoleFixture.SignInAsync(page, name, password);
        return page;
    }

    private async Task<OperatorAccount> AccountAsync(string name) =>
        (await fixture.Admin.GetFromJsonAsync($"/admin/api/operators/{name}", AdminJsonContext.Default.OperatorAccount, TestContext.Current.CancellationToken))!;

    [Fact]
    public async Task AnAdministrator_ChangesTheRole_DisablesEnables_AndResetsThePassword()
    {
        var (adminName, adminPassword) = await fixture.CreateOperatorAsync(OperatorRolesForTests.Administrator);
        var (name, _) = await fixture.CreateOperatorAsync(OperatorRolesForTests.Support, "ops-target");
        var page = await SignedInAsync(adminName, adminPassword);

        await page.GetByRole(AriaRole.Navigation, new() { Name = "Console" }).GetByRole(AriaRole.Link, new() { Name = "Operators", Exact = true }).ClickAsync();
        await page.GetByRole(AriaRole.Link, new() { Name = name, Exact = true }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = $"Operator {name}" })).ToBeVisibleAsync();

        await page.GetByLabel("New role").SelectOptionAsync(OperatorRolesForTests.CustomerSuccess);
        await page.GetByRole(AriaRole.Button, new() { Name = "Save role" }).ClickAsync();
        await Assertions.Expect(page.Locator("#operator-role")).ToHaveTextAsync("Customer success");

        await page.GetByRole(AriaRole.Button, new() { Name = "Disable operator" }).ClickAsync();
        await Assertions.Expect(page.Locator("#operator-state")).ToContainTextAsync("disabled since");
        Assert.True((await AccountAsync(name)).Disabled);
        await page.GetByRole(AriaRole.Button, new() { Name = "Enable operator" }).ClickAsync();
        await Assertions.Expect(page.Locator("#operator-state")).ToHaveTextAsync("active");

        await page.GetByRole(AriaRole.Button, new() { Name = "Reset password" }).ClickAsync();
        var password = (await page.Locator("#new-password").TextContentAsync())!.Trim();
        await Accessibility.AssertNoSeriousViolationsAsync(page);
        await Screenshots.TakeAsync(page, "operator");

        var theirs = await SignedInAsync(name, password);
        await Assertions.Expect(theirs.GetByText($"{name} (Customer success)")).ToBeVisibleAsync();

        var audit = (await fixture.Admin.GetFromJsonAsync($"/admin/api/audit?limit=1000", AdminJsonContext.Default.AuditPage, TestContext.Current.CancellationToken))!.Events
            .Where(e => e.Actor == "operator:" + adminName).Select(e => e.Kind);
        Assert.Equal(["operator.role_changed", "operator.disabled", "operator.enabled", "operator.password_reset"], audit);
    }

    [Fact]
    public async Task ADisabledOperator_IsSignedOutAtTheirNextClick()
    {
        var (adminName, adminPassword) = await fixture.CreateOperatorAsync(OperatorRolesForTests.Administrator);
        var (name, password) = await fixture.CreateOperatorAsync(OperatorRolesForTests.CustomerSuccess, "ops-leaver");
        var theirs = await SignedInAsync(name, password);
        await theirs.GotoAsync("/console/partners");
        await Assertions.Expect(theirs.GetByRole(AriaRole.Heading, new() { Name = "Partners" })).ToBeVisibleAsync();

        var page = await SignedInAsync(adminName, adminPassword);
        await page.GotoAsync($"/console/operators/{name}");
        await page.GetByRole(AriaRole.Button, new() { Name = "Disable operator" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Status)).ToContainTextAsync("sessions have ended");

        await theirs.GetByRole(AriaRole.Navigation, new() { Name = "Console" }).GetByRole(AriaRole.Link, new() { Name = "Audit", Exact = true }).ClickAsync();
        await theirs.WaitForURLAsync("**/console/sign-in**");
        await Assertions.Expect(theirs.GetByRole(AriaRole.Button, new() { Name = "Sign in" })).ToBeVisibleAsync();
    }

    [Fact]
    public async Task ASession_DoesNotComeBack_WhenItsOperatorIsDisabledThenEnabled()
    {
        var (adminName, adminPassword) = await fixture.CreateOperatorAsync(OperatorRolesForTests.Administrator);
        var (name, password) = await fixture.CreateOperatorAsync(OperatorRolesForTests.CustomerSuccess, "ops-returner");
        var theirs = await SignedInAsync(name, password);
        await theirs.GotoAsync("/console/partners");
        await Assertions.Expect(theirs.GetByRole(AriaRole.Heading, new() { Name = "Partners" })).ToBeVisibleAsync();

        var page = await SignedInAsync(adminName, adminPassword);
        await page.GotoAsync($"/console/operators/{name}");
        await page.GetByRole(AriaRole.Button, new() { Name = "Disable operator" }).ClickAsync();
        await Assertions.Expect(page.Locator("#operator-state")).ToContainTextAsync("disabled since");
        await page.GetByRole(AriaRole.Button, new() { Name = "Enable operator" }).ClickAsync();
        await Assertions.Expect(page.Locator("#operator-state")).ToHaveTextAsync("active");

        await theirs.GetByRole(AriaRole.Navigation, new() { Name = "Console" }).GetByRole(AriaRole.Link, new() { Name = "Audit", Exact = true }).ClickAsync();
        await theirs.WaitForURLAsync("**/console/sign-in**");
        await Assertions.Expect(theirs.GetByRole(AriaRole.Button, new() { Name = "Sign in" })).ToBeVisibleAsync();
    }

    [Fact]
    public async Task ASupportAgent_IsRefusedTheOperatorForms_EvenWithACraftedPost()
    {
        var (name, _) = await fixture.CreateOperatorAsync(OperatorRolesForTests.Support, "ops-kept");
        var (agent, password) = await fixture.CreateOperatorAsync(OperatorRolesForTests.Support);
        var page = await SignedInAsync(agent, password);
        var token = await page.Locator("input[name=__RequestVerificationToken]").First.GetAttributeAsync("value");
        foreach (var (handler, field, value) in new[] { ("Role", "Role", "administrator"), ("Disabled", "Disabled", "true"), ("Reset", "x", "y"), ("Delete", "x", "y") })
        {
            var response = await page.APIRequest.PostAsync($"/console/operators/{name}?handler={handler}", new()
            {
                Form = page.APIRequest.CreateFormData().Set(field, value).Set("__RequestVerificationToken", token!),
                MaxRedirects = 0,
            });
            Assert.Equal(403, response.Status);
        }

        var account = await AccountAsync(name);
        Assert.Equal((OperatorRolesForTests.Support, false), (account.Role, account.Disabled));
        Assert.Equal(403, (await page.GotoAsync($"/console/operators/{name}"))!.Status);
    }

    [Fact]
    public async Task AtPhoneWidth_TheOperatorPagesFit_AndPassAxe()
    {
        var (adminName, adminPassword) = await fixture.CreateOperatorAsync(OperatorRolesForTests.Administrator);
        var page = await SignedInAsync(adminName, adminPassword, width: 390);
        foreach (var path in new[] { "/console/operators", $"/console/operators/{adminName}" })
        {
            await page.GotoAsync(path);
            await Accessibility.AssertFitsWidthAsync(page);
            await Accessibility.AssertNoSeriousViolationsAsync(page);
        }
    }
}
