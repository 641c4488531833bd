using System.Security.Cryptography;
using System.Text;
using DeviceFeatures.Server.Storage;
using Microsoft.Extensions.Options;

namespace DeviceFeatures.Server.Admin;

/// <summary>Section <c>Admin</c>.</summary>
public sealed class AdminOptions
{
    public const string SectionName = "Admin";

    /// <summary>The operators' bearer key. When unset, one is generated on first start and printed once.</summary>
    public string? ApiKey { get; set; }
}

/// <summary>
/// Holds only the SHA-256 of the admin key: a configured key is hashed at start, a generated one is stored as its
/// hash in the database, so the key itself is never at rest.
/// </summary>
public sealed class AdminKeys(IOptions<AdminOptions> options, TextWriter console)
{
    internal const string SettingName = "admin_key_sha256";
    private byte[]? _hash;

    public async Task InitializeAsync(IFeatureStore store, CancellationToken cancellationToken)
    {
        if (!string.IsNullOrEmpty(options.Value.ApiKey))
        {
            _hash = Hash(options.Value.ApiKey);
            return;
        }

        var generated = "dfadm_" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(24));
        var stored = await store.WriteAsync(async s =>
        {
            await s.AddSettingAsync(SettingName, Convert.ToHexStringLower(Hash(generated)));
            return await s.GetSettingAsync(SettingName);
        }, cancellationToken);

        _hash = Convert.FromHexString(stored!);
        if (CryptographicOperations.FixedTimeEquals(_hash, Hash(generated)))
        {
            // Shown once, on the console rather than in the logs: only its hash is kept.
            await console.WriteLineAsync($"""

                Admin API key (shown only now; set Admin:ApiKey to choose your own):
                    {generated}

                """);
        }
    }

    public bool IsValid(ReadOnlySpan<char> presented)
    {
        if (_hash is null || presented.IsEmpty)
        {
            return false;
        }

        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        var bytes = Encoding.UTF8.GetBytes(presented.ToArray());
        SHA256.HashData(bytes, hash);
        return CryptographicOperations.FixedTimeEquals(hash, _hash);
    }

    private static byte[] Hash(string key) => SHA256.HashData(Encoding.UTF8.GetBytes(key));
}
