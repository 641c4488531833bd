using System.CommandLine;
using Microsoft.AspNetCore.Builder;

namespace DeviceFeatures.Server.Tool;

/// <summary>The <c>devicefeatures</c> command line: <c>serve</c>, and <c>--version</c> from the root command.</summary>
internal static class ToolApp
{
    public static RootCommand Build(TextWriter output, TextWriter error, Action<WebApplication>? started = null, IReadOnlyList<string>? serverSettings = null) => new("""
        devicefeatures: the DeviceFeatures server as a local Withings "Enable features" API, for development and CI.

        'devicefeatures serve' runs it on http://127.0.0.1:5080 with a SQLite database in ./devicefeatures, the emulator's
        powers on (faults, journal, reset, snapshots, clock: see 'devfeat faults' and 'devfeat journal') and a demo partner,
        or the partners of a fixture given with --seed. The API's description is at /openapi/wire.json and /scalar.
        """)
    {
        ServeCommand.Create(output, error, started, serverSettings ?? []),
    };

    /// <summary>Runs the command line; <paramref name="started"/> is called with the server once it listens (tests find its port and stop it with it).</summary>
    /// <remarks>
    /// What follows the first <c>--</c> is the server's own settings, passed on as they are; everything before it is
    /// the tool's, and an option it does not know is an error (a misspelt <c>--admin-key</c> must not start a server
    /// on the public key).
    /// </remarks>
    public static async Task<int> RunAsync(string[] args, TextWriter output, TextWriter error, Action<WebApplication>? started = null)
    {
        var separator = Array.IndexOf(args, "--");
        var (own, serverSettings) = separator < 0 ? (args, Array.Empty<string>()) : (args[..separator], args[(separator + 1)..]);
        var parse = Build(output, error, started, serverSettings).Parse(own);
        if (parse.Errors.Count > 0)
        {
            foreach (var problem in parse.Errors)
            {
                await error.WriteLineAsync($"error: {problem.Message}");
            }

            await error.WriteLineAsync("See 'devicefeatures --help'.");
            return ServeCommand.UsageExitCode;
        }

        // No Ctrl+C handling here: the server's own lifetime stops it cleanly.
        return await parse.InvokeAsync(new InvocationConfiguration { Output = output, Error = error, ProcessTerminationTimeout = null });
    }
}
