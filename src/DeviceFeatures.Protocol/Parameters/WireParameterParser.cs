using System.Buffers;
using System.Text;
using System.Text.Json;
using System.Text.Unicode;

namespace DeviceFeatures.Protocol.Parameters;

/// <summary>
/// Reads Withings request parameters from a query string, an <c>application/x-www-form-urlencoded</c> body or a
/// JSON object body. Numbers and booleans in JSON become their text, so <c>"model": 17</c> and
/// <c>"model": "17"</c> read the same; nested objects and arrays are kept as JSON text, as Withings expects for
/// list parameters such as <c>mac_addresses</c>. Failures are recorded in <see cref="WireParameters.Problem"/>.
/// </summary>
public static class WireParameterParser
{
    /// <summary>The deepest JSON nesting accepted in a body.</summary>
    public const int MaxJsonDepth = 16;

    /// <summary>Reads <c>name=value&amp;...</c> pairs (percent-encoded, <c>+</c> for space) into <paramref name="into"/>.</summary>
    /// <param name="encoded">The query string (with or without its leading <c>?</c>) or form body, as UTF-8 bytes.</param>
    /// <param name="into">The parameters to add to.</param>
    public static void ReadUrlEncoded(ReadOnlySpan<byte> encoded, WireParameters into)
    {
        ArgumentNullException.ThrowIfNull(into);
        if (!encoded.IsEmpty && encoded[0] == (byte)'?')
        {
            encoded = encoded[1..];
        }

        while (!encoded.IsEmpty && into.Problem is null)
        {
            var end = encoded.IndexOf((byte)'&');
            var pair = end < 0 ? encoded : encoded[..end];
            encoded = end < 0 ? [] : encoded[(end + 1)..];
            if (pair.IsEmpty)
            {
                continue;
            }

            var equals = pair.IndexOf((byte)'=');
            var rawName = equals < 0 ? pair : pair[..equals];
            var rawValue = equals < 0 ? [] : pair[(equals + 1)..];

            var name = Decode(rawName, into, null);
            if (name is null)
            {
                return;
            }

            var value = Decode(rawValue, into, name);
            if (value is null)
            {
                return;
            }

            into.Add(name, value);
        }
    }

    /// <summary>Reads the properties of a JSON object body into <paramref name="into"/>.</summary>
    /// <param name="json">The body, as UTF-8 bytes.</param>
    /// <param name="into">The parameters to add to.</param>
    public static void ReadJson(ReadOnlySpan<byte> json, WireParameters into)
    {
        ArgumentNullException.ThrowIfNull(into);
        try
        {
            var reader = new Utf8JsonReader(json, new JsonReaderOptions { MaxDepth = MaxJsonDepth, CommentHandling = JsonCommentHandling.Skip });
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                into.Fail("the JSON body must be an object of parameters");
                return;
            }

            while (reader.Read() && into.Problem is null)
            {
                if (reader.TokenType == JsonTokenType.EndObject)
                {
                    // Anything after the closing brace other than white space is malformed.
                    if (reader.Read())
                    {
                        into.Fail("the JSON body has content after its closing brace");
                    }

                    return;
                }

                var name = reader.GetString() ?? string.Empty;
                reader.Read();
                switch (reader.TokenType)
                {
                    case JsonTokenType.String:
                        into.Add(name, reader.GetString() ?? string.Empty);
                        break;
                    case JsonTokenType.Number:
                        into.Add(name, Encoding.UTF8.GetString(reader.ValueSpan));
                        break;
                    case JsonTokenType.True:
                        into.Add(name, "true");
                        break;
                    case JsonTokenType.False:
                        into.Add(name, "false");
                        break;
                    case JsonTokenType.Null:
                        break;
                    default:
                        var start = (int)reader.TokenStartIndex;
                        reader.Skip();
                        into.Add(name, Encoding.UTF8.GetString(json[start..(int)reader.BytesConsumed]));
                        break;
                }
            }

            into.Fail("the JSON body is truncated");
        }
        catch (JsonException ex)
        {
            into.Fail($"the JSON body is malformed (line {ex.LineNumber + 1}, byte {ex.BytePositionInLine + 1})");
        }
        catch (InvalidOperationException)
        {
            into.Fail("the JSON body is not valid UTF-8");
        }
    }

    private static string? Decode(ReadOnlySpan<byte> raw, WireParameters into, string? parameter)
    {
        if (raw.IsEmpty)
        {
            return string.Empty;
        }

        if (raw.Length > WireParameters.MaxValueLength * 3)
        {
            into.Fail($"{What(parameter)} is longer than {WireParameters.MaxValueLength} characters");
            return null;
        }

        // Fast path: nothing to unescape.
        if (raw.IndexOfAny((byte)'%', (byte)'+') < 0)
        {
            if (!Utf8.IsValid(raw))
            {
                into.Fail($"{What(parameter)} is not valid UTF-8");
                return null;
            }

            return Known(raw, parameter) ?? Encoding.UTF8.GetString(raw);
        }

        byte[]? rented = null;
        var buffer = raw.Length <= 256 ? stackalloc byte[256] : (rented = ArrayPool<byte>.Shared.Rent(raw.Length));
        try
        {
            var length = 0;
            for (var i = 0; i < raw.Length; i++)
            {
                var b = raw[i];
                if (b == (byte)'+')
                {
                    buffer[length++] = (byte)' ';
                }
                else if (b == (byte)'%')
                {
                    if (i + 2 >= raw.Length || !TryHex(raw[i + 1], out var high) || !TryHex(raw[i + 2], out var low))
                    {
                        into.Fail($"{What(parameter)} has a malformed percent-encoding");
                        return null;
                    }

                    buffer[length++] = (byte)((high << 4) | low);
                    i += 2;
                }
                else
                {
                    buffer[length++] = b;
                }
            }

            var decoded = buffer[..length];
            if (!Utf8.IsValid(decoded))
            {
                into.Fail($"{What(parameter)} is not valid UTF-8");
                return null;
            }

            return Known(decoded, parameter) ?? Encoding.UTF8.GetString(decoded);
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }
    }

    // Only built when a problem is reported.
    private static string What(string? parameter) => parameter is null ? "a parameter name" : $"parameter '{WireParameters.Echo(parameter)}'";

    /// <summary>The shared string for a parameter name or action every call sends, so that reading it allocates nothing.</summary>
    private static string? Known(ReadOnlySpan<byte> text, string? parameter)
    {
        if (parameter is null)
        {
            return text switch
            {
                _ when text.SequenceEqual("action"u8) => WireParameterNames.Action,
                _ when text.SequenceEqual("client_id"u8) => WireParameterNames.ClientId,
                _ when text.SequenceEqual("signature"u8) => WireParameterNames.Signature,
                _ when text.SequenceEqual("nonce"u8) => WireParameterNames.Nonce,
                _ when text.SequenceEqual("timestamp"u8) => WireParameterNames.Timestamp,
                _ when text.SequenceEqual("feature_name"u8) => WireParameterNames.FeatureName,
                _ when text.SequenceEqual("userid"u8) => WireParameterNames.UserId,
                _ when text.SequenceEqual("model"u8) => WireParameterNames.Model,
                _ when text.SequenceEqual("mac_address"u8) => WireParameterNames.MacAddress,
                _ when text.SequenceEqual("status"u8) => WireParameterNames.Status,
                _ => null,
            };
        }

        if (ReferenceEquals(parameter, WireParameterNames.Action))
        {
            return text switch
            {
                _ when text.SequenceEqual("getnonce"u8) => WireActions.GetNonce,
                _ when text.SequenceEqual("enablefeature"u8) => WireActions.EnableFeature,
                _ when text.SequenceEqual("disablefeature"u8) => WireActions.DisableFeature,
                _ when text.SequenceEqual("getfeatures"u8) => WireActions.GetFeatures,
                _ when text.SequenceEqual("getfeaturestatus"u8) => WireActions.GetFeatureStatus,
                _ when text.SequenceEqual("endpartnerprogram"u8) => WireActions.EndPartnerProgram,
                _ => null,
            };
        }

        return null;
    }

    private static bool TryHex(byte c, out int value)
    {
        value = c switch
        {
            >= (byte)'0' and <= (byte)'9' => c - '0',
            >= (byte)'a' and <= (byte)'f' => c - 'a' + 10,
            >= (byte)'A' and <= (byte)'F' => c - 'A' + 10,
            _ => -1,
        };
        return value >= 0;
    }
}
