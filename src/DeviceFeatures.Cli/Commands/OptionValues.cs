using System.CommandLine;
using System.CommandLine.Parsing;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;

namespace DeviceFeatures.Cli.Commands;

/// <summary>
/// How option values that are not plain text are read. Every such option reads through here, so that a value that
/// cannot be read is answered in words ("--user: 'abc' is not a user id ...") rather than with the .NET type
/// System.CommandLine would name.
/// </summary>
internal static class OptionValues
{
    public delegate bool TryParse<T>(string text, [MaybeNullWhen(false)] out T value);

    public const string UserId = "a user id (a whole number above 0, e.g. 12345)";

    /// <summary>Reads the option's value with <paramref name="parse"/>, or refuses it as not <paramref name="expected"/>.</summary>
    public static Option<T> Reads<T>(this Option<T> option, string expected, TryParse<T> parse)
    {
        option.CustomParser = result => Read(result, option.Name, expected, parse);
        return option;
    }

    /// <summary>An on/off option: present means true, and <c>--json=false</c> is still understood.</summary>
    public static Option<bool> Flag(this Option<bool> option)
    {
        option.CustomParser = result => result.Tokens.Count == 0 || Read<bool>(result, option.Name, "true or false (or nothing: the option alone means true)", ParseBool);
        return option;
    }

    public static bool TryUserId(string text, out int value) => TryWholeNumber(text, 1, int.MaxValue, out value);

    public static TryParse<int> WholeNumber(int min, int max) => (string text, out int value) => TryWholeNumber(text, min, max, out value);

    /// <summary>An optional value: parsed as <typeparamref name="T"/> when given.</summary>
    public static TryParse<T?> Optional<T>(TryParse<T> parse)
        where T : struct =>
        (string text, out T? value) =>
        {
            var ok = parse(text, out var parsed);
            value = ok ? parsed : null;
            return ok;
        };

    /// <summary>ISO 8601; a time without an offset is UTC, as the admin API reads it.</summary>
    public static bool TryTime(string text, out DateTimeOffset value) =>
        DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out value);

    public static bool TryFile(string text, [MaybeNullWhen(false)] out FileInfo value)
    {
        value = null;
        if (string.IsNullOrWhiteSpace(text))
        {
            return false;
        }

        try
        {
            value = new FileInfo(text);
            return true;
        }
        catch (Exception ex) when (ex is ArgumentException or NotSupportedException or PathTooLongException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    /// <summary>A duration: <c>90s</c>, <c>500ms</c>, <c>2m</c>, <c>1h</c>, or a bare number of seconds; never negative.</summary>
    public static bool TryDuration(string text, out TimeSpan value)
    {
        value = default;
        text = text.Trim();
        var (number, unit) = text.EndsWith("ms", StringComparison.Ordinal) ? (text[..^2], 0.001)
            : text.EndsWith('s') ? (text[..^1], 1.0)
            : text.EndsWith('m') ? (text[..^1], 60.0)
            : text.EndsWith('h') ? (text[..^1], 3600.0)
            : (text, 1.0);
        if (!double.TryParse(number, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var amount) || amount * unit > TimeSpan.FromDays(1).TotalSeconds)
        {
            return false;
        }

        value = TimeSpan.FromSeconds(amount * unit);
        return true;
    }

    private static bool TryWholeNumber(string text, int min, int max, out int value) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out value) && value >= min && value <= max;

    private static bool ParseBool(string text, out bool value) => bool.TryParse(text, out value);

    private static T? Read<T>(ArgumentResult result, string name, string expected, TryParse<T> parse)
    {
        // Arity is checked before: an option that takes one value has at most one token here.
        var text = result.Tokens.Count == 0 ? "" : result.Tokens[^1].Value;
        if (parse(text, out var value))
        {
            return value;
        }

        result.AddError($"{name}: '{text}' is not {expected}.");
        return default;
    }
}
