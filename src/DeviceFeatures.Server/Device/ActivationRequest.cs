using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using DeviceFeatures.Protocol.Parameters;
using Microsoft.AspNetCore.Identity;
using DeviceFeatures.Server.Wire;

namespace DeviceFeatures.Server.Device;

/// <summary>
/// The parameters of <c>/v2/user activate</c> (operationId <c>userv2-activate</c>), each checked without the database.
/// JSON parameters are kept as the compact JSON the server wrote back from them, so the stored text is always valid.
/// </summary>
internal sealed partial record ActivationRequest(
    string ExternalId,
    IReadOnlyList<string> MacAddresses,
    string Email,
    string ShortName,
    string FirstName,
    string LastName,
    long Birthdate,
    int Gender,
    string PrefLang,
    string Timezone,
    bool MailingPref,
    string UnitPref,
    string Measures,
    string? Goals,
    string? PhoneNumber,
    string? RecoveryCodeHash,
    string? RedirectUri)
{
    public const int MaxMacAddresses = 32;
    public const int MaxExternalIdLength = 255;
    public const int MaxNameLength = 100;
    public const int MaxEmailLength = 254;
    public const int MaxRecoveryCodeLength = 255;
    public const int MaxRedirectUriLength = 2048;

    // 1900-01-01T00:00:00Z: a birth date before it is a typing error.
    private const long EarliestBirthdate = -2208988800;

    // PasswordHasher keys nothing on the user object; one instance is safe to share.
    private static readonly PasswordHasher<object> RecoveryCodeHasher = new();
    private static readonly object Unused = new();

    private static readonly (string Name, int[] Codes, string Meaning)[] UnitFields =
    [
        ("weight", [1, 2, 14], "1 (kg), 2 (lb) or 14 (st lb)"),
        ("height", [6, 7], "6 (m) or 7 (in)"),
        ("distance", [6, 8], "6 (km) or 8 (yd)"),
        ("temperature", [11, 13], "11 (°C) or 13 (°F)"),
    ];

    /// <summary>Reads and checks every parameter, in the order of the OpenAPI; the first problem is the refusal.</summary>
    public static (ActivationRequest? Request, WireResult? Refusal) Read(WireParameters parameters, long nowSeconds)
    {
        WireResult? refusal;
        if (!TryRequired(parameters, WireParameterNames.MailingPref, out var mailingText, out refusal))
        {
            return (null, refusal);
        }

        bool mailingPref;
        switch (mailingText)
        {
            case "true" or "1":
                mailingPref = true;
                break;
            case "false" or "0":
                mailingPref = false;
                break;
            default:
                return (null, Refusals.InvalidParameter(WireParameterNames.MailingPref, "must be true or false (or 1 or 0)"));
        }

        if (!TryRequired(parameters, WireParameterNames.Birthdate, out var birthText, out refusal))
        {
            return (null, refusal);
        }

        if (!long.TryParse(birthText, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var birthdate)
            || birthdate < EarliestBirthdate || birthdate > nowSeconds)
        {
            return (null, Refusals.InvalidParameter(WireParameterNames.Birthdate, "must be a Unix time in whole seconds, from 1900 to now"));
        }

        if (!TryRequired(parameters, WireParameterNames.Measures, out var measuresText, out refusal))
        {
            return (null, refusal);
        }

        if (ReadMeasures(measuresText) is { } measuresProblem)
        {
            return (null, Refusals.InvalidParameter(WireParameterNames.Measures, measuresProblem));
        }

        if (!TryRequired(parameters, WireParameterNames.Gender, out var genderText, out refusal))
        {
            return (null, refusal);
        }

        if (genderText is not ("0" or "1"))
        {
            return (null, Refusals.InvalidParameter(WireParameterNames.Gender, "must be 0 (man) or 1 (woman)"));
        }

        if (!TryRequired(parameters, WireParameterNames.PrefLang, out var prefLang, out refusal))
        {
            return (null, refusal);
        }

        if (!PrefLangPattern().IsMatch(prefLang))
        {
            return (null, Refusals.InvalidParameter(WireParameterNames.PrefLang, "must be a language and a country such as en_EN, en_US or fr_FR"));
        }

        if (!TryRequired(parameters, WireParameterNames.UnitPref, out var unitText, out refusal))
        {
            return (null, refusal);
        }

        var (unitPref, unitProblem) = ReadUnitPref(unitText);
        if (unitProblem is not null)
        {
            return (null, Refusals.InvalidParameter(WireParameterNames.UnitPref, unitProblem));
        }

        if (!TryRequired(parameters, WireParameterNames.Email, out var email, out refusal))
        {
            return (null, refusal);
        }

        if (email.Length > MaxEmailLength || !EmailPattern().IsMatch(email))
        {
            return (null, Refusals.InvalidParameter(WireParameterNames.Email, "must be an email address such as john.doe@example.com"));
        }

        if (!TryRequired(parameters, WireParameterNames.Timezone, out var timezone, out refusal))
        {
            return (null, refusal);
        }

        if (!IsIanaTimeZone(timezone))
        {
            return (null, Refusals.InvalidParameter(WireParameterNames.Timezone, "must be an IANA time zone such as Europe/Paris or America/New_York"));
        }

        if (!TryRequired(parameters, WireParameterNames.ShortName, out var shortName, out refusal))
        {
            return (null, refusal);
        }

        if (!ShortNamePattern().IsMatch(shortName))
        {
            return (null, Refusals.InvalidParameter(WireParameterNames.ShortName, "must be exactly 3 letters or digits (^[a-zA-Z0-9]{3}$)"));
        }

        if (!TryRequired(parameters, WireParameterNames.ExternalId, out var externalId, out refusal))
        {
            return (null, refusal);
        }

        if (externalId.Length > MaxExternalIdLength || externalId.Trim().Length != externalId.Length)
        {
            return (null, Refusals.InvalidParameter(WireParameterNames.ExternalId,
                $"must be at most {MaxExternalIdLength} characters, without leading or trailing spaces"));
        }

        if (!TryRequired(parameters, WireParameterNames.MacAddresses, out var macText, out refusal))
        {
            return (null, refusal);
        }

        var (macs, macProblem) = ReadMacAddresses(macText);
        if (macProblem is not null)
        {
            return (null, Refusals.InvalidParameter(WireParameterNames.MacAddresses, macProblem));
        }

        if (!TryOptionalName(parameters, WireParameterNames.FirstName, out var firstName, out refusal)
            || !TryOptionalName(parameters, WireParameterNames.LastName, out var lastName, out refusal))
        {
            return (null, refusal);
        }

        var phone = Optional(parameters, WireParameterNames.PhoneNumber);
        if (phone is not null && !PhonePattern().IsMatch(phone))
        {
            return (null, Refusals.InvalidParameter(WireParameterNames.PhoneNumber, "must be in E.164 form: + and up to 15 digits, e.g. +33612345678"));
        }

        var recovery = Optional(parameters, WireParameterNames.RecoveryCode);
        if (recovery is { Length: > MaxRecoveryCodeLength })
        {
            return (null, Refusals.InvalidParameter(WireParameterNames.RecoveryCode, $"must be at most {MaxRecoveryCodeLength} characters"));
        }

        string? goals = null;
        if (Optional(parameters, WireParameterNames.Goals) is { } goalsText)
        {
            (goals, var goalsProblem) = ReadGoals(goalsText);
            if (goalsProblem is not null)
            {
                return (null, Refusals.InvalidParameter(WireParameterNames.Goals, goalsProblem));
            }
        }

        var redirectUri = Optional(parameters, WireParameterNames.RedirectUri);
        if (redirectUri is not null && !IsRedirectUri(redirectUri))
        {
            return (null, Refusals.InvalidParameter(WireParameterNames.RedirectUri, "must be an absolute http or https URI"));
        }

        return (new ActivationRequest(
            externalId,
            macs!,
            email.ToLowerInvariant(),
            shortName,
            firstName ?? shortName,
            lastName ?? shortName,
            birthdate,
            genderText[0] - '0',
            prefLang,
            timezone,
            mailingPref,
            unitPref!,
            Compact(measuresText),
            goals,
            phone,
            // Only the partner and the user need the recovery code back; we only ever compare it. Partners choose
            // these codes and they may be short, so a salted, slow hash (PBKDF2, ASP.NET Core Identity's hasher).
            recovery is null ? null : RecoveryCodeHasher.HashPassword(Unused, recovery),
            redirectUri), null);
    }

    public static bool IsRedirectUri(string value) =>
        value.Length <= MaxRedirectUriLength
        && Uri.TryCreate(value, UriKind.Absolute, out var uri)
        && (uri.Scheme == Uri.UriSchemeHttps || uri.Scheme == Uri.UriSchemeHttp);

    private static bool IsIanaTimeZone(string id) =>
        id.Length <= 64
        && TimeZoneInfo.TryFindSystemTimeZoneById(id, out var zone)
        && zone.HasIanaId
        && string.Equals(zone.Id, id, StringComparison.Ordinal);

    /// <summary>Why a profile's measures (JSON text) are not what <c>activate</c> accepts, or null: restore checks them the same way.</summary>
    internal static string? ReadMeasures(string text)
    {
        const string Shape = "must be a JSON array of two objects {\"value\", \"unit\", \"type\"}: a height (type 4) and a weight (type 1)";
        if (Parse(text) is not { } document)
        {
            return Shape;
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Array || root.GetArrayLength() != 2)
            {
                return Shape;
            }

            decimal? height = null;
            decimal? weight = null;
            foreach (var item in root.EnumerateArray())
            {
                if (item.ValueKind != JsonValueKind.Object
                    || !TryInt(item, "value", out var value)
                    || !TryInt(item, "unit", out var unit)
                    || !TryInt(item, "type", out var type))
                {
                    return Shape + "; value, unit and type are whole numbers";
                }

                if (unit is < -10 or > 10)
                {
                    return "has a unit outside -10..10 (the unit is the decimal exponent of value, e.g. -2 for value 180 meaning 1.80 m)";
                }

                var measure = value * Pow10(unit);
                switch (type)
                {
                    case 4 when height is null:
                        height = measure;
                        break;
                    case 1 when weight is null:
                        weight = measure;
                        break;
                    default:
                        return Shape;
                }
            }

            if (height is not { } h || weight is not { } w)
            {
                return Shape;
            }

            if (h < 0.1m || h > 3m)
            {
                return $"has a height of {h.ToString(CultureInfo.InvariantCulture)} m; it must be between 0.1 and 3 m";
            }

            if (w < 1m || w > 600m)
            {
                return $"has a weight of {w.ToString(CultureInfo.InvariantCulture)} kg; it must be between 1 and 600 kg";
            }

            return null;
        }
    }

    /// <summary>The unit preferences compacted, or why they are not what <c>activate</c> accepts: restore checks them the same way.</summary>
    internal static (string? Json, string? Problem) ReadUnitPref(string text)
    {
        const string Shape = "must be a JSON object {\"weight\", \"height\", \"distance\", \"temperature\"} of unit codes";
        if (Parse(text) is not { } document)
        {
            return (null, Shape);
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                return (null, Shape);
            }

            foreach (var (name, codes, meaning) in UnitFields)
            {
                if (!TryInt(root, name, out var code))
                {
                    return (null, $"{Shape}; {name} is missing or not a whole number");
                }

                if (!codes.Contains(code))
                {
                    return (null, $"has {name} {code}; it must be {meaning}");
                }
            }

            return (Compact(text), null);
        }
    }

    /// <summary>The goals compacted, or why they are not what <c>activate</c> accepts: restore checks them the same way.</summary>
    internal static (string? Json, string? Problem) ReadGoals(string text)
    {
        const string Shape = "must be a JSON object with any of steps (per day), sleep (seconds) and weight ({\"value\", \"unit\"}), whole numbers";
        if (Parse(text) is not { } document)
        {
            return (null, Shape);
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                return (null, Shape);
            }

            foreach (var property in root.EnumerateObject())
            {
                var ok = property.Name switch
                {
                    "steps" or "sleep" => property.Value.ValueKind == JsonValueKind.Number && property.Value.TryGetInt32(out var n) && n >= 0,
                    "weight" => property.Value.ValueKind == JsonValueKind.Object
                        && TryInt(property.Value, "value", out var value) && value > 0
                        && TryInt(property.Value, "unit", out var unit) && unit is >= -10 and <= 10,
                    _ => false,
                };
                if (!ok)
                {
                    return (null, $"{Shape}; '{Echo(property.Name)}' is not one of them or not well formed");
                }
            }

            return (Compact(text), null);
        }
    }

    private static (IReadOnlyList<string>? Macs, string? Problem) ReadMacAddresses(string text)
    {
        const string Shape = "must be a JSON array of MAC addresses, e.g. [\"00:24:e4:12:34:56\"]";
        if (Parse(text) is not { } document)
        {
            return (null, Shape);
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Array)
            {
                return (null, Shape);
            }

            var count = root.GetArrayLength();
            if (count == 0 || count > MaxMacAddresses)
            {
                return (null, $"must list from 1 to {MaxMacAddresses} MAC addresses");
            }

            var macs = new List<string>(count);
            foreach (var item in root.EnumerateArray())
            {
                if (item.ValueKind != JsonValueKind.String)
                {
                    return (null, Shape);
                }

                var raw = item.GetString()!;
                if (MacAddress.Normalize(raw) is not { } mac)
                {
                    return (null, $"has '{Echo(raw)}', which is not a MAC address (six hexadecimal byte pairs, e.g. 00:24:e4:12:34:56)");
                }

                if (macs.Contains(mac, StringComparer.Ordinal))
                {
                    return (null, $"lists {mac} twice");
                }

                macs.Add(mac);
            }

            return (macs, null);
        }
    }

    private static JsonDocument? Parse(string text)
    {
        try
        {
            return JsonDocument.Parse(text, new JsonDocumentOptions { MaxDepth = 8 });
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static bool TryInt(JsonElement element, string name, out int value)
    {
        value = 0;
        return element.TryGetProperty(name, out var property)
            && property.ValueKind == JsonValueKind.Number
            && property.TryGetInt32(out value);
    }

    private static decimal Pow10(int exponent)
    {
        var result = 1m;
        for (var i = 0; i < Math.Abs(exponent); i++)
        {
            result *= 10m;
        }

        return exponent < 0 ? 1m / result : result;
    }

    private static string Compact(string json)
    {
        using var document = JsonDocument.Parse(json);
        return JsonSerializer.Serialize(document.RootElement);
    }

    private static bool TryRequired(WireParameters parameters, string name, out string value, out WireResult? refusal)
    {
        if (!parameters.TryGet(name, out value) || value.Length == 0)
        {
            refusal = Refusals.MissingParameter(name);
            return false;
        }

        refusal = null;
        return true;
    }

    private static string? Optional(WireParameters parameters, string name) =>
        parameters.TryGet(name, out var value) && value.Length > 0 ? value : null;

    private static bool TryOptionalName(WireParameters parameters, string name, out string? value, out WireResult? refusal)
    {
        value = Optional(parameters, name);
        refusal = value is { Length: > MaxNameLength }
            ? Refusals.InvalidParameter(name, $"must be at most {MaxNameLength} characters")
            : null;
        return refusal is null;
    }

    private static string Echo(string value) => value.Length <= 64 ? value : string.Concat(value.AsSpan(0, 64), "...");

    // \z, not $: $ also matches before a final newline, which would let "ROB\n" through and into the profile.
    [GeneratedRegex(@"^[a-zA-Z0-9]{3}\z")]
    private static partial Regex ShortNamePattern();

    [GeneratedRegex(@"^[a-z]{2}_[A-Z]{2}\z")]
    private static partial Regex PrefLangPattern();

    [GeneratedRegex(@"^\+[1-9][0-9]{1,14}\z")]
    private static partial Regex PhonePattern();

    // One @, something before it, a dotted domain after it, no spaces: what a partner's typing errors break.
    [GeneratedRegex(@"^[^@\s]+@[^@\s]+\.[^@\s]+\z")]
    private static partial Regex EmailPattern();
}
