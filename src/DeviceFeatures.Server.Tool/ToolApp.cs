using System.CommandLine;
using Microsoft.AspNetCore.Builder;

namespace DeviceFeatures.Server.Tool;

/// <summary>The <c>devicefeatures</c> command line: <c>serve</c>, and <c>--version</c> from the root command.</summary>
internal static class ToolApp
{
    public static RootCommand Build(TextWriter output, TextWriter error, Action<WebApplication>? started = null) => new("""
        devicefeatures: the DeviceFeatures server as a local Withings "Enable features" API, for development and CI.

        'devicefeatures serve' runs it on http://127.0.0.1:5080 with a SQLite database in ./devicefeatures, the emulator's
        powers on (faults, journal, reset, snapshots, clock: see 'devfeat faults' and 'devfeat journal') and a demo partner,
        or the partners of a fixture given with --seed. The API's description is at /openapi/wire.json and /scalar.
        """)
    {
        ServeCommand.Create(output, error, started),
    };

    /// <summary>Runs the command line; <paramref name="started"/> is called with the server once it listens (tests find its port and stop it with it).</summary>
    public static async Task<int> RunAsync(string[] args, TextWriter output, TextWriter error, Action<WebApplication>? started = null)
    {
        var parse = Build(output, error, started).Parse(args);
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
