using System.CommandLine;
using DeviceFeatures.Client;
using Spectre.Console;

namespace DeviceFeatures.Cli.Commands;

/// <summary><c>enable</c>, <c>disable</c>, <c>list</c>, <c>status</c> and <c>nonce</c>: the partner's calls.</summary>
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

    /// <summary><c>status</c>: whether the user's devices run what was chosen (getfeaturestatus, an extension).</summary>
    public static Command Status(CliHost host)
    {
        var user = Arguments.User();
        var model = Arguments.Model();
        var feature = new Option<string?>("--feature", "-f") { Description = "Only this feature (with or without its prefix)" };
        var command = new Command("status", "Whether the user's devices of a model run what was chosen: in sync, pending, failed (getfeaturestatus)")
        {
            user, model, feature,
        };
        return command.Runs(host, async (context, parse, ct) =>
        {
            var userId = parse.GetValue(user);
            var deviceModel = Arguments.ParseModel(parse.GetValue(model)!);
            var featureName = parse.GetValue(feature) is { } text ? Arguments.ParseFeature(text) : default(FeatureName?);
            var devices = await context.CreateClient().GetFeatureStatusAsync(userId, deviceModel, featureName, ct);
            if (context.Json)
            {
                context.WriteJson(new
                {
                    userid = userId,
                    model = deviceModel.Id,
                    devices = devices.Select(d => new
                    {
                        mac_address = d.MacAddress,
                        last_seen = d.LastSeen,
                        firmware = d.Firmware,
                        features = d.Features.Select(f => new
                        {
                            feature_name = f.Name.Value,
                            status = f.Status.Value,
                            active = f.Active,
                            version = f.Version,
                            reported_version = f.ReportedVersion,
                            reported_active = f.ReportedActive,
                            reason = f.Reason,
                            reported_at = f.ReportedAt,
                        }),
                    }),
                });
                return ExitCodes.Success;
            }

            if (devices.Count == 0)
            {
                context.Diagnostic($"User {userId} has no device of {Arguments.Describe(deviceModel)}.");
                return ExitCodes.Success;
            }

            foreach (var device in devices)
            {
                var seen = device.LastSeen is { } at ? $"last seen {at.UtcDateTime:yyyy-MM-dd HH:mm:ss}Z" : "never seen";
                var title = $"{device.MacAddress} {Arguments.Describe(deviceModel)}, firmware {device.Firmware ?? "unknown"}, {seen}";
                var table = new Table { Title = new TableTitle(Markup.Escape(title)) }
                    .AddColumns("feature", "status", "desired", "reported", "version", "reason");
                foreach (var f in device.Features)
                {
                    var reported = f.ReportedActive is { } on ? (on ? "on" : "off") : "";
                    var version = f.ReportedVersion is { } v ? $"{v}/{f.Version}" : $"-/{f.Version}";
                    table.AddRow(Markup.Escape(f.Name.Value), Markup.Escape(f.Status.Value), f.Active ? "on" : "off", reported, version, Markup.Escape(f.Reason ?? ""));
                }

                context.Console.Write(table);
            }

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
