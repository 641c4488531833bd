using System.Globalization;
using DeviceFeatures.Protocol.Admin;
using DeviceFeatures.Server.Admin;
using DeviceFeatures.Server.Catalog;
using Microsoft.AspNetCore.Mvc;

namespace DeviceFeatures.Server.OperatorConsole.Pages;

/// <summary>The device inventory's CSV import: the admin API's import, with its per-row report next to each line.</summary>
[RequestSizeLimit(2 << 20)]
internal sealed class DevicesModel(AdminService admin, CatalogProvider catalog) : ConsolePageModel
{
    public const long MaxFileBytes = 1 << 20;

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
