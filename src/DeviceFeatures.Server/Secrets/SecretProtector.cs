using System.ComponentModel.DataAnnotations;
using System.Security.Cryptography;
using System.Text;
using DeviceFeatures.Server.Hosting;
using DeviceFeatures.Server.Partners;
using DeviceFeatures.Server.Storage;
using Microsoft.Extensions.Options;

namespace DeviceFeatures.Server.Secrets;

/// <summary>Section <c>Secrets</c>.</summary>
internal sealed class SecretOptions
{
    public const string SectionName = "Secrets";

    /// <summary>
    /// The AES-256 key (base64 of 32 bytes) that encrypts client secrets at rest. Give every instance the same one.
    /// When unset, a key is generated and kept in the database, which protects nothing against a stolen database.
    /// </summary>
    public string? Key { get; set; }

    /// <summary>After a rotation, how long the previous client secret is still accepted (seconds; 0: not at all).</summary>
    [Range(0, 30 * 86_400)]
    public int RotationOverlapSeconds { get; set; } = 3600;
}

/// <summary>The AES-256 key that encrypts client secrets at rest, loaded at start.</summary>
internal sealed class SecretKey(byte[] key)
{
    public byte[] Bytes { get; } = key;
}

/// <summary>
/// Encrypts client secrets with AES-256-GCM: <c>v1:</c> followed by base64 of nonce (12) | ciphertext | tag (16).
/// The client id is the associated data, so a secret copied onto another partner's row does not decrypt.
/// </summary>
internal sealed class SecretProtector(StartupValue<SecretKey> key)
{
    internal const string Prefix = "v1:";

    public string Protect(string clientId, string secret)
    {
        var plain = Encoding.UTF8.GetBytes(secret);
        var sealedBytes = new byte[12 + plain.Length + 16];
        var nonce = sealedBytes.AsSpan(0, 12);
        RandomNumberGenerator.Fill(nonce);
        using var aes = new AesGcm(key.Value.Bytes, 16);
        aes.Encrypt(nonce, plain, sealedBytes.AsSpan(12, plain.Length), sealedBytes.AsSpan(12 + plain.Length), Encoding.UTF8.GetBytes(clientId));
        CryptographicOperations.ZeroMemory(plain);
        return Prefix + Convert.ToBase64String(sealedBytes);
    }

    /// <summary>
    /// The associated data of a device secret: a device's MAC address cannot be confused with a partner's client id,
    /// and a secret copied onto another device's row does not decrypt.
    /// </summary>
    public static string DeviceContext(string macAddress) => "device " + macAddress;

    public string Unprotect(string clientId, string stored)
    {
        if (!stored.StartsWith(Prefix, StringComparison.Ordinal))
        {
            throw new CryptographicException($"The secret of {clientId} is not in a known format.");
        }

        var sealedBytes = Convert.FromBase64String(stored[Prefix.Length..]);
        var plain = new byte[sealedBytes.Length - 28];
        using var aes = new AesGcm(key.Value.Bytes, 16);
        aes.Decrypt(sealedBytes.AsSpan(0, 12), sealedBytes.AsSpan(12, plain.Length), sealedBytes.AsSpan(12 + plain.Length), plain, Encoding.UTF8.GetBytes(clientId));
        return Encoding.UTF8.GetString(plain);
    }
}

/// <summary>
/// Loads the secrets key (<c>Secrets:Key</c>, or the key kept in the database), checks that it opens the stored
/// secrets, and encrypts any secret an earlier version stored in clear.
/// </summary>
internal sealed partial class SecretKeyStep(
    IOptions<SecretOptions> options,
    IFeatureStore store,
    StartupValue<SecretKey> key,
    SecretProtector protector,
    ILogger<SecretKeyStep> logger) : IStartupStep
{
    internal const string SettingName = "secrets_key";

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        if (!string.IsNullOrWhiteSpace(options.Value.Key))
        {
            key.Load(new SecretKey(ParseKey(options.Value.Key)));
        }
        else
        {
            var candidate = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
            var stored = await store.WriteAsync(async s =>
            {
                await s.AddSettingAsync(SettingName, candidate);
                return await s.GetSettingAsync(SettingName);
            }, cancellationToken);
            key.Load(new SecretKey(ParseKey(stored!)));
            LogKeyInDatabase();
        }

        // A key that does not open the stored secrets would turn every partner's request into an error: stop here.
        var partners = await store.ReadAsync(s => s.ListPartnersAsync(), cancellationToken);
        if (partners.FirstOrDefault(p => p.ClientSecret.StartsWith(SecretProtector.Prefix, StringComparison.Ordinal)) is { } sample)
        {
            try
            {
                protector.Unprotect(sample.ClientId, sample.ClientSecret);
            }
            catch (CryptographicException ex)
            {
                throw new StartupFailureException(
                    string.IsNullOrWhiteSpace(options.Value.Key)
                        ? "The secrets key kept in the database does not decrypt the partners' stored secrets: they were encrypted with a Secrets:Key; start with that Secrets:Key."
                        : "Secrets:Key does not decrypt the partners' stored secrets: start with the Secrets:Key they were encrypted with (one key, no re-encryption).",
                    StartupExitCodes.Configuration,
                    ex);
            }
        }

        // Secrets written before encryption existed are encrypted now, once.
        foreach (var partner in partners.Where(p => !p.ClientSecret.StartsWith(SecretProtector.Prefix, StringComparison.Ordinal)))
        {
            var encrypted = protector.Protect(partner.ClientId, partner.ClientSecret);
            await store.WriteAsync(s => s.ReplacePlainSecretAsync(partner.ClientId, partner.ClientSecret, encrypted), cancellationToken);
        }
    }

    private static byte[] ParseKey(string base64)
    {
        byte[]? key = null;
        try
        {
            key = Convert.FromBase64String(base64.Trim());
        }
        catch (FormatException)
        {
        }

        return key is { Length: 32 }
            ? key
            : throw new StartupFailureException(
                "Secrets:Key must be the base64 of 32 random bytes: create one with 'openssl rand -base64 32'.", StartupExitCodes.Configuration);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Secrets:Key is not set, so client secrets are encrypted with a key kept in the same database: in production, set Secrets:Key to 'openssl rand -base64 32' on every instance before the first start.")]
    private partial void LogKeyInDatabase();
}

internal static class SecretServiceCollectionExtensions
{
    public static IServiceCollection AddSecrets(this IServiceCollection services)
    {
        services.AddOptions<SecretOptions>().BindConfiguration(SecretOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<StartupValue<SecretKey>>();
        services.AddSingleton<SecretProtector>();
        services.AddStartupStep<SecretKeyStep>();
        return services;
    }
}
