using System.Security.Cryptography;

namespace DeviceFeatures.Protocol.Signing;

/// <summary>
/// HMAC-SHA256 under one key, keyed once and usable from many threads at once.
/// </summary>
/// <remarks>
/// <see cref="HMACSHA256.HashData(ReadOnlySpan{byte}, ReadOnlySpan{byte}, Span{byte})"/> sets the key up again on
/// every call, which costs more than hashing a short message. This keeps a few keyed
/// <see cref="IncrementalHash"/> instances, each used by one caller at a time and reset after each hash, so that a
/// hash allocates nothing and costs about half as much. The native state of the instances is released when this
/// object is collected.
/// </remarks>
public sealed class KeyedHmacSha256
{
    /// <summary>Length of a hash in bytes.</summary>
    public const int HashLength = 32;

    private readonly byte[] _key;
    private readonly IncrementalHash?[] _idle = new IncrementalHash?[Math.Max(4, Environment.ProcessorCount * 2)];

    /// <summary>Keeps a copy of <paramref name="key"/>.</summary>
    /// <param name="key">The HMAC key.</param>
    public KeyedHmacSha256(ReadOnlySpan<byte> key) => _key = key.ToArray();

    /// <summary>Writes the HMAC of <paramref name="message"/> into the first 32 bytes of <paramref name="destination"/>.</summary>
    /// <param name="message">The message.</param>
    /// <param name="destination">At least 32 bytes.</param>
    public void Compute(ReadOnlySpan<byte> message, Span<byte> destination)
    {
        var hmac = Rent();
        hmac.AppendData(message);
        hmac.GetHashAndReset(destination);
        Return(hmac);
    }

    private IncrementalHash Rent()
    {
        for (var i = 0; i < _idle.Length; i++)
        {
            if (Interlocked.Exchange(ref _idle[i], null) is { } idle)
            {
                return idle;
            }
        }

        return IncrementalHash.CreateHMAC(HashAlgorithmName.SHA256, _key);
    }

    private void Return(IncrementalHash hmac)
    {
        for (var i = 0; i < _idle.Length; i++)
        {
            if (Interlocked.CompareExchange(ref _idle[i], hmac, null) is null)
            {
                return;
            }
        }

        // More callers at once than slots: the extra instance is not kept.
        hmac.Dispose();
    }
}
