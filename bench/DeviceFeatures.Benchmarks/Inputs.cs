using System.Security.Cryptography;

namespace DeviceFeatures.Benchmarks;

/// <summary>
/// Values shaped like the real ones: the admin API creates 64-hex client ids and secrets, nonces are 40 hex
/// characters and signatures 64. Fixed seeds keep runs comparable.
/// </summary>
internal static class Inputs
{
    public static readonly string ClientId = Hex(1, 32);
    public static readonly string ClientSecret = Hex(2, 32);
    public static readonly string Nonce = Hex(3, 20);
    public const long Timestamp = 1_795_510_800;
    public const string FeatureName = "feature_eyes_closed_mode";

    public static string Hex(int seed, int bytes)
    {
        var random = new Random(seed);
        var buffer = new byte[bytes];
        random.NextBytes(buffer);
        return Convert.ToHexStringLower(buffer);
    }

    public static byte[] Key(int seed)
    {
        var random = new Random(seed);
        var key = new byte[32];
        random.NextBytes(key);
        return key;
    }

    public static string RandomHex(int bytes) => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(bytes));
}
