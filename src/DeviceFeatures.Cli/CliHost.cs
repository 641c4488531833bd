using DeviceFeatures.Client.Admin;

namespace DeviceFeatures.Cli;

/// <summary>
/// Everything devfeat takes from its surroundings, so that tests can run real command lines in-process:
/// standard streams, environment, the profile file, the HTTP handler and the clock.
/// </summary>
internal sealed class CliHost
{
    private readonly TextWriter _out = TextWriter.Null;
    private readonly TextWriter _error = TextWriter.Null;

    // Bulk workers report from several threads at once: every write goes through a lock, whatever writer is
    // given (the console's are already synchronized; a test's string writer is not, and would lose lines).
    public required TextWriter Out { get => _out; init => _out = TextWriter.Synchronized(value); }

    public required TextWriter Error { get => _error; init => _error = TextWriter.Synchronized(value); }

    public TextReader In { get; init; } = TextReader.Null;

    /// <summary>Whether a person is at the terminal: prompts and live progress only then.</summary>
    public bool IsInteractive { get; init; }

    public Func<string, string?> Environment { get; init; } = System.Environment.GetEnvironmentVariable;

    public TimeProvider Time { get; init; } = TimeProvider.System;

    /// <summary>Creates the HTTP client every command sends with (tests point it at an in-process server).</summary>
    public Func<HttpClient> CreateHttpClient { get; init; } = () => new HttpClient { Timeout = Timeout.InfiniteTimeSpan };

    /// <summary>How long <c>admin audit --follow</c> waits between polls.</summary>
    public TimeSpan FollowInterval { get; init; } = TimeSpan.FromSeconds(2);

    public string ProfilePath =>
        Environment("DEVFEAT_CONFIG") is { Length: > 0 } path
            ? path
            : Path.Combine(
                Environment("XDG_CONFIG_HOME") is { Length: > 0 } xdg ? xdg : Path.Combine(System.Environment.GetFolderPath(System.Environment.SpecialFolder.UserProfile), ".config"),
                "devfeat",
                "profiles.json");

    public static CliHost FromProcess() => new()
    {
        Out = Console.Out,
        Error = Console.Error,
        In = Console.In,
        IsInteractive = !Console.IsInputRedirected && !Console.IsErrorRedirected,
    };

    public DeviceFeaturesAdminClient CreateAdminClient(Uri baseAddress, string adminKey)
    {
        // The partner client times each attempt itself; admin calls need a limit of their own.
        var http = CreateHttpClient();
        http.Timeout = TimeSpan.FromSeconds(60);
        return new DeviceFeaturesAdminClient(http, baseAddress, adminKey);
    }
}
