using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace DeviceFeatures.Protocol.DeviceApi;

/// <summary>
/// How a device signs a request (docs/device-api.md): HMAC-SHA256, keyed with the UTF-8 of the device secret, over
/// six lines joined by <c>\n</c>: method, path with query, MAC address, timestamp, nonce, and the lowercase hex
/// SHA-256 of the body (of nothing for a GET). The server and the device compute the same text.
/// </summary>
public static class DeviceSigning
{
    /// <summary>The text that is signed.</summary>
    public static string StringToSign(string method, string pathAndQuery, string macAddress, long timestamp, string nonce, ReadOnlySpan<byte> body) =>
        string.Join('\n',
            method.ToUpperInvariant(),
            pathAndQuery,
            macAddress.ToLowerInvariant(),
            timestamp.ToString(CultureInfo.InvariantCulture),
            nonce,
            Convert.ToHexStringLower(SHA256.HashData(body)));

    /// <summary>The signature: lowercase hex of HMAC-SHA256(secret, <see cref="StringToSign"/>).</summary>
    public static string Sign(string secret, string method, string pathAndQuery, string macAddress, long timestamp, string nonce, ReadOnlySpan<byte> body)
    {
        ArgumentNullException.ThrowIfNull(secret);
        return Convert.ToHexStringLower(HMACSHA256.HashData(
            Encoding.UTF8.GetBytes(secret), Encoding.UTF8.GetBytes(StringToSign(method, pathAndQuery, macAddress, timestamp, nonce, body))));
    }
}
