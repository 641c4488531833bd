using System.CommandLine;
using System.Globalization;
using DeviceFeatures.Client;
using Spectre.Console;

namespace DeviceFeatures.Cli.Commands;

/// <summary><c>users activate</c> and <c>users get</c>: a partner's users (<c>/v2/user</c>).</summary>
internal static class UserCommands
{
    public static Command Create(CliHost host) => new("users", "Your users: activate one with the devices shipped to it, or read one's profile")
    {
        Activate(host),
        Get(host),
    };

    private static Command Activate(CliHost host)
    {
        var externalId = new Option<string>("--external-id") { Description = "Your own identifier of the user", Required = true };
        var macs = new Option<string[]>("--mac")
        {
            Description = "MAC address of a device shipped to the user (repeat for each, a hub's included)",
            Required = true,
            AllowMultipleArgumentsPerToken = false,
        };
        var email = new Option<string>("--email") { Description = "The user's email address", Required = true };
        var shortName = new Option<string>("--shortname") { Description = "3 letters or digits shown on the devices, e.g. ROB", Required = true };
        var birthdate = new Option<DateOnly>("--birthdate") { Description = "Birth date, yyyy-MM-dd", Required = true }
            .Reads("a date such as 1980-05-17", TryDate);
        var gender = new Option<UserGender>("--gender") { Description = "man or woman", Required = true }
            .Reads("man or woman", TryGender);
        var height = new Option<decimal>("--height") { Description = "Height in metres, e.g. 1.83", Required = true }
            .Reads("a height in metres such as 1.83", TryDecimal);
        var weight = new Option<decimal>("--weight") { Description = "Weight in kilograms, e.g. 82.5", Required = true }
            .Reads("a weight in kilograms such as 82.5", TryDecimal);
        var timezone = new Option<string>("--timezone") { Description = "IANA time zone, e.g. Europe/Paris", Required = true };
        var language = new Option<string>("--lang") { Description = "Language, e.g. fr_FR", DefaultValueFactory = _ => "en_EN" };
        var units = new Option<UnitPreferences>("--units") { Description = "metric or imperial", DefaultValueFactory = _ => UnitPreferences.Metric }
            .Reads("metric or imperial", TryUnits);
        var mailing = new Option<bool>("--mailing") { Description = "The user accepts commercial contacts from Withings" }.Flag();
        var firstName = new Option<string?>("--firstname") { Description = "First name (default: the short name)" };
        var lastName = new Option<string?>("--lastname") { Description = "Last name (default: the short name)" };
        var phone = new Option<string?>("--phone") { Description = "Phone number in E.164 form, e.g. +33612345678" };
        var redirect = new Option<Uri?>("--redirect-uri") { Description = "Redirect URI the code's exchange must repeat" }
            .Reads("an absolute http or https URI", TryUri);
        return new Command("activate", "Activate a user with the devices shipped to it (activate); prints the authorization code")
        {
            externalId, macs, email, shortName, birthdate, gender, height, weight, timezone, language, units, mailing, firstName, lastName, phone,
            redirect,
        }.Runs(host, async (context, parse, ct) =>
        {
            var activation = new UserActivation
            {
                ExternalId = parse.GetValue(externalId)!,
                MacAddresses = parse.GetValue(macs)!,
                Email = parse.GetValue(email)!,
                ShortName = parse.GetValue(shortName)!,
                Birthdate = new DateTimeOffset(parse.GetValue(birthdate).ToDateTime(TimeOnly.MinValue), TimeSpan.Zero),
                Gender = parse.GetValue(gender),
                HeightMeters = parse.GetValue(height),
                WeightKilograms = parse.GetValue(weight),
                Timezone = parse.GetValue(timezone)!,
                PreferredLanguage = parse.GetValue(language)!,
                Units = parse.GetValue(units)!,
                MailingPreference = parse.GetValue(mailing),
                FirstName = parse.GetValue(firstName),
                LastName = parse.GetValue(lastName),
                PhoneNumber = parse.GetValue(phone),
                RedirectUri = parse.GetValue(redirect),
            };
            var activated = await context.CreateClient().ActivateUserAsync(activation, ct);
            if (context.Json)
            {
                context.WriteJson(new
                {
                    user = new { code = activated.Code, external_id = activated.ExternalId },
                    devices = activated.Devices.Select(d => new { mac_address = d.MacAddress, type = d.Type, model = d.Model, model_id = d.ModelId, deviceid = d.DeviceId }),
                });
                return ExitCodes.Success;
            }

            context.Console.WriteLine($"code: {activated.Code}");
            context.Diagnostic($"Activated {activated.ExternalId} with {activated.Devices.Count} device(s); exchange the code within 10 minutes (requesttoken) for the userid and tokens.");
            var table = new Table().AddColumn("mac_address").AddColumn("model").AddColumn("type");
            foreach (var d in activated.Devices)
            {
                table.AddRow(Markup.Escape(d.MacAddress ?? ""), Markup.Escape($"{d.Model} ({d.ModelId})"), Markup.Escape(d.Type ?? ""));
            }

            context.Diagnostics.Write(table);
            return ExitCodes.Success;
        });
    }

    private static Command Get(CliHost host)
    {
        var user = new Option<int?>("--user", "-u") { Description = "Withings user id" }
            .Reads(OptionValues.UserId, OptionValues.Optional<int>(OptionValues.TryUserId));
        var email = new Option<string?>("--email") { Description = "The email address given at activation" };
        var command = new Command("get", "Show one of your users' profile (get), by --user or --email") { user, email };
        command.Validators.Add(result =>
        {
            // Presence only: reading a value that failed to parse would throw, and its own error is already reported.
            if (result.GetResult(user) is null && result.GetResult(email) is null)
            {
                result.AddError("Give --user or --email.");
            }
        });
        return command.Runs(host, async (context, parse, ct) =>
        {
            var client = context.CreateClient();
            var profile = parse.GetValue(user) is { } userId
                ? await client.GetUserAsync(userId, ct)
                : await client.GetUserByEmailAsync(parse.GetValue(email)!, ct);
            if (context.Json)
            {
                context.WriteJson(new
                {
                    email = profile.Email,
                    firstname = profile.FirstName,
                    lastname = profile.LastName,
                    shortname = profile.ShortName,
                    gender = profile.Gender is { } g ? (int?)g : null,
                    birthdate = profile.Birthdate?.ToUnixTimeSeconds(),
                    preflang = profile.PreferredLanguage,
                    timezone = profile.Timezone,
                    mailingpref = profile.MailingPreference,
                    unit_pref = profile.Units is { } u ? new { weight = u.Weight, height = u.Height, distance = u.Distance, temperature = u.Temperature } : null,
                    phonenumber = profile.PhoneNumber,
                });
                return ExitCodes.Success;
            }

            var table = new Table().AddColumn("field").AddColumn("value");
            void Row(string name, string? value)
            {
                if (value is not null)
                {
                    table.AddRow(name, Markup.Escape(value));
                }
            }

            Row("email", profile.Email);
            Row("name", profile.FirstName is null ? null : $"{profile.FirstName} {profile.LastName}");
            Row("shortname", profile.ShortName);
            Row("gender", profile.Gender?.ToString().ToLowerInvariant());
            Row("birthdate", profile.Birthdate?.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture));
            Row("language", profile.PreferredLanguage);
            Row("timezone", profile.Timezone);
            Row("mailing", profile.MailingPreference?.ToString().ToLowerInvariant());
            Row("phone", profile.PhoneNumber);
            if (table.Rows.Count == 0)
            {
                context.Diagnostic("This user was not activated through 'devfeat users activate': it has no profile.");
                return ExitCodes.Success;
            }

            context.Console.Write(table);
            return ExitCodes.Success;
        });
    }

    private static bool TryDate(string text, out DateOnly value) =>
        DateOnly.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out value);

    private static bool TryGender(string text, out UserGender value)
    {
        (var ok, value) = text.ToLowerInvariant() switch
        {
            "man" or "m" or "0" => (true, UserGender.Man),
            "woman" or "w" or "f" or "1" => (true, UserGender.Woman),
            _ => (false, default),
        };
        return ok;
    }

    private static bool TryDecimal(string text, out decimal value) =>
        decimal.TryParse(text, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out value) && value > 0;

    private static bool TryUnits(string text, out UnitPreferences value)
    {
        (var ok, value) = text.ToLowerInvariant() switch
        {
            "metric" => (true, UnitPreferences.Metric),
            "imperial" => (true, UnitPreferences.Imperial),
            _ => (false, UnitPreferences.Metric),
        };
        return ok;
    }

    private static bool TryUri(string text, out Uri? value) =>
        Uri.TryCreate(text, UriKind.Absolute, out value) && (value.Scheme == Uri.UriSchemeHttps || value.Scheme == Uri.UriSchemeHttp);
}
