using System.Globalization;
using System.Text.RegularExpressions;

namespace DeviceFeatures.Load;

internal enum DatabaseKind
{
    Sqlite,
    Postgres,
}

/// <summary>Everything one run needs, read from the command line.</summary>
internal sealed record LoadSettings
{
    public required IReadOnlyList<int> Connections { get; init; }
    public required TimeSpan Duration { get; init; }
    public required TimeSpan Warmup { get; init; }
    public required IReadOnlyList<Workload> Workloads { get; init; }
    public required DatabaseKind Database { get; init; }
    public string? Postgres { get; init; }
    public string? Seeded { get; init; }
    public string? ClientId { get; init; }
    public string? ClientSecret { get; init; }
    public UserRange? SeededUsers { get; init; }
    public required int Users { get; init; }
    public required int TargetConnections { get; init; }

    /// <summary>With PostgreSQL: where pgbench runs the equivalent transaction beside the workloads.</summary>
    public AnchorScope Anchor { get; init; } = AnchorScope.Target;

    /// <summary>How many times the sequence of workloads repeats at each connection count (medians are reported).</summary>
    public required int Rounds { get; init; }
    public string? Output { get; init; }
    public required bool NoBuild { get; init; }
    public required bool KeepDatabase { get; init; }

    /// <summary>The command as typed, with secrets replaced, for the report.</summary>
    public required string CommandLine { get; init; }
}

/// <summary>An inclusive range of existing user ids, e.g. <c>1-1000000</c>.</summary>
internal readonly record struct UserRange(int First, int Last)
{
    public int Count => Last - First + 1;

    public static bool TryParse(string text, out UserRange range)
    {
        range = default;
        var dash = text.IndexOf('-', StringComparison.Ordinal);
        if (dash <= 0
            || !int.TryParse(text.AsSpan(0, dash), NumberStyles.None, CultureInfo.InvariantCulture, out var first)
            || !int.TryParse(text.AsSpan(dash + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var last)
            || first < 1 || last < first)
        {
            return false;
        }

        range = new UserRange(first, last);
        return true;
    }
}

internal static partial class SettingParsers
{
    /// <summary>Reads <c>10s</c>, <c>500ms</c>, <c>2m</c> or a bare number of seconds.</summary>
    public static bool TryParseDuration(string text, out TimeSpan duration)
    {
        duration = default;
        var match = DurationPattern().Match(text.Trim());
        if (!match.Success)
        {
            return false;
        }

        var value = double.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture);
        duration = match.Groups[2].Value switch
        {
            "ms" => TimeSpan.FromMilliseconds(value),
            "m" => TimeSpan.FromMinutes(value),
            _ => TimeSpan.FromSeconds(value),
        };
        return true;
    }

    public static bool TryParseConnections(string text, out IReadOnlyList<int> connections)
    {
        var list = new List<int>();
        foreach (var part in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (!int.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out var count) || count < 1 || count > LoadLimits.MaxConnections)
            {
                connections = [];
                return false;
            }

            if (!list.Contains(count))
            {
                list.Add(count);
            }
        }

        connections = list;
        return list.Count > 0;
    }

    /// <summary>Hides the values of options that carry secrets, so that the recorded command can be published.</summary>
    public static string Redact(IReadOnlyList<string> args)
    {
        var parts = new List<string>(args.Count);
        for (var i = 0; i < args.Count; i++)
        {
            var arg = args[i];
            var equals = arg.IndexOf('=', StringComparison.Ordinal);
            var name = arg.StartsWith("--", StringComparison.Ordinal) && equals > 0 ? arg[..equals] : arg;
            if (name is "--client-secret" or "--postgres")
            {
                var value = equals > 0 && name != arg ? arg[(equals + 1)..] : (i + 1 < args.Count ? args[++i] : "");
                var shown = name == "--postgres" ? PasswordPattern().Replace(value, "Password=***") : "***";
                parts.Add(name);
                parts.Add(Quote(shown));
                continue;
            }

            parts.Add(Quote(arg));
        }

        return string.Join(' ', parts);
    }

    private static string Quote(string value) =>
        value.Length > 0 && value.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' or '/' or ',' or ':' or '=')
            ? value
            : $"\"{value.Replace("\"", "\\\"", StringComparison.Ordinal)}\"";

    [GeneratedRegex(@"^(\d+(?:\.\d+)?)(ms|s|m)?$")]
    private static partial Regex DurationPattern();

    [GeneratedRegex(@"(?i)password\s*=\s*[^;]*")]
    private static partial Regex PasswordPattern();
}

/// <summary>Bounds on every loop of the tool, so that no setting can make it run away.</summary>
internal static class LoadLimits
{
    public const int MaxConnections = 1024;
    public const int MaxRounds = 20;
    public const int MaxUsers = 1_000_000;
    public static readonly TimeSpan MaxPhase = TimeSpan.FromMinutes(30);

    /// <summary>Per worker and phase; far above what a loopback run reaches in <see cref="MaxPhase"/>.</summary>
    public const long MaxOperationsPerWorker = 50_000_000;
    public static readonly TimeSpan ServerStartTimeout = TimeSpan.FromSeconds(90);
    public static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(30);
}
