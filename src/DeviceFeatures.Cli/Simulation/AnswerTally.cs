using System.Collections.Concurrent;
using System.Globalization;

namespace DeviceFeatures.Cli.Simulation;

/// <summary>
/// The server's answers counted by kind ("GET configuration 304", "POST report 401 device_nonce_reused",
/// "enablefeature status 0"), shared by every simulated device and the change maker: what a fleet run reports.
/// </summary>
internal sealed class AnswerTally
{
    private readonly ConcurrentDictionary<string, long> _counts = new(StringComparer.Ordinal);

    public void Add(string kind) => _counts.AddOrUpdate(kind, 1, static (_, n) => n + 1);

    public long this[string kind] => _counts.GetValueOrDefault(kind);

    /// <summary>Answers of the device API (pulls and reports) of any kind.</summary>
    public long DeviceRequests => _counts.Where(c => c.Key.StartsWith("GET ", StringComparison.Ordinal) || c.Key.StartsWith("POST ", StringComparison.Ordinal)).Sum(c => c.Value);

    public IReadOnlyList<KeyValuePair<string, long>> Counts => _counts.OrderBy(c => c.Key, StringComparer.Ordinal).ToArray();

    public static string Pull(int status, string? code = null) => Kind("GET configuration", status, code);

    public static string Report(int status, string? code = null) => Kind("POST report", status, code);

    private static string Kind(string request, int status, string? code) =>
        code is null ? $"{request} {status.ToString(CultureInfo.InvariantCulture)}" : $"{request} {status.ToString(CultureInfo.InvariantCulture)} {code}";
}
