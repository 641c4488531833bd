using System.Globalization;
using DeviceFeatures.Client;

namespace DeviceFeatures.Cli.Bulk;

/// <summary>One change of a bulk file, with the line it came from.</summary>
internal sealed record BulkRow(int Line, int UserId, DeviceModel Model, FeatureName Feature, bool Enable)
{
    /// <summary>Identifies the row in a results file, so that <c>--resume</c> skips exactly what already succeeded.</summary>
    public string Key => BulkFile.KeyOf(Line, UserId.ToString(CultureInfo.InvariantCulture), Model.Id.ToString(CultureInfo.InvariantCulture), Feature.Value, Enable ? "enable" : "disable");
}

/// <summary>A line that could not be read as a change, and why.</summary>
internal sealed record BulkProblem(int Line, string Text, string Reason)
{
    public string Key => BulkFile.KeyOf(Line, Text);
}

/// <summary>
/// Reads <c>userid,model,feature_name,action</c> files: a header line is optional, blank lines and lines starting
/// with <c>#</c> are skipped; <c>model</c> may be an id or a name, <c>action</c> enable or disable.
/// </summary>
internal static class BulkFile
{
    public static (List<BulkRow> Rows, List<BulkProblem> Problems) Read(string path)
    {
        var rows = new List<BulkRow>();
        var problems = new List<BulkProblem>();
        foreach (var (line, trimmed, fields) in CsvLines.Read(path, "userid"))
        {
            var (row, reason) = Parse(line, fields);
            if (row is not null)
            {
                rows.Add(row);
            }
            else
            {
                problems.Add(new BulkProblem(line, trimmed, reason!));
            }
        }

        return (rows, problems);
    }

    private static (BulkRow? Row, string? Reason) Parse(int line, string[] fields)
    {
        if (fields.Length != 4)
        {
            return (null, $"expected 4 fields (userid,model,feature_name,action), found {fields.Length}");
        }

        if (!int.TryParse(fields[0], NumberStyles.None, CultureInfo.InvariantCulture, out var userId) || userId <= 0)
        {
            return (null, $"userid '{fields[0]}' is not a positive whole number");
        }

        if (!DeviceModel.TryParse(fields[1], out var model))
        {
            return (null, $"model '{fields[1]}' is not a model id or name");
        }

        FeatureName feature;
        try
        {
            feature = FeatureName.Parse(fields[2]);
        }
        catch (FormatException ex)
        {
            return (null, ex.Message);
        }

        bool? enable = fields[3].ToLowerInvariant() switch
        {
            "enable" or "enablefeature" or "on" => true,
            "disable" or "disablefeature" or "off" => false,
            _ => null,
        };
        return enable is null
            ? (null, $"action '{fields[3]}' is neither enable nor disable")
            : (new BulkRow(line, userId, model, feature, enable.Value), null);
    }

    public static string KeyOf(int line, params string[] fields) =>
        line.ToString(CultureInfo.InvariantCulture) + "|" + string.Join(',', fields);
}

/// <summary>
/// The per-row results file: one CSV line per attempted row, in the input file's line order whatever order rows
/// finish in, and flushed as soon as every line above it is written, so that an interrupted run leaves a file
/// <c>--resume</c> can use. A row that finishes before one above it waits in memory; <see cref="WaitForRoomAsync"/>
/// keeps at most <see cref="Window"/> rows started ahead of the first unwritten line.
/// </summary>
internal sealed class BulkResults : IAsyncDisposable
{
    public const string Header = "line,userid,model,feature_name,action,result,status,error";

    /// <summary>Rows that may start ahead of the first unwritten line: bounds what one slow row keeps in memory.</summary>
    public const int Window = 1024;

    private readonly StreamWriter _writer;
    private readonly SemaphoreSlim _lock = new(1, 1);
    private readonly SemaphoreSlim _room = new(Window, Window);
    private readonly int[] _lines;
    private readonly Dictionary<int, (string Text, bool Row)> _finished = [];
    private int _next;

    private BulkResults(StreamWriter writer, int[] lines)
    {
        _writer = writer;
        _lines = lines;
    }

    /// <param name="path">The results file.</param>
    /// <param name="append">Whether to add to an existing file (<c>--resume</c>) rather than start a new one.</param>
    /// <param name="lines">The input lines this run will write a result for, in any order.</param>
    public static async Task<BulkResults> OpenAsync(string path, bool append, IEnumerable<int> lines)
    {
        var exists = append && File.Exists(path);
        var writer = new StreamWriter(path, append);
        if (!exists)
        {
            await writer.WriteLineAsync(Header);
            await writer.FlushAsync();
        }

        return new BulkResults(writer, [.. lines.Order()]);
    }

    /// <summary>The keys of the rows a previous run completed successfully.</summary>
    public static HashSet<string> ReadSucceeded(string path)
    {
        var keys = new HashSet<string>(StringComparer.Ordinal);
        if (!File.Exists(path))
        {
            return keys;
        }

        foreach (var text in File.ReadLines(path).Skip(1))
        {
            var fields = text.Split(',');
            if (fields.Length >= 6 && fields[5] == "ok" && int.TryParse(fields[0], NumberStyles.None, CultureInfo.InvariantCulture, out var line))
            {
                keys.Add(BulkFile.KeyOf(line, fields[1], fields[2], fields[3], fields[4]));
            }
        }

        return keys;
    }

    /// <summary>Waits until a row may start: fewer than <see cref="Window"/> started rows are waiting to be written.</summary>
    public Task WaitForRoomAsync(CancellationToken cancellationToken) => _room.WaitAsync(cancellationToken);

    public Task WriteAsync(BulkRow row, string result, int? status, string? error) =>
        FinishAsync(row.Line, row: true, string.Join(',',
            row.Line.ToString(CultureInfo.InvariantCulture),
            row.UserId.ToString(CultureInfo.InvariantCulture),
            row.Model.Id.ToString(CultureInfo.InvariantCulture),
            row.Feature.Value,
            row.Enable ? "enable" : "disable",
            result,
            status?.ToString(CultureInfo.InvariantCulture) ?? "",
            Csv(error)));

    public Task WriteAsync(BulkProblem problem) =>
        FinishAsync(problem.Line, row: false, string.Join(',', problem.Line.ToString(CultureInfo.InvariantCulture), "", "", "", "", "invalid", "", Csv(problem.Reason)));

    private async Task FinishAsync(int line, bool row, string text)
    {
        await _lock.WaitAsync();
        try
        {
            _finished[line] = (text, row);
            while (_next < _lines.Length && _finished.Remove(_lines[_next], out var next))
            {
                _next++;
                await WriteLineAsync(next);
            }
        }
        finally
        {
            _lock.Release();
        }
    }

    private async Task WriteLineAsync((string Text, bool Row) line)
    {
        await _writer.WriteLineAsync(line.Text);
        await _writer.FlushAsync();
        if (line.Row)
        {
            _room.Release();
        }
    }

    private static string Csv(string? text) =>
        text is null ? "" : "\"" + text.Replace("\"", "\"\"", StringComparison.Ordinal).ReplaceLineEndings(" ") + "\"";

    /// <summary>
    /// Writes what finished behind a row that never will (an early stop, Ctrl+C), still in line order, and closes the
    /// file. Those rows are left out, so that <c>--resume</c> runs them.
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        foreach (var line in _finished.OrderBy(f => f.Key))
        {
            await WriteLineAsync(line.Value);
        }

        await _writer.DisposeAsync();
        _lock.Dispose();
        _room.Dispose();
    }
}
