using System.Globalization;
using System.Text;
using System.Text.Json;
using DeviceFeatures.Protocol.Admin;
using DeviceFeatures.Server.Admin;
using DeviceFeatures.Server.Audit;
using DeviceFeatures.Server.Catalog;
using DeviceFeatures.Server.Storage;
using Microsoft.AspNetCore.Mvc;

namespace DeviceFeatures.Server.OperatorConsole.Pages;

/// <summary>The audit log with filters, page by page, and its export as CSV or JSON lines (the admin API's event shape).</summary>
internal sealed class AuditModel(IFeatureStore store, CatalogProvider catalog) : ConsolePageModel
{
    public const int PageSize = 100;

    [BindProperty(SupportsGet = true)]
    public string? Client { get; set; }

    [BindProperty(SupportsGet = true, Name = "user")]
    public string? UserId { get; set; }

    [BindProperty(SupportsGet = true)]
    public string? Feature { get; set; }

    [BindProperty(SupportsGet = true)]
    public string? Actor { get; set; }

    [BindProperty(SupportsGet = true)]
    public string? Since { get; set; }

    [BindProperty(SupportsGet = true)]
    public string? Until { get; set; }

    [BindProperty(SupportsGet = true)]
    public long After { get; set; }

    public IReadOnlyList<AuditEvent> Events { get; private set; } = [];

    public long? NextAfter { get; private set; }

    public IEnumerable<string> FeatureNames => catalog.Current.Features.Select(f => f.Name);

    public static string OnOff(bool? value) => value switch { true => "on", false => "off", null => "—" };

    public async Task OnGetAsync(CancellationToken cancellationToken)
    {
        if (Read(PageSize) is not { } query)
        {
            return;
        }

        var rows = await store.ReadAsync(s => s.QueryAuditAsync(query), cancellationToken).ConfigureAwait(false);
        Events = rows.Select(AdminService.ToResponse).ToArray();
        NextAfter = rows.Count == PageSize ? rows[^1].Id : null;
    }

    /// <summary>Every matching event, read and written page by page: <c>format=csv</c> or <c>format=jsonl</c>.</summary>
    public async Task<IActionResult> OnGetExportAsync(string? format, CancellationToken cancellationToken)
    {
        var csv = format == "csv";
        if (!csv && format != "jsonl")
        {
            Error = "The export format is csv or jsonl.";
            return Page();
        }

        if (Read(AdminEndpoints.MaxAuditPage) is not { } query)
        {
            return Page();
        }

        var response = Response;
        response.ContentType = csv ? "text/csv; charset=utf-8" : "application/x-ndjson";
        response.Headers.ContentDisposition = $"attachment; filename=\"audit.{(csv ? "csv" : "jsonl")}\"";
        var body = response.Body;
        if (csv)
        {
            await body.WriteAsync(Encoding.UTF8.GetBytes("id,occurred_at,kind,actor,client_id,userid,model,feature_name,old_value,new_value,request_id,detail\r\n"), cancellationToken)
                .ConfigureAwait(false);
        }

        while (true)
        {
            var rows = await store.ReadAsync(s => s.QueryAuditAsync(query), cancellationToken).ConfigureAwait(false);
            foreach (var e in rows.Select(AdminService.ToResponse))
            {
                if (csv)
                {
                    await body.WriteAsync(Encoding.UTF8.GetBytes(CsvLine(e)), cancellationToken).ConfigureAwait(false);
                }
                else
                {
                    await JsonSerializer.SerializeAsync(body, e, AdminJsonContext.Default.AuditEvent, cancellationToken).ConfigureAwait(false);
                    await body.WriteAsync("\n"u8.ToArray(), cancellationToken).ConfigureAwait(false);
                }
            }

            if (rows.Count < query.Limit)
            {
                return new EmptyResult();
            }

            query = query with { AfterId = rows[^1].Id };
        }
    }

    public string ExportLink(string format) => Link(new() { ["handler"] = "Export", ["format"] = format });

    public string PageLink(long after) => Link(new() { ["after"] = after.ToString(CultureInfo.InvariantCulture) });

    private string Link(Dictionary<string, string?> extra)
    {
        var values = new Dictionary<string, string?>
        {
            ["client"] = Client, ["user"] = UserId, ["feature"] = Feature, ["actor"] = Actor, ["since"] = Since, ["until"] = Until,
        };
        foreach (var (k, v) in extra)
        {
            values[k] = v;
        }

        return Microsoft.AspNetCore.WebUtilities.QueryHelpers.AddQueryString("/console/audit", values.Where(v => !string.IsNullOrEmpty(v.Value)));
    }

    private AuditQuery? Read(int limit)
    {
        int? userId = null;
        if (!string.IsNullOrWhiteSpace(UserId))
        {
            if (!int.TryParse(UserId.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var parsed))
            {
                Error = "The user is a userid, a whole number.";
                return null;
            }

            userId = parsed;
        }

        if (!TryTime(Since, "From", out var since) || !TryTime(Until, "Until", out var until))
        {
            return null;
        }

        return new AuditQuery(Blank(Client), userId, since, After, limit, Blank(Feature), Blank(Actor), until);
    }

    private bool TryTime(string? text, string field, out long? ms)
    {
        ms = null;
        if (string.IsNullOrWhiteSpace(text))
        {
            return true;
        }

        if (!DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at))
        {
            Error = $"'{field}' must be a date and time, e.g. 2026-11-24T09:00.";
            return false;
        }

        ms = at.ToUnixTimeMilliseconds();
        return true;
    }

    private static string? Blank(string? text) => string.IsNullOrWhiteSpace(text) ? null : text.Trim();

    private static string CsvLine(AuditEvent e) => string.Join(',',
        e.Id.ToString(CultureInfo.InvariantCulture), e.OccurredAt.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture),
        Csv(e.Kind), Csv(e.Actor), Csv(e.ClientId), e.Userid?.ToString(CultureInfo.InvariantCulture), e.Model?.ToString(CultureInfo.InvariantCulture),
        Csv(e.FeatureName), Bool(e.OldValue), Bool(e.NewValue), Csv(e.RequestId), Csv(e.Detail)) + "\r\n";

    private static string Bool(bool? value) => value switch { true => "true", false => "false", null => "" };

    // RFC 4180 quoting; a value a spreadsheet would run as a formula is prefixed with an apostrophe.
    private static string Csv(string? value)
    {
        if (string.IsNullOrEmpty(value))
        {
            return "";
        }

        if (value[0] is '=' or '+' or '-' or '@' or '\t' or '\r')
        {
            value = "'" + value;
        }

        return value.AsSpan().IndexOfAny(",\"\r\n") >= 0 ? "\"" + value.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"" : value;
    }
}
