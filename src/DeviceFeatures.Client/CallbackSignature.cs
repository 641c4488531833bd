using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using DeviceFeatures.Protocol.Callbacks;

namespace DeviceFeatures.Client;

/// <summary>
/// Verifies the change events a DeviceFeatures server POSTs to a partner's callback URL: the
/// <see cref="CallbackHeaders.Signature"/> header must be HMAC-SHA256 of <c>{timestamp}.{body}</c> under one of the
/// partner's client secrets, and <see cref="CallbackHeaders.Timestamp"/> within the tolerance of now, so that a
/// captured request cannot be replayed later. Comparisons take constant time.
/// </summary>
public static class CallbackSignature
{
    /// <summary>The tolerance used when none is given: 5 minutes either side of now.</summary>
    public static readonly TimeSpan DefaultTolerance = TimeSpan.FromMinutes(5);

    /// <summary>Whether a received request is signed by the server with one of <paramref name="secrets"/>.</summary>
    /// <param name="secrets">
    /// The partner's client secret; during a rotation, the new one and the previous one (the server signs with the
    /// secret current when it sends).
    /// </param>
    /// <param name="timestampHeader">The value of <see cref="CallbackHeaders.Timestamp"/>.</param>
    /// <param name="signatureHeader">The value of <see cref="CallbackHeaders.Signature"/>.</param>
    /// <param name="body">The request's body, exactly as received (read it before parsing the form).</param>
    /// <param name="now">The receiver's clock.</param>
    /// <param name="tolerance">How far the timestamp may be from <paramref name="now"/>; <see cref="DefaultTolerance"/> when null.</param>
    /// <returns><see langword="true"/> when the signature is valid and the timestamp within the tolerance.</returns>
    public static bool Verify(
        IEnumerable<string> secrets, string? timestampHeader, string? signatureHeader, ReadOnlySpan<byte> body, DateTimeOffset now, TimeSpan? tolerance = null)
    {
        ArgumentNullException.ThrowIfNull(secrets);
        if (timestampHeader is null || signatureHeader is null
            || !long.TryParse(timestampHeader, NumberStyles.None, CultureInfo.InvariantCulture, out var timestamp)
            || signatureHeader.Length != 64)
        {
            return false;
        }

        // Out of range times are refused before any arithmetic could overflow.
        var limit = (tolerance ?? DefaultTolerance).TotalSeconds;
        if (Math.Abs((double)timestamp - now.ToUnixTimeSeconds()) > limit)
        {
            return false;
        }

        Span<byte> presented = stackalloc byte[32];
        if (Convert.FromHexString(signatureHeader, presented, out _, out var written) != System.Buffers.OperationStatus.Done || written != 32)
        {
            return false;
        }

        // Every secret is tried, so that the time taken does not tell which one matched.
        Span<byte> expected = stackalloc byte[32];
        var valid = false;
        foreach (var secret in secrets)
        {
            if (string.IsNullOrEmpty(secret))
            {
                continue;
            }

            CallbackSigning.Compute(Encoding.UTF8.GetBytes(secret), timestampHeader, body, expected);
            valid |= CryptographicOperations.FixedTimeEquals(expected, presented);
        }

        return valid;
    }

    /// <summary>Whether a received request is signed with <paramref name="secret"/> (see the overload for several secrets).</summary>
    /// <param name="secret">The partner's client secret.</param>
    /// <param name="timestampHeader">The value of <see cref="CallbackHeaders.Timestamp"/>.</param>
    /// <param name="signatureHeader">The value of <see cref="CallbackHeaders.Signature"/>.</param>
    /// <param name="body">The request's body, exactly as received.</param>
    /// <param name="now">The receiver's clock.</param>
    /// <param name="tolerance">How far the timestamp may be from <paramref name="now"/>; <see cref="DefaultTolerance"/> when null.</param>
    /// <returns><see langword="true"/> when the signature is valid and the timestamp within the tolerance.</returns>
    public static bool Verify(
        string secret, string? timestampHeader, string? signatureHeader, ReadOnlySpan<byte> body, DateTimeOffset now, TimeSpan? tolerance = null) =>
        Verify([secret], timestampHeader, signatureHeader, body, now, tolerance);
}
