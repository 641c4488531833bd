using System.CommandLine;
using Spectre.Console;

namespace DeviceFeatures.Cli.Commands;

/// <summary><c>enable</c>, <c>disable</c>, <c>list</c> and <c>nonce</c>: the partner's calls.</summary>
internal static class FeatureCommands
{
    public static Command Enable(CliHost host) => Switch(host, "enable", "Activate a feature on a user's device model (enablefeature)", true);

    public static Command Disable(CliHost host) => Switch(host, "disable", "Deactivate a feature on a user's device model (disablefeature)", false);

    private static Command Switch(CliHost host, string name, string description, bool active)
    {
        var feature = Arguments.Feature();
        var user = Arguments.User();
        var model = Arguments.Model();
        var command = new Command(name, description) { feature, user, model };
        return command.Runs(host, async (context, parse, ct) =>
        {
            var featureName = Arguments.ParseFeature(parse.GetValue(feature)!);
            var deviceModel = Arguments.ParseModel(parse.GetValue(model)!);
            var userId = parse.GetValue(user);
            var client = context.CreateClient();
            if (active)
            {
                await client.EnableFeatureAsync(userId, deviceModel, featureName, ct);
            }
            else
            {
                await client.DisableFeatureAsync(userId, deviceModel, featureName, ct);
            }

            if (context.Json)
            {
                context.WriteJson(new { userid = userId, model = deviceModel.Id, feature_name = featureName.Value, active });
            }
            else
            {
                context.Console.WriteLine($"{(active ? "enabled" : "disabled")} {featureName} for user {userId} on {Arguments.Describe(deviceModel)}");
            }

            return ExitCodes.Success;
        });
    }

    public static Command List(CliHost host)
    {
        var user = Arguments.User();
        var model = Arguments.Model();
        var command = new Command("list", "List the feature choices recorded for a user's device model (getfeatures)") { user, model };
        return command.Runs(host, async (context, parse, ct) =>
        {
            var userId = parse.GetValue(user);
            var deviceModel = Arguments.ParseModel(parse.GetValue(model)!);
            var features = await context.CreateClient().GetFeaturesAsync(userId, deviceModel, ct);
            if (context.Json)
            {
                context.WriteJson(new
                {
                    userid = userId,
                    model = deviceModel.Id,
                    features = features.Select(f => new { feature_name = f.Name.Value, active = f.Active }),
                });
                return ExitCodes.Success;
            }

            if (features.Count == 0)
            {
                context.Diagnostic($"No choice recorded for user {userId} on {Arguments.Describe(deviceModel)}: every feature runs with its default (see 'devfeat catalog').");
                return ExitCodes.Success;
            }

            var table = new Table().AddColumn("feature").AddColumn("active");
            foreach (var f in features)
            {
                table.AddRow(Markup.Escape(f.Name.Value), f.Active ? "on" : "off");
            }

            context.Console.Write(table);
            return ExitCodes.Success;
        });
    }

    public static Command Nonce(CliHost host)
    {
        var command = new Command("nonce", "Get a nonce (getnonce), to check credentials and clock");
        return command.Runs(host, async (context, _, ct) =>
        {
            var nonce = await context.CreateClient().GetNonceAsync(ct);
            if (context.Json)
            {
                context.WriteJson(new { nonce });
            }
            else
            {
                context.Console.WriteLine(nonce);
            }

            return ExitCodes.Success;
        });
    }
}
