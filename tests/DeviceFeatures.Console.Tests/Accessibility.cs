using System.Text.Json;
using Microsoft.Playwright;

namespace DeviceFeatures.Console.Tests;

/// <summary>axe-core, injected into the page as it is: no serious or critical violation is allowed.</summary>
public static class Accessibility
{
    private static readonly Lazy<string> Axe = new(() => File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Axe", "axe.min.js")));

    public static async Task AssertNoSeriousViolationsAsync(IPage page)
    {
        await page.EvaluateAsync(Axe.Value);
        var violations = await page.EvaluateAsync<JsonElement>("""
            async () => {
                const result = await axe.run(document, { resultTypes: ['violations'] });
                return result.violations
                    .filter(v => v.impact === 'serious' || v.impact === 'critical')
                    .map(v => `${v.impact} ${v.id}: ${v.help} (${v.nodes.map(n => n.target.join(' ')).join(', ')})`);
            }
            """);
        var found = violations.EnumerateArray().Select(v => v.GetString()).ToArray();
        Assert.True(found.Length == 0, $"axe found on {page.Url}:\n" + string.Join("\n", found));
    }

    /// <summary>Nothing wider than the window: the page is usable without sideways scrolling (tables scroll in their own box).</summary>
    public static async Task AssertFitsWidthAsync(IPage page)
    {
        var (scroll, width) = (await page.EvaluateAsync<int>("document.documentElement.scrollWidth"), await page.EvaluateAsync<int>("window.innerWidth"));
        Assert.True(scroll <= width, $"{page.Url} is {scroll} px wide in a {width} px window.");
    }
}

/// <summary>Screenshots for the docs, taken only when DEVICEFEATURES_SCREENSHOTS=1 (so that a test run leaves the tree clean).</summary>
public static class Screenshots
{
    public static async Task TakeAsync(IPage page, string name)
    {
        if (Environment.GetEnvironmentVariable("DEVICEFEATURES_SCREENSHOTS") != "1")
        {
            return;
        }

        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "DeviceFeatures.slnx")))
        {
            directory = directory.Parent;
        }

        var folder = Path.Combine(directory!.FullName, "docs", "console");
        Directory.CreateDirectory(folder);
        await page.ScreenshotAsync(new() { Path = Path.Combine(folder, name + ".png"), FullPage = true });
    }
}
