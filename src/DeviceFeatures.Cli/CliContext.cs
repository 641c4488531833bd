using System.CommandLine;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using DeviceFeatures.Cli.Commands;
using DeviceFeatures.Cli.Configuration;
using DeviceFeatures.Client;
using DeviceFeatures.Client.Admin;
using Spectre.Console;
using Profile = DeviceFeatures.Cli.Configuration.Profile;

namespace DeviceFeatures.Cli;

/// <summary>A command that cannot go on; its message is for people, its code for scripts.</summary>
internal sealed class CliException(int exitCode, string message) : Exception(message)
{
    public int ExitCode { get; } = exitCode;
}

/// <summary>The options every command accepts.</summary>
internal static class GlobalOptions
{
    public static readonly Option<string?> Endpoint = new("--endpoint")
    {
        Description = "Service address, or local, withings, withings-us, withings-eu [env DEVFEAT_ENDPOINT; default http://127.0.0.1:5080]",
        Recursive = true,
    };

    public static readonly Option<string?> ClientId = new("--client-id")
    {
        Description = "Partner client id [env DEVFEAT_CLIENT_ID]",
        Recursive = true,
    };

    public static readonly Option<string?> ClientSecret = new("--client-secret")
    {
        Description = "Partner client secret; prefer the environment or a profile [env DEVFEAT_CLIENT_SECRET]",
        Recursive = true,
    };

    public static readonly Option<string?> Profile = new("--profile")
    {
        Description = "Profile written by 'devfeat configure' [env DEVFEAT_PROFILE; default 'default']",
        Recursive = true,
    };

    public static readonly Option<bool> Json = new Option<bool>("--json")
    {
        Description = "Write results as JSON on standard output",
        Recursive = true,
    }.Flag();

    public static readonly Option<string?> AdminKey = new("--admin-key")
    {
        Description = "Admin API key [env DEVFEAT_ADMIN_KEY]",
        Recursive = true,
    };

    public static readonly Option<string?> AdminUrl = new("--admin-url")
    {
        Description = "Admin API address when it differs from --endpoint [env DEVFEAT_ADMIN_URL]",
        Recursive = true,
    };

    public static IEnumerable<Option> All => [Endpoint, ClientId, ClientSecret, Profile, Json, AdminKey, AdminUrl];
}

/// <summary>What a running command needs: its settings, resolved once, and where to write.</summary>
internal sealed class CliContext
{
    public const string LocalEndpoint = "http://127.0.0.1:5080/";

    private static readonly JsonSerializerOptions JsonOptions = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        WriteIndented = true,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        TypeInfoResolver = new DefaultJsonTypeInfoResolver(),
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower) },
    };

    private static readonly JsonSerializerOptions CompactJsonOptions = new(JsonOptions) { WriteIndented = false };

    private readonly ParseResult _parse;
    private readonly Lazy<Profile> _profile;

    public CliContext(CliHost host, ParseResult parse)
    {
        Host = host;
        _parse = parse;
        ProfileName = parse.GetValue(GlobalOptions.Profile) is { Length: > 0 } profile ? profile
            : host.Environment("DEVFEAT_PROFILE") is { Length: > 0 } fromEnvironment ? fromEnvironment
            : "default";

        // Read only when a setting is needed, so that a broken profiles file does not stop 'catalog' or 'configure'.
        _profile = new(() => ProfileStore.Load(host.ProfilePath).GetValueOrDefault(ProfileName) ?? new Profile());
        Json = parse.GetValue(GlobalOptions.Json);
        Console = CreateConsole(host.Out, host.IsInteractive);
        Diagnostics = CreateConsole(host.Error, host.IsInteractive);
    }

    public CliHost Host { get; }

    public string ProfileName { get; }

    public bool Json { get; }

    /// <summary>Standard output: data.</summary>
    public IAnsiConsole Console { get; }

    /// <summary>Standard error: progress and diagnostics.</summary>
    public IAnsiConsole Diagnostics { get; }

    public Uri Endpoint => ResolveEndpoint(Setting(GlobalOptions.Endpoint, "DEVFEAT_ENDPOINT", _profile.Value.Endpoint) ?? LocalEndpoint);

    public DeviceFeaturesClient CreateClient(Action<DeviceFeaturesClientOptions>? configure = null)
    {
        var clientId = Setting(GlobalOptions.ClientId, "DEVFEAT_CLIENT_ID", _profile.Value.ClientId);
        var secret = Setting(GlobalOptions.ClientSecret, "DEVFEAT_CLIENT_SECRET", _profile.Value.ClientSecret);
        if (string.IsNullOrEmpty(clientId) || string.IsNullOrEmpty(secret))
        {
            throw new CliException(ExitCodes.NotConfigured,
                "No partner credentials: pass --client-id and --client-secret, set DEVFEAT_CLIENT_ID and DEVFEAT_CLIENT_SECRET, or run 'devfeat configure'.");
        }

        var options = new DeviceFeaturesClientOptions { BaseAddress = Endpoint, ClientId = clientId, ClientSecret = secret };
        configure?.Invoke(options);
        return new DeviceFeaturesClient(Host.CreateHttpClient(), options, Host.Time);
    }

    public DeviceFeaturesAdminClient CreateAdminClient()
    {
        var key = Setting(GlobalOptions.AdminKey, "DEVFEAT_ADMIN_KEY", _profile.Value.AdminKey);
        if (string.IsNullOrEmpty(key))
        {
            throw new CliException(ExitCodes.NotConfigured,
                "No admin key: pass --admin-key, set DEVFEAT_ADMIN_KEY, or run 'devfeat configure --admin'.");
        }

        var url = Setting(GlobalOptions.AdminUrl, "DEVFEAT_ADMIN_URL", _profile.Value.AdminUrl) is { } adminUrl ? ResolveEndpoint(adminUrl) : Endpoint;
        return Host.CreateAdminClient(url, key);
    }

    public void WriteJson<T>(T value) => Host.Out.WriteLine(JsonSerializer.Serialize(value, JsonOptions));

    public static string ToJson<T>(T value, bool indented = false) =>
        JsonSerializer.Serialize(value, indented ? JsonOptions : CompactJsonOptions);

    public void Diagnostic(string text) => Host.Error.WriteLine(text);

    /// <summary>Command line first, then the environment, then the profile.</summary>
    private string? Setting(Option<string?> option, string variable, string? fromProfile) =>
        _parse.GetValue(option) is { Length: > 0 } fromCommandLine ? fromCommandLine
        : Host.Environment(variable) is { Length: > 0 } fromEnvironment ? fromEnvironment
        : fromProfile;

    internal static Uri ResolveEndpoint(string endpoint) => endpoint.Trim().ToLowerInvariant() switch
    {
        "local" => new Uri(LocalEndpoint),
        "withings" => WithingsEndpoints.PublicCloud,
        "withings-us" => WithingsEndpoints.UsMedicalCloud,
        "withings-eu" => WithingsEndpoints.EuMedicalCloud,
        _ when Uri.TryCreate(endpoint.Trim(), UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps) => uri,
        _ => throw new CliException(ExitCodes.Usage, $"'{endpoint}' is not an endpoint: give an http(s) address, or local, withings, withings-us, withings-eu."),
    };

    private static IAnsiConsole CreateConsole(TextWriter writer, bool interactive)
    {
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(writer),
            Ansi = interactive ? AnsiSupport.Detect : AnsiSupport.No,
            ColorSystem = interactive ? ColorSystemSupport.Detect : ColorSystemSupport.NoColors,
            Interactive = interactive ? InteractionSupport.Detect : InteractionSupport.No,
        });

        // Piped output has no terminal width; keep tables on one line per row for tools like grep.
        if (!interactive)
        {
            console.Profile.Width = 200;
        }

        return console;
    }
}
