using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace DeviceFeatures.Protocol.Callbacks;

/// <summary>
/// The change events a server POSTs to a partner's callback URL, in Withings' notification style: an
/// <c>application/x-www-form-urlencoded</c> form with <c>userid</c>, <c>appli</c> and the event's fields, signed in
/// headers (docs/protocol.md, "Change events").
/// </summary>
public static class ChangeEventNames
{
    /// <summary>
    /// The <c>appli</c> code of change events: an extension, far from the categories Withings notifications use
    /// (1 to 62 so far).
    /// </summary>
    public const int Appli = 1000;

    /// <summary>A user's choice was accepted (<c>enablefeature</c> or <c>disablefeature</c>).</summary>
    public const string FeatureChanged = "feature.changed";

    /// <summary>A device reported it applied a changed feature.</summary>
    public const string FeatureApplied = "feature.applied";

    /// <summary>A device reported it could not apply a changed feature, with its reason.</summary>
    public const string FeatureFailed = "feature.failed";
}

/// <summary>The headers of a change event's request.</summary>
public static class CallbackHeaders
{
    /// <summary>When the request was signed, Unix time in seconds.</summary>
    public const string Timestamp = "X-DeviceFeatures-Timestamp";

    /// <summary>HMAC-SHA256 of <c>{timestamp}.{body}</c> under the partner's client secret, 64 lowercase hexadecimal characters.</summary>
    public const string Signature = "X-DeviceFeatures-Signature";

    /// <summary>The event's id, the same on every attempt: a receiver that has seen it already answers 2xx and does nothing.</summary>
    public const string IdempotencyKey = "Idempotency-Key";
}

/// <summary>The signature of a change event's request: HMAC-SHA256 keyed with the client secret over <c>{timestamp}.{body}</c>.</summary>
public static class CallbackSigning
{
    /// <summary>Signs a request's body.</summary>
    /// <param name="clientSecret">The partner's client secret.</param>
    /// <param name="timestamp">Unix time in seconds, as sent in <see cref="CallbackHeaders.Timestamp"/>.</param>
    /// <param name="body">The request's body, exactly as sent.</param>
    /// <returns>64 lowercase hexadecimal characters.</returns>
    public static string Sign(string clientSecret, long timestamp, ReadOnlySpan<byte> body)
    {
        ArgumentNullException.ThrowIfNull(clientSecret);
        Span<byte> mac = stackalloc byte[32];
        Compute(Encoding.UTF8.GetBytes(clientSecret), timestamp.ToString(CultureInfo.InvariantCulture), body, mac);
        return Convert.ToHexStringLower(mac);
    }

    /// <summary>Writes the 32 bytes of the signature of <paramref name="body"/> at <paramref name="timestamp"/> into <paramref name="destination"/>.</summary>
    /// <param name="key">The client secret's UTF-8 bytes.</param>
    /// <param name="timestamp">The timestamp header's text.</param>
    /// <param name="body">The request's body.</param>
    /// <param name="destination">32 bytes.</param>
    public static void Compute(ReadOnlySpan<byte> key, string timestamp, ReadOnlySpan<byte> body, Span<byte> destination)
    {
        ArgumentNullException.ThrowIfNull(timestamp);
        using var hmac = IncrementalHash.CreateHMAC(HashAlgorithmName.SHA256, key);
        hmac.AppendData(Encoding.ASCII.GetBytes(timestamp));
        hmac.AppendData("."u8);
        hmac.AppendData(body);
        hmac.GetHashAndReset(destination);
    }
}
