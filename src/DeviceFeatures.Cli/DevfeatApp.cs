using System.CommandLine;
using DeviceFeatures.Cli.Bulk;
using DeviceFeatures.Cli.Commands;

namespace DeviceFeatures.Cli;

/// <summary>The devfeat command line: the commands, and how a run turns into an exit code.</summary>
internal static class DevfeatApp
{
    public static RootCommand Build(CliHost host)
    {
        var root = new RootCommand($"""
            devfeat: switch Withings device features for your users, and operate a DeviceFeatures server.

            Settings come from options, then the environment (DEVFEAT_ENDPOINT, DEVFEAT_CLIENT_ID, DEVFEAT_CLIENT_SECRET,
            DEVFEAT_ADMIN_KEY, DEVFEAT_ADMIN_URL), then the profile chosen by --profile or DEVFEAT_PROFILE in the file
            written by 'devfeat configure' (DEVFEAT_CONFIG, else $XDG_CONFIG_HOME/devfeat/profiles.json, else
            ~/.config/devfeat/profiles.json).

            {ExitCodes.HelpText}
            """)
        {
            ConfigureCommand.Create(host),
            FeatureCommands.Enable(host),
            FeatureCommands.Disable(host),
            FeatureCommands.List(host),
            FeatureCommands.Status(host),
            CatalogCommand.Create(host),
            BulkCommand.Create(host),
            FeatureCommands.Nonce(host),
            DeviceCommands.Partner(host),
            SimulateCommands.Create(host),
            UserCommands.Create(host),
            AdminCommands.Create(host),
            EmulatorCommands.Create(host),
            FaultCommands.Faults(host),
            FaultCommands.Journal(host),
        };
        foreach (var option in GlobalOptions.All)
        {
            root.Options.Add(option);
        }

        return root;
    }

    public static async Task<int> RunAsync(string[] args, CliHost host, CancellationToken cancellationToken = default)
    {
        var parse = Build(host).Parse(args);
        if (parse.Errors.Count > 0)
        {
            foreach (var error in parse.Errors)
            {
                await host.Error.WriteLineAsync($"error: {error.Message}");
            }

            await host.Error.WriteLineAsync("See 'devfeat --help'.");
            return ExitCodes.Usage;
        }

        return await parse.InvokeAsync(new InvocationConfiguration { Output = host.Out, Error = host.Error }, cancellationToken);
    }
}
