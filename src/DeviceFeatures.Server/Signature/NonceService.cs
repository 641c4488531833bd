using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using DeviceFeatures.Protocol.Signing;
using DeviceFeatures.Server.Hosting;
using DeviceFeatures.Server.Storage;
using Microsoft.Extensions.Options;

namespace DeviceFeatures.Server.Signature;

/// <summary>
/// Issues nonces that authenticate themselves, so that issuing one writes nothing: only its use is recorded.
/// A nonce is 20 bytes written as 40 hex characters:
/// <c>issued_at (4, Unix seconds) | random (6) | server tag (5) | client tag (5)</c>, where the server tag is an
/// HMAC under the server key over the configured lifetime and the first 10 bytes, and the client tag an HMAC over
/// those 10 bytes and the client id.
/// The server tag tells "not ours" apart from "issued to another client".
/// </summary>
internal sealed class NonceService(IOptions<SignatureOptions> options, TimeProvider time, StartupValue<NonceKey> key)
{
    public const int ByteLength = 20;
    public const int HexLength = 40;
    private const int BodyLength = 10;
    private const int TagLength = 5;

    private readonly int _lifetimeSeconds = options.Value.NonceLifetimeSeconds;

    public TimeSpan Lifetime => TimeSpan.FromSeconds(_lifetimeSeconds);

    public string Issue(string clientId)
    {
        Span<byte> nonce = stackalloc byte[ByteLength];
        BinaryPrimitives.WriteUInt32BigEndian(nonce, (uint)time.GetUtcNow().ToUnixTimeSeconds());
        RandomBytes.Fill(nonce[4..BodyLength]);
        WriteTags(nonce, clientId);
        return Convert.ToHexStringLower(nonce);
    }

    public NonceCheck Check(string nonceHex, string clientId)
    {
        Span<byte> nonce = stackalloc byte[ByteLength];
        if (nonceHex.Length != HexLength
            || Convert.FromHexString(nonceHex, nonce, out _, out var written) != System.Buffers.OperationStatus.Done
            || written != ByteLength)
        {
            return new NonceCheck(NonceVerdict.Unknown, default, null);
        }

        Span<byte> expected = stackalloc byte[ByteLength];
        nonce.CopyTo(expected);
        WriteTags(expected, clientId);
        if (!CryptographicOperations.FixedTimeEquals(nonce[BodyLength..(BodyLength + TagLength)], expected[BodyLength..(BodyLength + TagLength)]))
        {
            return new NonceCheck(NonceVerdict.Unknown, default, null);
        }

        var issuedAt = DateTimeOffset.FromUnixTimeSeconds(BinaryPrimitives.ReadUInt32BigEndian(nonce));
        var expiresAt = issuedAt + Lifetime;
        if (!CryptographicOperations.FixedTimeEquals(nonce[(BodyLength + TagLength)..], expected[(BodyLength + TagLength)..]))
        {
            return new NonceCheck(NonceVerdict.OtherClient, expiresAt, null);
        }

        var now = time.GetUtcNow();
        if (now >= expiresAt)
        {
            return new NonceCheck(NonceVerdict.Expired, expiresAt, null);
        }

        return new NonceCheck(NonceVerdict.Valid, expiresAt, nonce.ToArray());
    }

    private void WriteTags(Span<byte> nonce, string clientId)
    {
        var hmac = key.Value.Hmac;
        Span<byte> mac = stackalloc byte[32];

        // The lifetime is part of the server tag: changing it retires every outstanding nonce, so that a used nonce
        // whose record was swept under the old lifetime can never come back to life under a longer one.
        Span<byte> serverInput = stackalloc byte[BodyLength + 5];
        serverInput[0] = (byte)'S';
        BinaryPrimitives.WriteInt32BigEndian(serverInput[1..], _lifetimeSeconds);
        nonce[..BodyLength].CopyTo(serverInput[5..]);
        hmac.Compute(serverInput, mac);
        mac[..TagLength].CopyTo(nonce[BodyLength..]);

        var clientBytes = Encoding.UTF8.GetByteCount(clientId);
        var clientInput = clientBytes <= 256 ? stackalloc byte[BodyLength + 1 + 256] : new byte[BodyLength + 1 + clientBytes];
        clientInput[0] = (byte)'C';
        nonce[..BodyLength].CopyTo(clientInput[1..]);
        var length = 1 + BodyLength + Encoding.UTF8.GetBytes(clientId, clientInput[(1 + BodyLength)..]);
        hmac.Compute(clientInput[..length], mac);
        mac[..TagLength].CopyTo(nonce[(BodyLength + TagLength)..]);
    }
}

/// <summary>The key every instance of a deployment signs its nonces with, read from the shared database at start.</summary>
internal sealed class NonceKey(byte[] key)
{
    public KeyedHmacSha256 Hmac { get; } = new(key);
}

/// <summary>Loads the nonce key from <c>server_keys</c>, creating it on the very first start.</summary>
internal sealed class NonceKeyStep(IFeatureStore store, TimeProvider time, StartupValue<NonceKey> key) : IStartupStep
{
    public const string KeyName = "nonce";

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        var candidate = RandomNumberGenerator.GetBytes(32);
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        key.Load(new NonceKey(await store.WriteAsync(s => s.GetOrAddServerKeyAsync(KeyName, candidate, now), cancellationToken)));
    }
}

internal enum NonceVerdict
{
    Valid,
    Unknown,
    OtherClient,
    Expired,
}

/// <summary>The verdict on a nonce; <see cref="Bytes"/> is the value to record as used when it is valid.</summary>
internal readonly record struct NonceCheck(NonceVerdict Verdict, DateTimeOffset ExpiresAt, byte[]? Bytes);

/// <summary>
/// Bytes from the system's cryptographic generator, drawn 4 KiB at a time per thread: a nonce needs 6, and
/// asking OpenSSL for each 6 separately costs more than the rest of issuing one.
/// </summary>
internal static class RandomBytes
{
    private const int BlockLength = 4096;

    [ThreadStatic]
    private static byte[]? t_block;

    [ThreadStatic]
    private static int t_used;

    public static void Fill(Span<byte> destination)
    {
        if (destination.Length > BlockLength / 4)
        {
            RandomNumberGenerator.Fill(destination);
            return;
        }

        var block = t_block ??= new byte[BlockLength];
        if (t_used == 0 || t_used + destination.Length > BlockLength)
        {
            RandomNumberGenerator.Fill(block);
            t_used = 0;
        }

        var taken = block.AsSpan(t_used, destination.Length);
        taken.CopyTo(destination);

        // Bytes handed out are not kept: what is left in memory is only what has not been used yet.
        taken.Clear();
        t_used += destination.Length;
    }
}
