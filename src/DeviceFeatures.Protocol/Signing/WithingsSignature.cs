using System.Buffers;
using System.Security.Cryptography;
using System.Text;

namespace DeviceFeatures.Protocol.Signing;

/// <summary>
/// Withings "signature v2": the values of the signed keys, sorted by key name and joined with commas,
/// signed with HMAC-SHA256 under the client secret and written as 64 lowercase hexadecimal characters.
/// </summary>
/// <remarks>
/// Only <c>action</c>, <c>client_id</c> and <c>nonce</c> (or <c>timestamp</c> for a nonce request) are signed;
/// because those key names already sort in that order, the message is always <c>{action},{client_id},{nonce}</c>.
/// </remarks>
public static class WithingsSignature
{
    /// <summary>Length of a signature in hexadecimal characters.</summary>
    public const int HexLength = 64;

    private const int HashLength = 32;

    // Messages above this size are signed from a pooled heap buffer instead of the stack.
    private const int StackLimit = 512;

    /// <summary>Signs a nonce request: <c>getnonce,{clientId},{timestamp}</c>.</summary>
    /// <param name="clientSecret">The partner's client secret.</param>
    /// <param name="clientId">The partner's client id.</param>
    /// <param name="timestamp">Unix time in seconds, as sent in the <c>timestamp</c> parameter.</param>
    /// <returns>The signature as 64 lowercase hexadecimal characters.</returns>
    public static string SignNonceRequest(string clientSecret, string clientId, long timestamp) =>
        Sign(clientSecret, "getnonce", clientId, timestamp.ToString(System.Globalization.CultureInfo.InvariantCulture));

    /// <summary>Signs an ordinary call: <c>{action},{clientId},{nonce}</c>.</summary>
    /// <param name="clientSecret">The partner's client secret.</param>
    /// <param name="action">The <c>action</c> parameter, e.g. <c>enablefeature</c>.</param>
    /// <param name="clientId">The partner's client id.</param>
    /// <param name="nonce">The nonce obtained from <c>getnonce</c>.</param>
    /// <returns>The signature as 64 lowercase hexadecimal characters.</returns>
    public static string SignCall(string clientSecret, string action, string clientId, string nonce) =>
        Sign(clientSecret, action, clientId, nonce);

    /// <summary>
    /// Signs any set of parameters the way Withings does: values sorted by key name (ordinal), joined with commas.
    /// </summary>
    /// <param name="clientSecret">The partner's client secret.</param>
    /// <param name="signedParameters">The signed keys and their values.</param>
    /// <returns>The signature as 64 lowercase hexadecimal characters.</returns>
    public static string Sign(string clientSecret, IEnumerable<KeyValuePair<string, string>> signedParameters)
    {
        ArgumentNullException.ThrowIfNull(clientSecret);
        ArgumentNullException.ThrowIfNull(signedParameters);
        var message = string.Join(',', signedParameters.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => p.Value));
        Span<byte> hash = stackalloc byte[HashLength];
        HMACSHA256.HashData(Encoding.UTF8.GetBytes(clientSecret), Encoding.UTF8.GetBytes(message), hash);
        return Convert.ToHexStringLower(hash);
    }

    /// <summary>Signs the three values <c>{first},{second},{third}</c>.</summary>
    /// <returns>The signature as 64 lowercase hexadecimal characters.</returns>
    public static string Sign(string clientSecret, string first, string second, string third)
    {
        Span<byte> hash = stackalloc byte[HashLength];
        ComputeHash(clientSecret, first, second, third, hash);
        return Convert.ToHexStringLower(hash);
    }

    /// <summary>
    /// Checks, in constant time, that <paramref name="signature"/> is the signature of
    /// <c>{first},{second},{third}</c> under <paramref name="clientSecret"/>.
    /// </summary>
    /// <remarks>Hexadecimal digits are accepted in either case; anything that is not 64 of them fails.</remarks>
    /// <returns><see langword="true"/> when the signature matches.</returns>
    public static bool Verify(
        ReadOnlySpan<char> clientSecret,
        ReadOnlySpan<char> first,
        ReadOnlySpan<char> second,
        ReadOnlySpan<char> third,
        ReadOnlySpan<char> signature)
    {
        Span<byte> expected = stackalloc byte[HashLength];
        ComputeHash(clientSecret, first, second, third, expected);
        return Matches(expected, signature);
    }

    private static void ComputeHash(
        ReadOnlySpan<char> clientSecret,
        ReadOnlySpan<char> first,
        ReadOnlySpan<char> second,
        ReadOnlySpan<char> third,
        Span<byte> destination)
    {
        var keyLength = Encoding.UTF8.GetMaxByteCount(clientSecret.Length);
        byte[]? rentedKey = null;
        try
        {
            var keyBuffer = keyLength <= StackLimit
                ? stackalloc byte[StackLimit]
                : (rentedKey = ArrayPool<byte>.Shared.Rent(keyLength));
            var key = keyBuffer[..Encoding.UTF8.GetBytes(clientSecret, keyBuffer)];
            try
            {
                ComputeHash(key, null, first, second, third, destination);
            }
            finally
            {
                CryptographicOperations.ZeroMemory(key);
            }
        }
        finally
        {
            if (rentedKey is not null)
            {
                ArrayPool<byte>.Shared.Return(rentedKey, clearArray: true);
            }
        }
    }

    /// <summary>The HMAC of <c>{first},{second},{third}</c>, under <paramref name="keyed"/> when given, else under <paramref name="key"/>.</summary>
    internal static void ComputeHash(
        ReadOnlySpan<byte> key,
        KeyedHmacSha256? keyed,
        ReadOnlySpan<char> first,
        ReadOnlySpan<char> second,
        ReadOnlySpan<char> third,
        Span<byte> destination)
    {
        var messageLength = Encoding.UTF8.GetMaxByteCount(first.Length + second.Length + third.Length + 2);
        byte[]? rentedMessage = null;
        try
        {
            var messageBuffer = messageLength <= StackLimit
                ? stackalloc byte[StackLimit]
                : (rentedMessage = ArrayPool<byte>.Shared.Rent(messageLength));

            var written = Encoding.UTF8.GetBytes(first, messageBuffer);
            messageBuffer[written++] = (byte)',';
            written += Encoding.UTF8.GetBytes(second, messageBuffer[written..]);
            messageBuffer[written++] = (byte)',';
            written += Encoding.UTF8.GetBytes(third, messageBuffer[written..]);

            if (keyed is not null)
            {
                keyed.Compute(messageBuffer[..written], destination);
            }
            else
            {
                HMACSHA256.HashData(key, messageBuffer[..written], destination);
            }
        }
        finally
        {
            if (rentedMessage is not null)
            {
                ArrayPool<byte>.Shared.Return(rentedMessage);
            }
        }
    }

    /// <summary>Compares <paramref name="expected"/> with the hexadecimal <paramref name="signature"/> in constant time.</summary>
    /// <remarks>
    /// The expected hash is written as hexadecimal (which is vectorised) rather than the given text decoded, and
    /// the two compared character by character with letters folded to lower case; the given text must be 64
    /// hexadecimal digits, so that folding cannot make anything else match.
    /// </remarks>
    internal static bool Matches(ReadOnlySpan<byte> expected, ReadOnlySpan<char> signature)
    {
        Span<char> expectedHex = stackalloc char[HexLength];
        Convert.TryToHexStringLower(expected, expectedHex, out _);
        var wellFormed = signature.Length == HexLength && !signature.ContainsAnyExcept(HexDigits);

        // Compare even when malformed, so that the time taken says nothing about the input.
        var given = wellFormed ? signature : expectedHex;
        var difference = 0;
        for (var i = 0; i < HexLength; i++)
        {
            difference |= (given[i] | 0x20) ^ expectedHex[i];
        }

        return wellFormed && difference == 0;
    }

    private static readonly SearchValues<char> HexDigits = SearchValues.Create("0123456789abcdefABCDEF");
}
