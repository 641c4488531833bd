using System.Globalization;
using DeviceFeatures.Protocol.Admin;
using DeviceFeatures.Server.Admin;
using DeviceFeatures.Server.Catalog;
using Microsoft.AspNetCore.Mvc;

namespace DeviceFeatures.Server.OperatorConsole.Pages;

/// <summary>
/// The device inventory: a filtered list page by page (the admin API's listing, each device with its sync summary),
/// and the CSV import with its per-row report next to each line.
/// </summary>
[RequestSizeLimit(2 << 20)]
internal sealed class DevicesModel(AdminService admin, CatalogProvider catalog) : ConsolePageModel
{
    public const long MaxFileBytes = 1 << 20;
    public const int PageSize = 50;

    [BindProperty(SupportsGet = true, Name = "partner")]
    public string? Partner { get; set; }

    [BindProperty(SupportsGet = true, Name = "model")]
    public int? ModelId { get; set; }

    [BindProperty(SupportsGet = true, Name = "assigned")]
    public bool? Assigned { get; set; }

    [BindProperty(SupportsGet = true, Name = "mac")]
    public string? MacPrefix { get; set; }

    [BindProperty(SupportsGet = true, Name = "after")]
    public string? After { get; set; }

    public InventoryPage? Devices { get; private set; }

    public IReadOnlyList<Partner> Partners { get; private set; } = [];

    public IEnumerable<Protocol.Catalog.DeviceModelInfo> Models => catalog.Current.Models;

    public string PartnerName(string clientId) => Partners.FirstOrDefault(p => p.ClientId == clientId)?.Name ?? clientId;

    /// <summary>This list's address with the same filters, from <paramref name="after"/> (null: the first page).</summary>
    public string PageLink(string? after) => Url.Page("/Devices", new { partner = Partner, model = ModelId, assigned = Assigned, mac = MacPrefix, after })!;

    /// <summary>
    /// A device's sync in a word, from its versions: the finer per-feature status is on the user page. Out of sync is
    /// the overview's rule: the device has not reported the configuration version it should run, and that version is
    /// above 0 (a device seen at version 0 without a report has nothing to apply yet, and the overview does not count it).
    /// </summary>
    public static string SyncText(DeviceSyncState? sync) => sync switch
    {
        null or { ConfigVersion: 0, ReportedVersion: null } => "nothing to apply yet",
        { ReportedVersion: null } => $"out of sync: never reported (configuration v{sync.ConfigVersion})",
        { ReportedVersion: { } reported } when reported < sync.ConfigVersion => $"out of sync: reported v{reported} of v{sync.ConfigVersion}",
        _ => $"in sync (v{sync.ConfigVersion}, reported {Time(sync.ReportedAt)})",
    };

    /// <summary>A partner's client id cut to its first 8 characters for the filter's list, whole when it is not longer.</summary>
    public static string ShortId(string clientId) => clientId.Length > 8 ? clientId[..8] + "…" : clientId;

    public async Task OnGetAsync(CancellationToken cancellationToken) => await ListAsync(cancellationToken).ConfigureAwait(false);

    // A filter value that does not bind (model=abc, assigned=maybe) is refused in the admin API's words, with its 400,
    // instead of being dropped silently: a list that ignored a filter would look like a filtered one.
    private string? FilterError()
    {
        if (ModelState.TryGetValue("model", out var model) && model.Errors.Count > 0)
        {
            return "The model must be a model id, a whole number.";
        }

        return ModelState.TryGetValue("assigned", out var assigned) && assigned.Errors.Count > 0
            ? "'Assigned to a partner' must be true or false."
            : null;
    }

    private async Task ListAsync(CancellationToken cancellationToken)
    {
        Partners = await admin.ListPartnersAsync(cancellationToken).ConfigureAwait(false);
        if (FilterError() is { } filterError)
        {
            Error = filterError;
            Response.StatusCode = StatusCodes.Status400BadRequest;
            return;
        }

        var (page, error) = await admin.ListDevicesAsync(Blank(Partner), ModelId, null, Blank(After), PageSize, Assigned, Blank(MacPrefix), cancellationToken)
            .ConfigureAwait(false);
        Devices = page;
        if (error is not null)
        {
            Error = error.Detail.Replace("'mac_prefix'", "The start of the MAC address", StringComparison.Ordinal);
            Response.StatusCode = error.Status;
        }
    }

    private static string? Blank(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();

    [BindProperty]
    public IFormFile? Csv { get; set; }

    public ImportDevicesResponse? Report { get; private set; }

    /// <summary>The file's line of each row sent, by its index in the import.</summary>
    public List<int> Lines { get; } = [];

    public List<(int Line, string Reason)> Problems { get; } = [];

    [ChangeBy(OperatorRoles.Administrator, OperatorRoles.CustomerSuccess)]
    public async Task<IActionResult> OnPostImportAsync(CancellationToken cancellationToken)
    {
        if (Csv is null || Csv.Length == 0)
        {
            Error = "Choose a CSV file to import.";
            return Page();
        }

        if (Csv.Length > MaxFileBytes)
        {
            Error = $"The file is larger than {MaxFileBytes / 1024} KiB: split it.";
            return Page();
        }

        var rows = new List<DeviceImportRow?>();
        using (var reader = new StreamReader(Csv.OpenReadStream()))
        {
            var number = 0;
            while (await reader.ReadLineAsync(cancellationToken).ConfigureAwait(false) is { } text)
            {
                number++;
                var line = text.Trim();
                if (line.Length == 0 || line.StartsWith('#') || (number == 1 && line.StartsWith("mac_address", StringComparison.OrdinalIgnoreCase)))
                {
                    continue;
                }

                if (!AdminInput.IsCleanText(line))
                {
                    Problems.Add((number, "the line holds control characters or broken Unicode"));
                    continue;
                }

                var fields = line.Split(',').Select(f => f.Trim().Trim('"')).ToArray();
                if (fields.Length != 5)
                {
                    Problems.Add((number, $"expected 5 fields (mac_address,model,market,firmware,client_id), found {fields.Length}"));
                    continue;
                }

                if (Model(fields[1]) is not { } model)
                {
                    Problems.Add((number, $"model '{fields[1]}' is not a model id or name of the catalog"));
                    continue;
                }

                rows.Add(new DeviceImportRow(fields[0], model, fields[2], Empty(fields[3]), Empty(fields[4])));
                Lines.Add(number);
            }
        }

        if (rows.Count == 0)
        {
            Error = Problems.Count == 0 ? "The file has no device." : "No line of the file could be read.";
            Report = new ImportDevicesResponse([], 0, 0, 0, 0);
            return Page();
        }

        (Report, var error) = await admin.ImportDevicesAsync(new ImportDevicesRequest(rows), Origin, cancellationToken).ConfigureAwait(false);
        Error = error?.Detail;
        await ListAsync(cancellationToken).ConfigureAwait(false);
        return Page();
    }

    private int? Model(string text)
    {
        if (int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var id))
        {
            return id;
        }

        return catalog.Current.Models.FirstOrDefault(m =>
            string.Equals(m.Name, text, StringComparison.OrdinalIgnoreCase) || string.Equals(m.Slug, text, StringComparison.OrdinalIgnoreCase))?.Id;
    }

    private static string? Empty(string field) => field.Length == 0 ? null : field;
}
