using System.Net.Http.Json;
using DeviceFeatures.Protocol.Admin;
using Microsoft.Playwright;

namespace DeviceFeatures.Console.Tests;

/// <summary>The device inventory's list: filters, pages, each device's sync, at both widths.</summary>
[Collection(ConsoleBrowser.Name)]
public sealed class InventoryScreenTests(ConsoleFixture fixture)
{
    [Fact]
    public async Task TheList_FiltersByPartnerAssignmentAndMacPrefix_AndPages()
    {
        var partner = await fixture.CreatePartnerAsync("Inventory partner");
        var prefix = string.Join(':', Guid.NewGuid().ToByteArray().Take(3).Select(b => b.ToString("x2", System.Globalization.CultureInfo.InvariantCulture)));
        var rows = Enumerable.Range(1, 53).Select(i => new DeviceImportRow($"{prefix}:00:00:{i:x2}", 17, "EU", null, i <= 51 ? partner.ClientId : null)).ToArray();
        using (var response = await fixture.Admin.PostAsJsonAsync("/admin/api/devices/import", new ImportDevicesRequest(rows), AdminJsonContext.Default.ImportDevicesRequest, TestContext.Current.CancellationToken))
        {
            response.EnsureSuccessStatusCode();
        }

        var (name, password) = await fixture.CreateOperatorAsync(OperatorRolesForTests.Support);
        var page = await fixture.NewPageAsync();
        await ConsoleFixture.SignInAsync(page, name, password);
        await page.GetByRole(AriaRole.Navigation, new() { Name = "Console" }).GetByRole(AriaRole.Link, new() { Name = "Devices", Exact = true }).ClickAsync();

        await page.GetByLabel("Partner", new() { Exact = true }).SelectOptionAsync(partner.ClientId);
        await page.GetByLabel("Assigned to a partner").SelectOptionAsync("true");
        await page.GetByLabel("MAC address starts with").FillAsync(prefix.ToUpperInvariant());
        await page.GetByRole(AriaRole.Button, new() { Name = "Filter" }).ClickAsync();
        var table = page.GetByRole(AriaRole.Region, new() { Name = "Devices table" });
        await Assertions.Expect(table.Locator("tbody tr")).ToHaveCountAsync(50);
        await Assertions.Expect(page.Locator("#device-count")).ToHaveTextAsync("50 devices on this page, more on the next.");
        await Assertions.Expect(table.Locator("tbody tr").First).ToContainTextAsync("Inventory partner");
        await Assertions.Expect(table.Locator("tbody tr").First).ToContainTextAsync("nothing to apply yet");
        await Accessibility.AssertNoSeriousViolationsAsync(page);
        await Screenshots.TakeAsync(page, "inventory");

        await page.GetByRole(AriaRole.Link, new() { Name = "Next page" }).ClickAsync();
        await Assertions.Expect(table.Locator("tbody tr")).ToHaveCountAsync(1);
        await Assertions.Expect(table).ToContainTextAsync($"{prefix}:00:00:33");
        await Assertions.Expect(page.GetByLabel("Partner", new() { Exact = true })).ToHaveValueAsync(partner.ClientId);

        await page.GetByLabel("Partner", new() { Exact = true }).SelectOptionAsync("");
        await page.GetByLabel("Assigned to a partner").SelectOptionAsync("false");
        await page.GetByRole(AriaRole.Button, new() { Name = "Filter" }).ClickAsync();
        await Assertions.Expect(table.Locator("tbody tr")).ToHaveCountAsync(2);
        await Assertions.Expect(table.Locator("tbody tr").First).ToContainTextAsync("unassigned");

        await page.GetByLabel("MAC address starts with").FillAsync("not a mac");
        await page.GetByRole(AriaRole.Button, new() { Name = "Filter" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Alert)).ToContainTextAsync("The start of the MAC address must be");
    }

    [Fact]
    public async Task AtPhoneWidth_TheListFits_AndPassesAxe()
    {
        var (name, password) = await fixture.CreateOperatorAsync(OperatorRolesForTests.CustomerSuccess);
        var page = await fixture.NewPageAsync(390);
        await ConsoleFixture.SignInAsync(page, name, password);
        await page.GotoAsync("/console/devices?assigned=true");
        await Accessibility.AssertFitsWidthAsync(page);
        await Accessibility.AssertNoSeriousViolationsAsync(page);
    }
}
