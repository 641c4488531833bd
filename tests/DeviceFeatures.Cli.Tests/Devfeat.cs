using DeviceFeatures.Testing;

namespace DeviceFeatures.Cli.Tests;

/// <summary>Runs real devfeat command lines in-process, with their own environment, profile file and output.</summary>
internal sealed class Devfeat
{
    public Dictionary<string, string> Environment { get; } = new();

    public string ProfilePath { get; } = TestFiles.NewPath("profiles.json");

    public Func<HttpClient>? HttpClientFactory { get; set; }

    public TimeProvider Time { get; set; } = TimeProvider.System;

    public TimeSpan FollowInterval { get; set; } = TimeSpan.FromMilliseconds(50);

    /// <summary>False: standard input is a terminal, as when nothing is piped in.</summary>
    public bool InputRedirected { get; set; } = true;

    public static Devfeat For(DeviceFeaturesTestServer server, bool withCredentials = true, bool withAdminKey = true)
    {
        var devfeat = new Devfeat();
        devfeat.Environment["DEVFEAT_ENDPOINT"] = server.BaseAddress.ToString();
        if (withCredentials)
        {
            devfeat.Environment["DEVFEAT_CLIENT_ID"] = server.DefaultPartner.ClientId;
            devfeat.Environment["DEVFEAT_CLIENT_SECRET"] = server.DefaultPartner.ClientSecret;
        }

        if (withAdminKey)
        {
            devfeat.Environment["DEVFEAT_ADMIN_KEY"] = server.AdminKey;
        }

        return devfeat;
    }

    public Task<Run> RunAsync(string commandLine, string? input = null) =>
        RunUntilAsync(Split(commandLine), input, TestContext.Current.CancellationToken);

    public Task<Run> RunAsync(string[] args, string? input = null) => RunUntilAsync(args, input, TestContext.Current.CancellationToken);

    /// <summary>Runs until the command ends or <paramref name="cancellationToken"/> asks it to stop, as Ctrl+C does.</summary>
    public async Task<Run> RunUntilAsync(string[] args, string? input, CancellationToken cancellationToken, TextWriter? liveOutput = null)
    {
        var output = liveOutput ?? new StringWriter();
        var error = new StringWriter();
        var environment = new Dictionary<string, string>(Environment) { ["DEVFEAT_CONFIG"] = ProfilePath };
        var host = new CliHost
        {
            Out = output,
            Error = error,
            In = new StringReader(input ?? ""),
            IsInteractive = false,
            IsInputRedirected = InputRedirected,
            Environment = name => environment.GetValueOrDefault(name),
            Time = Time,
            FollowInterval = FollowInterval,
            CreateHttpClient = HttpClientFactory ?? (() => new HttpClient()),
        };
        var code = await DevfeatApp.RunAsync(args, host, cancellationToken);
        return new Run(code, output.ToString() ?? "", error.ToString());
    }

    public static string[] Split(string commandLine) => commandLine.Split(' ', StringSplitOptions.RemoveEmptyEntries);
}

internal sealed record Run(int ExitCode, string Out, string Error)
{
    public override string ToString() => $"exit {ExitCode}\n--- stdout\n{Out}\n--- stderr\n{Error}";
}

/// <summary>A string writer that a test may read while a command is still writing to it.</summary>
internal sealed class ConcurrentStringWriter : StringWriter
{
    private readonly Lock _lock = new();

    public override void Write(char value)
    {
        lock (_lock)
        {
            base.Write(value);
        }
    }

    public override void Write(string? value)
    {
        lock (_lock)
        {
            base.Write(value);
        }
    }

    public override void Write(char[] buffer, int index, int count)
    {
        lock (_lock)
        {
            base.Write(buffer, index, count);
        }
    }

    public override void Write(ReadOnlySpan<char> buffer)
    {
        lock (_lock)
        {
            base.Write(buffer);
        }
    }

    public override void WriteLine(string? value)
    {
        lock (_lock)
        {
            base.WriteLine(value);
        }
    }

    public override string ToString()
    {
        lock (_lock)
        {
            return base.ToString();
        }
    }
}
