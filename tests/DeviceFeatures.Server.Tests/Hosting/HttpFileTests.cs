using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using DeviceFeatures.Server.Tests.Infrastructure;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;

namespace DeviceFeatures.Server.Tests.Hosting;

/// <summary>Runs alone: the demo data the file needs prints its walkthrough to the console, which StartupTests captures.</summary>
[CollectionDefinition(nameof(HttpFileTests), DisableParallelization = true)]
public sealed class HttpFileTestsRunAlone;

/// <summary>
/// The .http file beside the server works from top to bottom, without editing, against the Development server:
/// every request is sent in order, as Visual Studio or the VS Code REST Client sends it, with the file's variables,
/// <c>{{$timestamp}}</c>, <c>{{$datetime}}</c>, <c>{{$randomInt}}</c> and the answers of named requests filled in.
/// </summary>
[Collection(nameof(HttpFileTests))]
public sealed partial class HttpFileTests
{
    /// <summary>The file, from the repository's root.</summary>
    public const string HttpFile = "src/DeviceFeatures.Host/DeviceFeatures.Host.http";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>The server as <c>dotnet run</c> starts it (Development settings, demo data, real clock), on a database of its own.</summary>
    private sealed class DevelopmentServer(TestDatabase database) : WebApplicationFactory<Program>
    {
        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            builder.UseEnvironment("Development");
            builder.UseSetting("Storage:ConnectionString", database.ConnectionString);
        }
    }

    [Fact]
    public async Task EveryRequest_InOrder_SucceedsAgainstTheDevelopmentServer()
    {
        var lines = await File.ReadAllLinesAsync(Path.Combine(RepositoryRoot(), HttpFile), Ct);
        var (variables, requests) = HttpFileParser.Parse(lines);
        Assert.Equal(lines.Count(l => Method().IsMatch(l)), requests.Count);

        using var database = new SqliteTestDatabase();
        using var server = new DevelopmentServer(database);
        server.UseKestrel(0);
        server.StartServer();
        using var factoryClient = server.CreateClient();
        variables["host"] = factoryClient.BaseAddress!.ToString().TrimEnd('/');

        using var http = new HttpClient();
        var answers = new Dictionary<string, JsonElement>();
        foreach (var request in requests)
        {
            var what = $"request '{request.Title}' ({request.Method} {request.Url})";
            string Fill(string text) => HttpFileParser.Substitute(text, variables, answers, what);

            using var message = new HttpRequestMessage(new HttpMethod(request.Method), Fill(request.Url));
            string? contentType = null;
            foreach (var (name, value) in request.Headers)
            {
                if (name.Equals("Content-Type", StringComparison.OrdinalIgnoreCase))
                {
                    contentType = Fill(value);
                }
                else
                {
                    Assert.True(message.Headers.TryAddWithoutValidation(name, Fill(value)), $"{what}: header {name}");
                }
            }

            if (request.Body is not null)
            {
                message.Content = new ByteArrayContent(Encoding.UTF8.GetBytes(Fill(request.Body)));
                if (contentType is not null)
                {
                    message.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
                }
            }

            using var response = await http.SendAsync(message, Ct);
            var text = await response.Content.ReadAsStringAsync(Ct);
            Assert.True(response.IsSuccessStatusCode, $"{what}: HTTP {(int)response.StatusCode}\n{text}");

            // A wire answer is HTTP 200 whatever happened: its status must be 0, or the one the request's title announces.
            if (message.RequestUri!.AbsolutePath.StartsWith("/v2/", StringComparison.Ordinal))
            {
                var expected = AnnouncedStatus().Match(request.Title) is { Success: true } announced
                    ? int.Parse(announced.Groups[1].Value, CultureInfo.InvariantCulture)
                    : 0;
                Assert.True(expected == JsonDocument.Parse(text).RootElement.GetProperty("status").GetInt32(), $"{what}: expected status {expected}\n{text}");
            }

            if (request.Name is { } requestName)
            {
                answers[requestName] = JsonDocument.Parse(text).RootElement.Clone();
            }
        }
    }

    private static string RepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "DeviceFeatures.slnx")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException($"No DeviceFeatures.slnx above {AppContext.BaseDirectory}.");
    }

    [GeneratedRegex(@"answers status (\d+)")]
    private static partial Regex AnnouncedStatus();

    [GeneratedRegex("^(GET|POST|PUT|PATCH|DELETE|HEAD|OPTIONS) ")]
    private static partial Regex Method();
}

/// <summary>One request of a .http file: what follows a <c>###</c> line.</summary>
internal sealed record HttpFileRequest(string Title, string? Name, string Method, string Url, List<(string Name, string Value)> Headers, string? Body);

/// <summary>
/// The part of the .http format (Visual Studio 2022, VS Code REST Client) that the server's file uses: <c>@name = value</c>
/// variables, <c>###</c> separators, <c># @name</c>, comments, request line, headers, a body after a blank line.
/// </summary>
internal static partial class HttpFileParser
{
    public static (Dictionary<string, string> Variables, List<HttpFileRequest> Requests) Parse(string[] lines)
    {
        var variables = new Dictionary<string, string>(StringComparer.Ordinal);
        var requests = new List<HttpFileRequest>();
        var i = 0;
        string title = "";
        while (i < lines.Length)
        {
            var line = lines[i].Trim();
            if (line.StartsWith("###", StringComparison.Ordinal))
            {
                title = line.TrimStart('#').Trim();
                i++;
                continue;
            }

            if (VariableLine().Match(line) is { Success: true } variable)
            {
                variables[variable.Groups[1].Value] = variable.Groups[2].Value.Trim();
                i++;
                continue;
            }

            string? name = null;
            while (i < lines.Length && (lines[i].Trim().Length == 0 || IsComment(lines[i])) && !lines[i].TrimStart().StartsWith("###", StringComparison.Ordinal))
            {
                if (NameLine().Match(lines[i].Trim()) is { Success: true } named)
                {
                    name = named.Groups[1].Value;
                }

                i++;
            }

            if (i >= lines.Length || lines[i].TrimStart().StartsWith("###", StringComparison.Ordinal) || VariableLine().IsMatch(lines[i].Trim()))
            {
                continue;
            }

            // METHOD URL [HTTP/version]: the URL is everything between, placeholders with spaces included.
            var requestLine = RequestLine().Match(lines[i++].Trim());
            var headers = new List<(string, string)>();
            while (i < lines.Length && lines[i].Trim().Length > 0 && !lines[i].TrimStart().StartsWith("###", StringComparison.Ordinal))
            {
                if (!IsComment(lines[i]))
                {
                    var colon = lines[i].IndexOf(':', StringComparison.Ordinal);
                    headers.Add((lines[i][..colon].Trim(), lines[i][(colon + 1)..].Trim()));
                }

                i++;
            }

            var body = new List<string>();
            while (i < lines.Length && !lines[i].TrimStart().StartsWith("###", StringComparison.Ordinal))
            {
                body.Add(lines[i++]);
            }

            var text = string.Join('\n', body).Trim();
            requests.Add(new HttpFileRequest(title, name, requestLine.Groups[1].Value, requestLine.Groups[2].Value, headers, text.Length == 0 ? null : text));
        }

        return (variables, requests);
    }

    /// <summary>Fills in every <c>{{...}}</c> of <paramref name="text"/>, the way the editors do.</summary>
    public static string Substitute(string text, IReadOnlyDictionary<string, string> variables, IReadOnlyDictionary<string, JsonElement> answers, string what) =>
        Placeholder().Replace(text, match =>
        {
            var expression = match.Groups[1].Value.Trim();
            var words = expression.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            var now = DateTimeOffset.UtcNow;
            switch (words[0])
            {
                case "$timestamp":
                    return now.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
                case "$datetime" when words.Length >= 2 && words[1] == "iso8601":
                    var at = words.Length == 4 ? Offset(now, int.Parse(words[2], CultureInfo.InvariantCulture), words[3]) : now;
                    return at.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);
                case "$randomInt" when words.Length == 3:
                    return Random.Shared.Next(int.Parse(words[1], CultureInfo.InvariantCulture), int.Parse(words[2], CultureInfo.InvariantCulture))
                        .ToString(CultureInfo.InvariantCulture);
            }

            if (ResponseBody().Match(expression) is { Success: true } reference)
            {
                Assert.True(answers.TryGetValue(reference.Groups[1].Value, out var answer), $"{what}: '{reference.Groups[1].Value}' has not been sent before it");
                foreach (Match step in PathStep().Matches(reference.Groups[2].Value))
                {
                    var found = step.Groups["index"].Success
                        ? answer.ValueKind == JsonValueKind.Array && int.Parse(step.Groups["index"].Value, CultureInfo.InvariantCulture) < answer.GetArrayLength()
                        : answer.ValueKind == JsonValueKind.Object && answer.TryGetProperty(step.Groups["name"].Value, out _);
                    Assert.True(found, $"{what}: no {expression} in {answers[reference.Groups[1].Value]}");
                    answer = step.Groups["index"].Success
                        ? answer[int.Parse(step.Groups["index"].Value, CultureInfo.InvariantCulture)]
                        : answer.GetProperty(step.Groups["name"].Value);
                }

                return answer.ValueKind == JsonValueKind.String ? answer.GetString()! : answer.GetRawText();
            }

            Assert.True(variables.TryGetValue(expression, out var value), $"{what}: no variable '{expression}'");
            return Substitute(value, variables, answers, what);
        });

    private static DateTimeOffset Offset(DateTimeOffset now, int amount, string unit) => unit switch
    {
        "y" => now.AddYears(amount),
        "M" => now.AddMonths(amount),
        "w" => now.AddDays(7 * amount),
        "d" => now.AddDays(amount),
        "h" => now.AddHours(amount),
        "m" => now.AddMinutes(amount),
        "s" => now.AddSeconds(amount),
        "ms" => now.AddMilliseconds(amount),
        _ => throw new FormatException($"Unknown $datetime offset unit '{unit}'."),
    };

    private static bool IsComment(string line) =>
        line.TrimStart().StartsWith('#') || line.TrimStart().StartsWith("//", StringComparison.Ordinal);

    [GeneratedRegex(@"^([A-Z]+)\s+(.+?)(?:\s+HTTP/[0-9.]+)?$")]
    private static partial Regex RequestLine();

    [GeneratedRegex(@"^@([A-Za-z0-9_]+)\s*=\s*(.*)$")]
    private static partial Regex VariableLine();

    [GeneratedRegex(@"^(?:#|//)\s*@name\s+(\S+)$")]
    private static partial Regex NameLine();

    [GeneratedRegex(@"\{\{(.+?)\}\}")]
    private static partial Regex Placeholder();

    [GeneratedRegex(@"^([A-Za-z0-9_]+)\.response\.body\.\$((?:\.[A-Za-z0-9_]+|\[[0-9]+\])*)$")]
    private static partial Regex ResponseBody();

    /// <summary>One step of a JSONPath: <c>.name</c> or <c>[index]</c>.</summary>
    [GeneratedRegex(@"\.(?<name>[A-Za-z0-9_]+)|\[(?<index>[0-9]+)\]")]
    private static partial Regex PathStep();
}
