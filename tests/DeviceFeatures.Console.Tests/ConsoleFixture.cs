using System.Net.Http.Headers;
using System.Net.Http.Json;
using DeviceFeatures.Protocol.Admin;
using DeviceFeatures.Testing;
using Microsoft.Playwright;

namespace DeviceFeatures.Console.Tests;

/// <summary>
/// One real server (SQLite, Kestrel on 127.0.0.1) and one Chromium for every browser test: each test opens its own
/// browser context (cookies of its own) and creates the operators and partners it needs, with names of its own.
/// </summary>
public sealed class ConsoleFixture : IAsyncLifetime
{
    public const string Chromium = "/usr/bin/chromium";

    private IPlaywright? _playwright;
    private IBrowser? _browser;
    private DeviceFeaturesTestServer? _server;
    private HttpClient? _admin;

    public DeviceFeaturesTestServer Server => _server!;

    public IBrowser Browser => _browser!;

    public HttpClient Admin => _admin!;

    public string BaseUrl => Server.BaseAddress.ToString().TrimEnd('/');

    public async ValueTask InitializeAsync()
    {
        // CI treats a skipped test as a failure; a missing browser is said loudly instead.
        if (!File.Exists(Chromium))
        {
            throw new InvalidOperationException($"The browser tests drive Debian's Chromium at {Chromium}: install it with 'apt-get install -y chromium'.");
        }

        _server = await DeviceFeaturesTestServer.StartAsync(new DeviceFeaturesTestServerOptions { CreateDefaultPartner = true });
        _admin = new HttpClient { BaseAddress = _server.BaseAddress };
        _admin.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", _server.AdminKey);
        // The first page compiles and warms the pages up: done here, outside any test's timeout.
        (await _admin.GetAsync("/console/sign-in")).EnsureSuccessStatusCode();
        _playwright = await Playwright.CreateAsync();
        _browser = await _playwright.Chromium.LaunchAsync(new()
        {
            ExecutablePath = Chromium,
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
        });
    }

    public async ValueTask DisposeAsync()
    {
        if (_browser is not null)
        {
            await _browser.DisposeAsync();
        }

        _playwright?.Dispose();
        _admin?.Dispose();
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
    }

    /// <summary>A fresh context (no cookies) at the given width; CSP is bypassed only so that axe can be injected.</summary>
    public async Task<IPage> NewPageAsync(int width = 1280, int height = 900)
    {
        var context = await Browser.NewContextAsync(new()
        {
            BaseURL = BaseUrl,
            ViewportSize = new() { Width = width, Height = height },
            BypassCSP = true,
            AcceptDownloads = true,
        });
        // A shared machine can be slow; a real failure still fails, only later.
        context.SetDefaultTimeout(60_000);
        return await context.NewPageAsync();
    }

    /// <summary>Creates an operator through the admin API, with a generated password.</summary>
    public async Task<(string Name, string Password)> CreateOperatorAsync(string role, string? prefix = null)
    {
        var name = $"{prefix ?? role.Replace('_', '-')}-{Guid.NewGuid():N}"[..24];
        using var response = await Admin.PostAsJsonAsync("/admin/api/operators", new CreateOperatorRequest(name, role), AdminJsonContext.Default.CreateOperatorRequest);
        response.EnsureSuccessStatusCode();
        var created = (await response.Content.ReadFromJsonAsync(AdminJsonContext.Default.CreatedOperator))!;
        return (created.Name, created.Password!);
    }

    public async Task<CreatedPartner> CreatePartnerAsync(string name)
    {
        using var response = await Admin.PostAsJsonAsync("/admin/api/partners", new CreatePartnerRequest(name), AdminJsonContext.Default.CreatePartnerRequest);
        response.EnsureSuccessStatusCode();
        return (await response.Content.ReadFromJsonAsync(AdminJsonContext.Default.CreatedPartner))!;
    }

    public async Task<Partner> GetPartnerAsync(string clientId) =>
        (await Admin.GetFromJsonAsync($"/admin/api/partners/{clientId}", AdminJsonContext.Default.Partner))!;

    /// <summary>Signs in through the form, as a person does, and waits for the overview.</summary>
    public static async Task SignInAsync(IPage page, string name, string password)
    {
        await page.GotoAsync("/console/sign-in");
        await page.GetByLabel("Name").FillAsync(name);
        await page.GetByLabel("Password").FillAsync(password);
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        try
        {
            // Commit, not the load event: the URL is the overview's as soon as the answer arrives, and a load event
            // asked of a document that has already loaded can be missed (seen in CI as a 60 s timeout on /console).
            await page.WaitForURLAsync("**/console", new() { WaitUntil = WaitUntilState.Commit });
            await page.GetByRole(AriaRole.Heading, new() { Name = "Overview", Level = 1 }).WaitForAsync();
        }
        catch (TimeoutException e)
        {
            throw new InvalidOperationException($"Signing in as {name} did not open the overview; the page at {page.Url} says:\n{await page.Locator("main").InnerTextAsync()}", e);
        }
    }
}

[CollectionDefinition(Name)]
public sealed class ConsoleBrowser : ICollectionFixture<ConsoleFixture>
{
    public const string Name = "console";
}
