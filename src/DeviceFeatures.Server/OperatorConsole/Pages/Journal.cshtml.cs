using System.Globalization;
using DeviceFeatures.Protocol.Admin;
using DeviceFeatures.Server.Emulator.Journal;
using Microsoft.AspNetCore.Mvc;

namespace DeviceFeatures.Server.OperatorConsole.Pages;

/// <summary>The request journal, read-only, with the admin API's filters (docs/emulator.md).</summary>
internal sealed class JournalModel(RequestJournal journal) : ConsolePageModel
{
    [BindProperty(SupportsGet = true)]
    public string? Client { get; set; }

    [BindProperty(SupportsGet = true)]
    public string? Action { get; set; }

    [BindProperty(SupportsGet = true)]
    public string? Status { get; set; }

    public int Size => journal.Size;

    public IReadOnlyList<JournalEntry> Entries { get; private set; } = [];

    public void OnGet()
    {
        int? status = null;
        if (!string.IsNullOrWhiteSpace(Status))
        {
            if (!int.TryParse(Status.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var parsed))
            {
                Error = "The status is a Withings status, a whole number such as 101.";
                return;
            }

            status = parsed;
        }

        Entries = journal.Query(new JournalQuery(Blank(Client), Blank(Action), status, null, null, RequestJournal.MaxPage)).Reverse().ToArray();
    }

    public static string Outcome(JournalEntry e) =>
        e.Status is { } s ? s.ToString(CultureInfo.InvariantCulture) : e.HttpStatus is { } h ? $"HTTP {h}" : "dropped";

    public static string Parameters(JournalEntry e) => string.Join(" ", e.Parameters.Select(p => $"{p.Key}={p.Value}"));

    private static string? Blank(string? text) => string.IsNullOrWhiteSpace(text) ? null : text.Trim();
}
