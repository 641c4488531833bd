using System.CommandLine;
using System.Globalization;
using System.Text;
using DeviceFeatures.Cli.Bulk;
using DeviceFeatures.Client;
using DeviceFeatures.Protocol.Admin;
using Spectre.Console;

namespace DeviceFeatures.Cli.Commands;

/// <summary><c>admin devices ...</c>: the device inventory.</summary>
internal static class DeviceCommands
{
    public const int MaxBatch = 1000;

    public static Command Create(CliHost host) => new("devices", "The device inventory: import, list, show, assign")
    {
        Import(host),
        List(host),
        Show(host),
        Assign(host),
        RotateCredential(host),
    };

    /// <summary><c>devices ...</c>: the partner's own calls about its devices.</summary>
    public static Command Partner(CliHost host) => new("devices", "Your devices in your programme (signed with your credentials)")
    {
        EndProgramme(host),
    };

    private static Command EndProgramme(CliHost host)
    {
        var mac = new Argument<string>("mac") { Description = "The device's MAC address (with ':', '-' or no separators)" };
        var status = new Option<string>("--status", "-s")
        {
            Description = "ACTIVE, STANDBY (also reverses a pending termination) or TERMINATED (starts a 30-day countdown)",
            Required = true,
        };
        status.AcceptOnlyFromAmong("ACTIVE", "STANDBY", "TERMINATED", "active", "standby", "terminated");
        return new Command("end-programme", "Change a device's state in your programme (endpartnerprogram)")
        {
            mac, status,
        }.Runs(host, async (context, parse, ct) =>
        {
            var macAddress = parse.GetValue(mac)!;
            var result = await context.CreateClient().EndPartnerProgramAsync(macAddress, new SimStatus(parse.GetValue(status)!.ToUpperInvariant()), ct);
            if (context.Json)
            {
                context.WriteJson(new
                {
                    mac_address = macAddress,
                    new_sim_status = result.NewSimStatus.Value,
                    termination_date = result.TerminationDate?.ToUnixTimeSeconds(),
                });
            }
            else
            {
                context.Console.WriteLine(result.TerminationDate is { } date
                    ? $"{macAddress}: {result.NewSimStatus} (terminated on {Time(date)})"
                    : $"{macAddress}: {result.NewSimStatus}");
            }

            return ExitCodes.Success;
        });
    }

    private static string Time(DateTimeOffset at) => at.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    private static Command Import(CliHost host)
    {
        var file = new Argument<FileInfo>("file") { Description = "CSV with columns mac_address,model,market,firmware,client_id (firmware and client_id may be empty)" };
        var batch = new Option<int>("--batch-size") { Description = $"Rows per request (1-{MaxBatch})", DefaultValueFactory = _ => 500 }
            .Reads($"a number of rows from 1 to {MaxBatch}", OptionValues.WholeNumber(1, MaxBatch));
        var report = new Option<FileInfo?>("--report") { Description = "Where to write one result per row [default: <file>.report.csv]" }
            .Reads("a file path", OptionValues.TryFile);
        return new Command("import", "Import devices from a CSV file; rows already imported are skipped, so a file can be run again")
        {
            file, batch, report,
        }.Runs(host, async (context, parse, ct) =>
        {
            var input = parse.GetValue(file)!;
            if (!input.Exists)
            {
                throw new CliException(ExitCodes.Usage, $"The file {input.FullName} does not exist.");
            }

            var reportPath = parse.GetValue(report)?.FullName ?? input.FullName + ".report.csv";
            var (rows, problems) = InventoryFile.Read(input.FullName);
            var admin = context.CreateAdminClient();
            var lines = new List<(int Line, string? Mac, string Outcome, string? Code, string? Reason, string? Secret)>();
            lines.AddRange(problems.Select(p => (p.Line, (string?)null, DeviceImportOutcomes.Refused, (string?)AdminProblemCodes.InvalidRequest, (string?)p.Reason, (string?)null)));
            var size = parse.GetValue(batch);

            async Task SendAllAsync(Action<int> onBatch)
            {
                foreach (var chunk in rows.Chunk(size))
                {
                    var answer = await admin.ImportDevicesAsync(chunk.Select(r => r.Row), ct);
                    foreach (var result in answer.Results)
                    {
                        lines.Add((chunk[result.Index].Line, result.MacAddress, result.Outcome, result.Code, result.Reason, result.DeviceSecret));
                    }

                    onBatch(chunk.Length);
                }
            }

            if (context.Host.IsInteractive && !context.Json)
            {
                await context.Diagnostics.Progress().AutoClear(true).StartAsync(async progress =>
                {
                    var task = progress.AddTask("importing devices", maxValue: Math.Max(rows.Count, 1));
                    await SendAllAsync(n => task.Increment(n));
                });
            }
            else
            {
                var done = 0;
                await SendAllAsync(n => context.Diagnostic($"progress: {done += n}/{rows.Count} rows"));
            }

            lines.Sort((a, b) => a.Line.CompareTo(b.Line));
            await WriteReportAsync(reportPath, lines, ct);
            foreach (var refused in lines.Where(l => l.Outcome == DeviceImportOutcomes.Refused))
            {
                context.Diagnostic($"line {refused.Line}: refused ({refused.Code}): {refused.Reason}");
            }

            var summary = new
            {
                imported = Count(lines, DeviceImportOutcomes.Imported),
                updated = Count(lines, DeviceImportOutcomes.Updated),
                skipped = Count(lines, DeviceImportOutcomes.Skipped),
                refused = Count(lines, DeviceImportOutcomes.Refused),
                report = reportPath,
            };
            if (context.Json)
            {
                context.WriteJson(summary);
            }
            else
            {
                context.Console.WriteLine(
                    $"imported {summary.imported}, updated {summary.updated}, skipped {summary.skipped}, refused {summary.refused} (report in {reportPath})");
            }

            return summary.refused > 0 ? ExitCodes.Failed : ExitCodes.Success;
        });
    }

    private static int Count(List<(int Line, string? Mac, string Outcome, string? Code, string? Reason, string? Secret)> lines, string outcome) =>
        lines.Count(l => l.Outcome == outcome);

    private static async Task WriteReportAsync(
        string path, List<(int Line, string? Mac, string Outcome, string? Code, string? Reason, string? Secret)> lines, CancellationToken ct)
    {
        static string Field(string? value) =>
            value is null ? "" : value.Contains(',', StringComparison.Ordinal) || value.Contains('"', StringComparison.Ordinal)
                ? $"\"{value.Replace("\"", "\"\"", StringComparison.Ordinal)}\""
                : value;

        // device_secret: each imported device's secret for the device API, which the server shows this once only.
        var text = new StringBuilder("line,mac_address,outcome,code,reason,device_secret\n");
        foreach (var l in lines)
        {
            text.Append(CultureInfo.InvariantCulture, $"{l.Line},{Field(l.Mac)},{l.Outcome},{Field(l.Code)},{Field(l.Reason)},{l.Secret}\n");
        }

        await File.WriteAllTextAsync(path, text.ToString(), ct);
    }

    private static Command List(CliHost host)
    {
        var model = new Option<string?>("--model") { Description = "Only devices of this model (id or name)" };
        // A string, not a bool?: the parser would leave a value it cannot read as a bool to be an argument of its own.
        var linked = new Option<string?>("--linked") { Description = "Only devices linked to a user (true) or not (false)" }
            .Reads("true or false", TryTrueOrFalse);
        var limit = new Option<int>("--limit") { Description = "Devices per page (1-1000)", DefaultValueFactory = _ => 100 }
            .Reads("a number of devices from 1 to 1000", OptionValues.WholeNumber(1, 1000));
        var after = new Option<string?>("--after") { Description = "Start after this MAC address (the next page's, printed at the end)" };
        var all = new Option<bool>("--all") { Description = "Read every page" }.Flag();
        return new Command("list", "List the inventory in MAC address order; --client-id keeps one partner's devices")
        {
            model, linked, limit, after, all,
        }.Runs(host, async (context, parse, ct) =>
        {
            var admin = context.CreateAdminClient();
            var clientId = parse.GetValue(GlobalOptions.ClientId) is { Length: > 0 } c ? c : null;
            int? modelId = parse.GetValue(model) is { } m ? Arguments.ParseModel(m).Id : null;
            var devices = new List<InventoryDevice>();
            var next = parse.GetValue(after);
            do
            {
                var page = await admin.ListDevicesAsync(clientId, modelId, parse.GetValue(linked) is { } l ? bool.Parse(l) : null, next, parse.GetValue(limit), ct);
                devices.AddRange(page.Devices);
                next = page.NextAfter;
            }
            while (next is not null && parse.GetValue(all));

            if (context.Json)
            {
                context.WriteJson(new InventoryPage(devices, next));
                return ExitCodes.Success;
            }

            var table = new Table().AddColumns("mac_address", "model", "market", "firmware", "client_id", "userid");
            foreach (var d in devices)
            {
                table.AddRow(d.MacAddress, Markup.Escape($"{d.ModelName} ({d.Model})"), d.Market, Markup.Escape(d.Firmware ?? ""), d.ClientId ?? "",
                    d.Userid?.ToString(CultureInfo.InvariantCulture) ?? "");
            }

            context.Console.Write(table);
            if (next is not null)
            {
                context.Diagnostic($"more: --after {next}");
            }

            return ExitCodes.Success;
        });
    }

    private static bool TryTrueOrFalse(string text, out string? value)
    {
        value = bool.TryParse(text, out _) ? text : null;
        return value is not null;
    }

    private static Command Show(CliHost host)
    {
        var mac = new Argument<string>("mac") { Description = "The MAC address" };
        return new Command("show", "Show a device of the inventory and the user it is linked to") { mac }.Runs(host, async (context, parse, ct) =>
        {
            var device = await context.CreateAdminClient().GetDeviceAsync(parse.GetValue(mac)!, ct);
            Write(context, device);
            return ExitCodes.Success;
        });
    }

    private static Command Assign(CliHost host)
    {
        var mac = new Argument<string>("mac") { Description = "The MAC address" };
        return new Command("assign", "Assign a device to the partner named by --client-id") { mac }.Runs(host, async (context, parse, ct) =>
        {
            var clientId = parse.GetValue(GlobalOptions.ClientId) is { Length: > 0 } c
                ? c
                : throw new CliException(ExitCodes.Usage, "'admin devices assign' needs --client-id: the partner to assign the device to.");
            var device = await context.CreateAdminClient().AssignDeviceAsync(parse.GetValue(mac)!, clientId, ct);
            Write(context, device);
            return ExitCodes.Success;
        });
    }

    private static Command RotateCredential(CliHost host)
    {
        var mac = new Argument<string>("mac") { Description = "The MAC address" };
        return new Command("rotate-credential", "Give a device a new secret for the device API; the previous one stops at once") { mac }
            .Runs(host, async (context, parse, ct) =>
            {
                var credential = await context.CreateAdminClient().RotateDeviceCredentialAsync(parse.GetValue(mac)!, ct);
                if (context.Json)
                {
                    context.WriteJson(credential);
                }
                else
                {
                    context.Console.WriteLine($"mac_address:   {credential.MacAddress}");
                    context.Console.WriteLine($"device_secret: {credential.DeviceSecret}");
                    context.Diagnostic("The secret is shown this once: put it on the device now.");
                }

                return ExitCodes.Success;
            });
    }

    private static void Write(CliContext context, InventoryDevice d)
    {
        if (context.Json)
        {
            context.WriteJson(d);
            return;
        }

        context.Console.WriteLine($"mac_address: {d.MacAddress}");
        context.Console.WriteLine($"model:       {d.ModelName} ({d.Model.ToString(CultureInfo.InvariantCulture)})");
        context.Console.WriteLine($"market:      {d.Market}");
        context.Console.WriteLine($"firmware:    {d.Firmware ?? "unknown"}");
        context.Console.WriteLine($"client_id:   {d.ClientId ?? "none"}");
        context.Console.WriteLine($"userid:      {d.Userid?.ToString(CultureInfo.InvariantCulture) ?? "not linked"}");
        context.Console.WriteLine($"programme:   {d.ProgrammeState}{(d.TerminationDate is { } at ? $" (termination {Time(at)})" : "")}");
        if (d.Sync is { } sync)
        {
            context.Console.WriteLine($"credential:  {(sync.HasCredential ? "yes" : "none (rotate-credential issues one)")}");
            context.Console.WriteLine($"config:      version {sync.ConfigVersion.ToString(CultureInfo.InvariantCulture)}");
            context.Console.WriteLine($"last seen:   {(sync.LastSeenAt is { } seen ? Time(seen) : "never")}");
            context.Console.WriteLine($"reported:    {(sync.ReportedVersion is { } v ? $"version {v.ToString(CultureInfo.InvariantCulture)} at {Time(sync.ReportedAt!.Value)}" : "never")}");
            foreach (var f in sync.Features)
            {
                context.Console.WriteLine($"  {f.FeatureName}: {(f.Applied ? "applied" : "failed")}{(f.Reason is { } r ? $" ({r})" : "")} (version {f.Version.ToString(CultureInfo.InvariantCulture)})");
            }
        }
    }
}

/// <summary>A row of an inventory file, with the line it came from.</summary>
internal sealed record InventoryLine(int Line, DeviceImportRow Row);

/// <summary>
/// Reads <c>mac_address,model,market,firmware,client_id</c> files: a header line is optional, blank lines and lines
/// starting with <c>#</c> are skipped, <c>model</c> may be an id or a name. The server judges the values.
/// </summary>
internal static class InventoryFile
{
    public static (List<InventoryLine> Rows, List<(int Line, string Reason)> Problems) Read(string path)
    {
        var rows = new List<InventoryLine>();
        var problems = new List<(int, string)>();
        foreach (var (line, _, fields) in CsvLines.Read(path, "mac_address"))
        {
            if (fields.Length != 5)
            {
                problems.Add((line, $"expected 5 fields (mac_address,model,market,firmware,client_id), found {fields.Length}"));
                continue;
            }

            if (!DeviceModel.TryParse(fields[1], out var model))
            {
                problems.Add((line, $"model '{fields[1]}' is not a model id or name"));
                continue;
            }

            rows.Add(new InventoryLine(line, new DeviceImportRow(fields[0], model.Id, fields[2], Empty(fields[3]), Empty(fields[4]))));
        }

        return (rows, problems);
    }

    private static string? Empty(string field) => field.Length == 0 ? null : field;
}
