using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace DeviceFeatures.Protocol.Signing;

/// <summary>
/// <see cref="WithingsSignature"/> under one client secret, keyed once: for a client or a server that signs or
/// checks many requests of the same partner. Safe to use from many threads at once; a check allocates nothing.
/// </summary>
public sealed class WithingsSigner
{
    private readonly KeyedHmacSha256 _hmac;

    /// <summary>Keys the signer with the client secret (its UTF-8 bytes, as Withings does).</summary>
    /// <param name="clientSecret">The partner's client secret.</param>
    public WithingsSigner(string clientSecret)
    {
        ArgumentNullException.ThrowIfNull(clientSecret);
        var key = Encoding.UTF8.GetBytes(clientSecret);
        _hmac = new KeyedHmacSha256(key);
        CryptographicOperations.ZeroMemory(key);
    }

    /// <summary>Signs a nonce request: <c>getnonce,{clientId},{timestamp}</c>.</summary>
    /// <param name="clientId">The partner's client id.</param>
    /// <param name="timestamp">Unix time in seconds, as sent in the <c>timestamp</c> parameter.</param>
    /// <returns>The signature as 64 lowercase hexadecimal characters.</returns>
    public string SignNonceRequest(string clientId, long timestamp)
    {
        Span<char> text = stackalloc char[20];
        timestamp.TryFormat(text, out var length, provider: CultureInfo.InvariantCulture);
        return Sign("getnonce", clientId, text[..length]);
    }

    /// <summary>Signs an ordinary call: <c>{action},{clientId},{nonce}</c>.</summary>
    /// <param name="action">The <c>action</c> parameter, e.g. <c>enablefeature</c>.</param>
    /// <param name="clientId">The partner's client id.</param>
    /// <param name="nonce">The nonce obtained from <c>getnonce</c>.</param>
    /// <returns>The signature as 64 lowercase hexadecimal characters.</returns>
    public string SignCall(string action, string clientId, string nonce) => Sign(action, clientId, nonce);

    /// <summary>Signs the three values <c>{first},{second},{third}</c>.</summary>
    /// <returns>The signature as 64 lowercase hexadecimal characters.</returns>
    public string Sign(ReadOnlySpan<char> first, ReadOnlySpan<char> second, ReadOnlySpan<char> third)
    {
        Span<byte> hash = stackalloc byte[KeyedHmacSha256.HashLength];
        WithingsSignature.ComputeHash(default, _hmac, first, second, third, hash);
        return Convert.ToHexStringLower(hash);
    }

    /// <summary>
    /// Checks, in constant time, that <paramref name="signature"/> is the signature of
    /// <c>{first},{second},{third}</c> under this signer's secret.
    /// </summary>
    /// <remarks>Hexadecimal digits are accepted in either case; anything that is not 64 of them fails.</remarks>
    /// <returns><see langword="true"/> when the signature matches.</returns>
    public bool Verify(ReadOnlySpan<char> first, ReadOnlySpan<char> second, ReadOnlySpan<char> third, ReadOnlySpan<char> signature)
    {
        Span<byte> expected = stackalloc byte[KeyedHmacSha256.HashLength];
        WithingsSignature.ComputeHash(default, _hmac, first, second, third, expected);
        return WithingsSignature.Matches(expected, signature);
    }
}
