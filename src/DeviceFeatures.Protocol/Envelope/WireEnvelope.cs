using System.Text.Json;

namespace DeviceFeatures.Protocol.Envelope;

/// <summary>
/// The Withings response envelope, <c>{"status": int, "body": {...}, "error": "..."}</c>, always sent with HTTP 200.
/// Clients read the in-body status, never the HTTP status.
/// </summary>
public static class WireEnvelope
{
    /// <summary>Writes an envelope whose body is written by <paramref name="writeBody"/>.</summary>
    /// <typeparam name="TState">What the body writer needs.</typeparam>
    /// <param name="writer">The JSON writer.</param>
    /// <param name="status">The in-body status.</param>
    /// <param name="error">The error text, or <see langword="null"/> for none.</param>
    /// <param name="state">Passed to <paramref name="writeBody"/>.</param>
    /// <param name="writeBody">Writes the properties of <c>body</c>; <see langword="null"/> for an empty body.</param>
    public static void Write<TState>(Utf8JsonWriter writer, int status, string? error, TState state, Action<Utf8JsonWriter, TState>? writeBody)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.WriteStartObject();
        writer.WriteNumber("status"u8, status);
        writer.WriteStartObject("body"u8);
        writeBody?.Invoke(writer, state);
        writer.WriteEndObject();
        if (error is not null)
        {
            writer.WriteString("error"u8, error);
        }

        writer.WriteEndObject();
    }

    /// <summary>Reads an envelope.</summary>
    /// <param name="json">The HTTP response body.</param>
    /// <returns>The answer; a body that is not an envelope gives <see langword="null"/>.</returns>
    public static WireAnswer? TryParse(ReadOnlySpan<byte> json)
    {
        try
        {
            var reader = new Utf8JsonReader(json);
            using var document = JsonDocument.ParseValue(ref reader);
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object
                || !root.TryGetProperty("status", out var statusElement)
                || !statusElement.TryGetInt32(out var status))
            {
                return null;
            }

            var body = root.TryGetProperty("body", out var bodyElement) ? bodyElement.Clone() : default;
            var error = root.TryGetProperty("error", out var errorElement) && errorElement.ValueKind == JsonValueKind.String
                ? errorElement.GetString()
                : null;
            return new WireAnswer(status, body, error);
        }
        catch (JsonException)
        {
            return null;
        }
    }
}

/// <summary>A parsed Withings answer.</summary>
/// <param name="Status">The in-body status; 0 for success.</param>
/// <param name="Body">The <c>body</c> object (<see cref="JsonValueKind.Undefined"/> when absent).</param>
/// <param name="Error">The <c>error</c> text, when the answer has one.</param>
public sealed record WireAnswer(int Status, JsonElement Body, string? Error);
