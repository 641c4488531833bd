using System.Security.Cryptography;
using System.Text;
using DeviceFeatures.Server.Hosting;
using DeviceFeatures.Server.Storage;
using Microsoft.Extensions.Options;

namespace DeviceFeatures.Server.Admin;

/// <summary>Section <c>Admin</c>.</summary>
internal sealed class AdminOptions
{
    public const string SectionName = "Admin";

    /// <summary>
    /// The fewest characters a configured key may have: 32 characters are out of reach of guessing even from one
    /// character class, and a generated key has 54. A shorter key stops the start.
    /// </summary>
    public const int MinimumApiKeyLength = 32;

    /// <summary>The operators' bearer key. When unset, one is generated on first start and printed once.</summary>
    public string? ApiKey { get; set; }

    /// <summary>
    /// Wrong keys one address may send within a minute before it is answered 429 until the minute ends; 0 turns
    /// the throttle off.
    /// </summary>
    [System.ComponentModel.DataAnnotations.Range(0, 1_000_000)]
    public int FailedKeyAttemptsPerMinute { get; set; } = 10;

    /// <summary>
    /// The largest admin request body, in bytes: a full import (1,000 devices) fits with room to spare, and nothing
    /// larger is read (413 <c>request_too_large</c>).
    /// </summary>
    [System.ComponentModel.DataAnnotations.Range(1024, 1L << 30)]
    public long MaxBodyBytes { get; set; } = 1 << 20;
}

/// <summary>The SHA-256 of the admin key, loaded at start: the key itself is never at rest.</summary>
internal sealed class AdminKeyHash(byte[] hash)
{
    public byte[] Bytes { get; } = hash;
}

/// <summary>Checks a presented admin key against the hash loaded at start.</summary>
internal sealed class AdminKeys(StartupValue<AdminKeyHash> hash)
{
    public bool IsValid(ReadOnlySpan<char> presented)
    {
        if (!hash.IsLoaded || presented.IsEmpty)
        {
            return false;
        }

        Span<byte> presentedHash = stackalloc byte[SHA256.HashSizeInBytes];
        var bytes = Encoding.UTF8.GetBytes(presented.ToArray());
        SHA256.HashData(bytes, presentedHash);
        return CryptographicOperations.FixedTimeEquals(presentedHash, hash.Value.Bytes);
    }

    internal static byte[] Hash(string key) => SHA256.HashData(Encoding.UTF8.GetBytes(key));
}

/// <summary>
/// A configured key is hashed at start; otherwise a key is generated on the first start, stored as its hash, and
/// printed once the server listens, so that nothing is printed by a server that then fails to start.
/// </summary>
internal sealed class AdminKeyStep(IOptions<AdminOptions> options, IFeatureStore store, StartupValue<AdminKeyHash> hash, TextWriter console)
    : IStartupStep, IStartedStep
{
    internal const string SettingName = "admin_key_sha256";
    private string? _generated;

    async Task IStartupStep.RunAsync(CancellationToken cancellationToken)
    {
        if (!string.IsNullOrEmpty(options.Value.ApiKey))
        {
            // The key itself is never part of the message: it may be a real one that is merely short.
            if (options.Value.ApiKey.Length < AdminOptions.MinimumApiKeyLength)
            {
                throw new StartupFailureException(
                    $"Admin:ApiKey is {options.Value.ApiKey.Length} characters long; it must be at least {AdminOptions.MinimumApiKeyLength} characters " +
                    "(create one with 'openssl rand -hex 24'), or leave it unset to have one generated.",
                    StartupExitCodes.Configuration);
            }

            hash.Load(new AdminKeyHash(AdminKeys.Hash(options.Value.ApiKey)));
            return;
        }

        var generated = "dfadm_" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(24));
        var stored = Convert.FromHexString((await store.WriteAsync(async s =>
        {
            await s.AddSettingAsync(SettingName, Convert.ToHexStringLower(AdminKeys.Hash(generated)));
            return await s.GetSettingAsync(SettingName);
        }, cancellationToken))!);
        hash.Load(new AdminKeyHash(stored));
        if (CryptographicOperations.FixedTimeEquals(stored, AdminKeys.Hash(generated)))
        {
            _generated = generated;
        }
    }

    async Task IStartedStep.RunAsync(CancellationToken cancellationToken)
    {
        if (Interlocked.Exchange(ref _generated, null) is { } key)
        {
            // Shown once, on the console rather than in the logs: only its hash is kept.
            await console.WriteLineAsync($"""

                Admin API key (shown only now; keep it, or set Admin:ApiKey to choose your own):
                    export ADMIN_KEY={key}

                """);
        }
    }
}
