using System.Text.Json;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.Extensions.Options;

namespace DeviceFeatures.Server.Admin;

/// <summary>
/// The one rule for text an operator sends: no control characters (U+0000-U+001F, U+007F-U+009F) and no broken
/// UTF-16 (a lone surrogate). PostgreSQL cannot store a NUL or a lone surrogate at all (the request failed with a
/// 500 there and succeeded on SQLite), and no name, identifier, MAC address, market or firmware version holds a
/// control character. Applied once, to everything an admin endpoint reads as text: route values, query
/// parameters (names and values) and every string of a JSON body, so that no field can be forgotten.
/// </summary>
internal static class AdminInput
{
    /// <summary>Whether <paramref name="text"/> is acceptable text for the admin API.</summary>
    public static bool IsCleanText(ReadOnlySpan<char> text)
    {
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (char.IsControl(c))
            {
                return false;
            }

            if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                i++;
            }
            else if (char.IsSurrogate(c))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>The refusal naming the field at fault; the text itself is not echoed.</summary>
    public static AdminError Refusal(string field, string where) =>
        AdminError.Invalid($"'{field}' ({where}) must not contain control characters (such as NUL) or broken Unicode.");

    /// <summary>Checks every text input of the admin endpoints built by <paramref name="builder"/> before their handler runs.</summary>
    public static TBuilder RejectControlCharacters<TBuilder>(this TBuilder builder)
        where TBuilder : IEndpointConventionBuilder =>
        builder.AddEndpointFilter(async (context, next) =>
            Check(context) is { } refusal ? AdminEndpoints.Problem(refusal) : await next(context));

    private static AdminError? Check(EndpointFilterInvocationContext context)
    {
        var request = context.HttpContext.Request;
        foreach (var (name, value) in request.RouteValues)
        {
            if (value is string text && !IsCleanText(text))
            {
                return Refusal(name, "in the path");
            }
        }

        foreach (var (name, values) in request.Query)
        {
            if (!IsCleanText(name))
            {
                return AdminError.Invalid("A query parameter name must not contain control characters (such as NUL) or broken Unicode.");
            }

            foreach (var value in values)
            {
                if (value is not null && !IsCleanText(value))
                {
                    return Refusal(name, "in the query string");
                }
            }
        }

        // A JSON body is already bound to its record: its strings are found again by writing it back with the
        // same contract, which names each one by its JSON path.
        JsonSerializerOptions? json = null;
        foreach (var argument in context.Arguments)
        {
            if (argument is null or string or HttpContext or HttpRequest or CancellationToken || argument.GetType().IsPrimitive)
            {
                continue;
            }

            json ??= context.HttpContext.RequestServices.GetRequiredService<IOptions<JsonOptions>>().Value.SerializerOptions;
            if (!json.TryGetTypeInfo(argument.GetType(), out var info) || info.Kind != System.Text.Json.Serialization.Metadata.JsonTypeInfoKind.Object)
            {
                continue;
            }

            var element = JsonSerializer.SerializeToElement(argument, info);
            if (FindDirtyString(element) is { } path)
            {
                return Refusal(path, "in the JSON body");
            }
        }

        return null;
    }

    /// <summary>
    /// The JSON path (<c>devices[3].firmware</c>) of the first string that breaks the rule, or null; the path is
    /// only built for that one, on the way back up.
    /// </summary>
    private static string? FindDirtyString(JsonElement element)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.String:
                return IsCleanText(element.GetString()) ? null : string.Empty;
            case JsonValueKind.Object:
                foreach (var property in element.EnumerateObject())
                {
                    if (FindDirtyString(property.Value) is { } inner)
                    {
                        return inner.Length == 0 || inner[0] == '[' ? property.Name + inner : $"{property.Name}.{inner}";
                    }
                }

                return null;
            case JsonValueKind.Array:
                var index = 0;
                foreach (var item in element.EnumerateArray())
                {
                    if (FindDirtyString(item) is { } inner)
                    {
                        return inner.Length == 0 || inner[0] == '[' ? $"[{index}]{inner}" : $"[{index}].{inner}";
                    }

                    index++;
                }

                return null;
            default:
                return null;
        }
    }
}
