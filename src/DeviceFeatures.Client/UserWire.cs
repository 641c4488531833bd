using System.Globalization;
using System.Text;
using System.Text.Json;
using DeviceFeatures.Protocol.Parameters;

namespace DeviceFeatures.Client;

/// <summary>The wire form of the user calls: the activation's parameters, and the answers read leniently.</summary>
internal static class UserWire
{
    public static KeyValuePair<string, string>[] ActivationParameters(UserActivation a)
    {
        var list = new List<KeyValuePair<string, string>>
        {
            new(WireParameterNames.MailingPref, a.MailingPreference ? "true" : "false"),
            new(WireParameterNames.Birthdate, a.Birthdate.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture)),
            new(WireParameterNames.Measures, Measures(a.HeightMeters, a.WeightKilograms)),
            new(WireParameterNames.Gender, ((int)a.Gender).ToString(CultureInfo.InvariantCulture)),
            new(WireParameterNames.PrefLang, a.PreferredLanguage),
            new(WireParameterNames.UnitPref, Object(w =>
            {
                w.WriteNumber("weight", a.Units.Weight);
                w.WriteNumber("height", a.Units.Height);
                w.WriteNumber("distance", a.Units.Distance);
                w.WriteNumber("temperature", a.Units.Temperature);
            })),
            new(WireParameterNames.Email, a.Email),
            new(WireParameterNames.Timezone, a.Timezone),
            new(WireParameterNames.ShortName, a.ShortName),
            new(WireParameterNames.ExternalId, a.ExternalId),
            new(WireParameterNames.MacAddresses, JsonSerializer.Serialize(a.MacAddresses, UserWireJsonContext.Default.IReadOnlyListString)),
        };
        Add(list, WireParameterNames.FirstName, a.FirstName);
        Add(list, WireParameterNames.LastName, a.LastName);
        Add(list, WireParameterNames.PhoneNumber, a.PhoneNumber);
        Add(list, WireParameterNames.RecoveryCode, a.RecoveryCode);
        Add(list, WireParameterNames.RedirectUri, a.RedirectUri?.OriginalString);
        if (a.Goals is { } goals)
        {
            list.Add(new(WireParameterNames.Goals, Object(w =>
            {
                if (goals.Steps is { } steps)
                {
                    w.WriteNumber("steps", steps);
                }

                if (goals.Sleep is { } sleep)
                {
                    w.WriteNumber("sleep", (long)sleep.TotalSeconds);
                }

                if (goals.WeightKilograms is { } weight)
                {
                    var (value, unit) = ToMeasure(weight);
                    w.WriteStartObject("weight");
                    w.WriteNumber("value", value);
                    w.WriteNumber("unit", unit);
                    w.WriteEndObject();
                }
            })));
        }

        return [.. list];
    }

    public static ActivatedUser ReadActivated(JsonElement body)
    {
        var user = Child(body, "user");
        var devices = body.ValueKind == JsonValueKind.Object && body.TryGetProperty("devices", out var array) ? ReadDeviceArray(array) : [];
        return new ActivatedUser(Text(user, "code") ?? "", Text(user, "external_id") ?? "", devices);
    }

    public static IReadOnlyList<UserDevice> ReadDevices(JsonElement body) =>
        body.ValueKind == JsonValueKind.Object && body.TryGetProperty("devices", out var array) ? ReadDeviceArray(array) : [];

    public static UserTokens ReadTokens(JsonElement body) => new(
        Int(body, "userid") ?? 0,
        Text(body, "access_token") ?? "",
        Text(body, "refresh_token") ?? "",
        TimeSpan.FromSeconds(Int(body, "expires_in") ?? 0),
        Text(body, "scope") ?? "",
        Text(body, "token_type") ?? "Bearer");

    public static UserProfile ReadProfile(JsonElement body)
    {
        var user = Child(body, "user");
        UnitPreferences? units = null;
        if (user.ValueKind == JsonValueKind.Object && user.TryGetProperty("unit_pref", out var unitPref) && unitPref.ValueKind == JsonValueKind.Object)
        {
            units = new UnitPreferences(Int(unitPref, "weight") ?? 1, Int(unitPref, "height") ?? 6, Int(unitPref, "distance") ?? 6,
                Int(unitPref, "temperature") ?? 11);
        }

        bool? mailing = user.ValueKind == JsonValueKind.Object && user.TryGetProperty("mailingpref", out var m)
            ? m.ValueKind switch
            {
                JsonValueKind.True => true,
                JsonValueKind.False => false,
                JsonValueKind.Number => m.TryGetInt32(out var n) && n != 0,
                _ => null,
            }
            : null;
        return new UserProfile(
            Text(user, "email"),
            Text(user, "firstname"),
            Text(user, "lastname"),
            Text(user, "shortname"),
            Int(user, "gender") is { } gender ? (UserGender)gender : null,
            // A long: a birth date before 1901-12-13 is below int.MinValue seconds, and activate accepts them from 1900.
            Long(user, "birthdate") is { } birthdate ? DateTimeOffset.FromUnixTimeSeconds(birthdate) : null,
            Text(user, "preflang"),
            Text(user, "timezone"),
            mailing,
            units,
            Text(user, "phonenumber"));
    }

    // The smallest decimal exponent that makes the value whole, down to micro-units.
    internal static (long Value, int Unit) ToMeasure(decimal amount)
    {
        var unit = 0;
        while (amount != decimal.Truncate(amount) && unit > -6)
        {
            amount *= 10;
            unit--;
        }

        return ((long)decimal.Round(amount), unit);
    }

    private static string Measures(decimal height, decimal weight) => Json(w =>
    {
        w.WriteStartArray();
        foreach (var (amount, type) in new[] { (height, 4), (weight, 1) })
        {
            var (value, unit) = ToMeasure(amount);
            w.WriteStartObject();
            w.WriteNumber("value", value);
            w.WriteNumber("unit", unit);
            w.WriteNumber("type", type);
            w.WriteEndObject();
        }

        w.WriteEndArray();
    });

    private static string Object(Action<Utf8JsonWriter> writeProperties) => Json(w =>
    {
        w.WriteStartObject();
        writeProperties(w);
        w.WriteEndObject();
    });

    private static string Json(Action<Utf8JsonWriter> write)
    {
        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream))
        {
            write(writer);
        }

        return Encoding.UTF8.GetString(stream.ToArray());
    }

    private static void Add(List<KeyValuePair<string, string>> list, string name, string? value)
    {
        if (!string.IsNullOrEmpty(value))
        {
            list.Add(new(name, value));
        }
    }

    private static List<UserDevice> ReadDeviceArray(JsonElement array)
    {
        var devices = new List<UserDevice>();
        if (array.ValueKind != JsonValueKind.Array)
        {
            return devices;
        }

        foreach (var d in array.EnumerateArray())
        {
            if (d.ValueKind == JsonValueKind.Object)
            {
                devices.Add(new UserDevice(Text(d, "mac_address"), Text(d, "type"), Text(d, "model"), Int(d, "model_id") ?? 0,
                    Text(d, "deviceid"), Text(d, "timezone"), Text(d, "fw"))
                {
                    SimStatus = Text(d, "sim_status") is { } sim ? new SimStatus(sim) : null,
                });
            }
        }

        return devices;
    }

    private static JsonElement Child(JsonElement body, string name) =>
        body.ValueKind == JsonValueKind.Object && body.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Object ? value : default;

    private static string? Text(JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value)
            ? value.ValueKind switch
            {
                JsonValueKind.String => value.GetString(),
                JsonValueKind.Number => value.GetRawText(),
                _ => null,
            }
            : null;

    private static long? Long(JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value)
            ? value.ValueKind switch
            {
                JsonValueKind.Number when value.TryGetInt64(out var n) => n,
                JsonValueKind.String when long.TryParse(value.GetString(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var n) => n,
                _ => null,
            }
            : null;

    private static int? Int(JsonElement element, string name) =>
        Long(element, name) is long n && n is >= int.MinValue and <= int.MaxValue ? (int)n : null;
}

[System.Text.Json.Serialization.JsonSerializable(typeof(IReadOnlyList<string>))]
internal sealed partial class UserWireJsonContext : System.Text.Json.Serialization.JsonSerializerContext;
