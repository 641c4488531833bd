using System.Globalization;
using DeviceFeatures.Protocol.Admin;
using DeviceFeatures.Server.Emulator;
using DeviceFeatures.Server.Emulator.Faults;
using Microsoft.AspNetCore.Mvc;

namespace DeviceFeatures.Server.OperatorConsole.Pages;

/// <summary>The emulator's fault rules: every operator sees them, administrators add and clear them (docs/emulator.md).</summary>
internal sealed class FaultsModel(FaultRegistry faults, EmulatorSwitch emulator) : ConsolePageModel
{
    public bool Enabled => emulator.Enabled;

    public IReadOnlyList<FaultRule> Rules { get; private set; } = [];

    [BindProperty]
    public string? NewClient { get; set; }

    [BindProperty]
    public string? NewAction { get; set; }

    [BindProperty]
    public int? NewStatus { get; set; }

    [BindProperty]
    public int? NewWaitSeconds { get; set; }

    [BindProperty]
    public int? NewCount { get; set; }

    public void OnGet() => Rules = faults.List();

    [ChangeBy(OperatorRoles.Administrator)]
    public IActionResult OnPostAdd()
    {
        if (!emulator.Enabled)
        {
            Error = EmulatorEndpoints.Disabled.Detail;
        }
        else
        {
            var (rule, error) = faults.Add(new FaultRuleRequest(
                ClientId: Blank(NewClient), Action: Blank(NewAction),
                Answer: new FaultAnswer(Status: NewStatus, WaitSeconds: NewWaitSeconds),
                Limit: NewCount is null ? null : new FaultLimit(Count: NewCount)));
            Error = error?.Detail;
            Notice = rule is null ? null : $"Fault rule {rule.Id} added.";
        }

        Rules = faults.List();
        return Page();
    }

    [ChangeBy(OperatorRoles.Administrator)]
    public IActionResult OnPostClear()
    {
        var count = faults.Clear();
        Notice = $"{count.ToString(CultureInfo.InvariantCulture)} fault rule(s) deleted.";
        return RedirectToPage();
    }

    public static string Answer(FaultRule rule) => rule.Answer switch
    {
        { Status: { } s, WaitSeconds: { } w } => $"status {s}, wait_seconds {w}",
        { Status: { } s } => $"status {s}",
        { HttpStatus: { } h } => $"HTTP {h}, no envelope",
        { Drop: true } => "connection dropped",
        { SlowBodyMs: { } ms } => $"body slowed {ms} ms",
        _ => "the real answer",
    };

    private static string? Blank(string? text) => string.IsNullOrWhiteSpace(text) ? null : text.Trim();
}
