using System.CommandLine;
using DeviceFeatures.Cli.Configuration;
using Spectre.Console;
using Profile = DeviceFeatures.Cli.Configuration.Profile;

namespace DeviceFeatures.Cli.Commands;

/// <summary>
/// <c>configure</c>: writes a profile. Asks at the terminal (the secret is typed without echo), or takes options and
/// reads secrets from standard input for scripts. Secrets are never printed.
/// </summary>
internal static class ConfigureCommand
{
    public static Command Create(CliHost host)
    {
        var secretFromStdin = new Option<bool>("--client-secret-stdin") { Description = "Read the client secret from standard input" }.Flag();
        var admin = new Option<bool>("--admin") { Description = "Also set the admin API address and key" }.Flag();
        var adminKeyFromStdin = new Option<bool>("--admin-key-stdin") { Description = "Read the admin key from standard input" }.Flag();
        var command = new Command("configure", "Save endpoint and credentials in a profile (~/.config/devfeat/profiles.json)")
        {
            secretFromStdin, admin, adminKeyFromStdin,
        };

        return command.Runs(host, (context, parse, cancellationToken) =>
        {
            var path = host.ProfilePath;
            var profiles = ProfileStore.Load(path);
            var profile = profiles.GetValueOrDefault(context.ProfileName) ?? new Profile();
            var prompt = host.IsInteractive ? context.Diagnostics : null;

            profile.Endpoint = parse.GetValue(GlobalOptions.Endpoint)
                ?? Ask(prompt, "Endpoint (an address, or local / withings / withings-us / withings-eu)", profile.Endpoint ?? "local");
            CliContext.ResolveEndpoint(profile.Endpoint ?? "local");
            profile.ClientId = parse.GetValue(GlobalOptions.ClientId) ?? Ask(prompt, "Client id", profile.ClientId);
            profile.ClientSecret = parse.GetValue(GlobalOptions.ClientSecret)
                ?? (parse.GetValue(secretFromStdin) ? host.In.ReadLine()?.Trim() : AskSecret(prompt, "Client secret", profile.ClientSecret));

            if (parse.GetValue(admin) || parse.GetValue(adminKeyFromStdin) || parse.GetValue(GlobalOptions.AdminKey) is not null || parse.GetValue(GlobalOptions.AdminUrl) is not null)
            {
                profile.AdminUrl = parse.GetValue(GlobalOptions.AdminUrl) ?? (prompt is null ? profile.AdminUrl : Ask(prompt, "Admin API address (empty: same as endpoint)", profile.AdminUrl ?? ""));
                profile.AdminUrl = string.IsNullOrWhiteSpace(profile.AdminUrl) ? null : profile.AdminUrl;
                profile.AdminKey = parse.GetValue(GlobalOptions.AdminKey)
                    ?? (parse.GetValue(adminKeyFromStdin) ? host.In.ReadLine()?.Trim() : AskSecret(prompt, "Admin key", profile.AdminKey));
            }

            profiles[context.ProfileName] = profile;
            ProfileStore.Save(path, profiles);
            context.Diagnostic($"Saved profile '{context.ProfileName}' to {path} (readable by you only).");
            if (context.Json)
            {
                context.WriteJson(new
                {
                    profile = context.ProfileName,
                    path,
                    endpoint = profile.Endpoint,
                    client_id = profile.ClientId,
                    client_secret_set = !string.IsNullOrEmpty(profile.ClientSecret),
                    admin_key_set = !string.IsNullOrEmpty(profile.AdminKey),
                });
            }

            return Task.FromResult(ExitCodes.Success);
        });
    }

    private static string? Ask(IAnsiConsole? console, string question, string? current)
    {
        if (console is null)
        {
            return current;
        }

        var prompt = new TextPrompt<string>(Markup.Escape(question)).AllowEmpty();
        if (!string.IsNullOrEmpty(current))
        {
            prompt.DefaultValue(current);
        }

        var answer = console.Prompt(prompt);
        return string.IsNullOrWhiteSpace(answer) ? current : answer.Trim();
    }

    private static string? AskSecret(IAnsiConsole? console, string question, string? current)
    {
        if (console is null)
        {
            return current;
        }

        var hint = string.IsNullOrEmpty(current) ? "" : " (Enter keeps the saved one)";
        var answer = console.Prompt(new TextPrompt<string>(Markup.Escape(question + hint)).Secret().AllowEmpty());
        return string.IsNullOrWhiteSpace(answer) ? current : answer.Trim();
    }
}
