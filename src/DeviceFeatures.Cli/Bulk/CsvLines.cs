namespace DeviceFeatures.Cli.Bulk;

/// <summary>The lines of the CSV files the CLI reads: blank lines and lines starting with <c>#</c> hold no data.</summary>
internal static class CsvLines
{
    /// <summary>
    /// Each line that holds data, numbered from 1, trimmed, and split into trimmed fields without their quotes; a
    /// first such line whose first field is <paramref name="header"/> (any case) is the header, and skipped.
    /// </summary>
    public static IEnumerable<(int Line, string Text, string[] Fields)> Read(string path, string header)
    {
        var line = 0;
        var first = true;
        foreach (var text in File.ReadLines(path))
        {
            line++;
            var trimmed = text.Trim();
            if (trimmed.Length == 0 || trimmed.StartsWith('#'))
            {
                continue;
            }

            var fields = trimmed.Split(',').Select(f => f.Trim().Trim('"').Trim()).ToArray();
            var isHeader = first && fields[0].Equals(header, StringComparison.OrdinalIgnoreCase);
            first = false;
            if (!isHeader)
            {
                yield return (line, trimmed, fields);
            }
        }
    }
}
