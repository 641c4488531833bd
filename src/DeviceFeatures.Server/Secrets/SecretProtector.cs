using System.ComponentModel.DataAnnotations;
using System.Security.Cryptography;
using System.Text;
using DeviceFeatures.Server.Partners;
using DeviceFeatures.Server.Storage;
using Microsoft.Extensions.Options;

namespace DeviceFeatures.Server.Secrets;

/// <summary>Section <c>Secrets</c>.</summary>
public sealed class SecretOptions
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

/// <summary>
/// Encrypts client secrets with AES-256-GCM: <c>v1:</c> followed by base64 of nonce (12) | ciphertext | tag (16).
/// The client id is the associated data, so a secret copied onto another partner's row does not decrypt.
/// </summary>
public sealed partial class SecretProtector(IOptions<SecretOptions> options, ILogger<SecretProtector> logger)
{
    internal const string Prefix = "v1:";
    internal const string SettingName = "secrets_key";
    private byte[]? _key;

    public async Task InitializeAsync(IFeatureStore store, CancellationToken cancellationToken)
    {
        if (!string.IsNullOrWhiteSpace(options.Value.Key))
        {
            _key = ParseKey(options.Value.Key);
        }
        else
        {
            var candidate = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
            var stored = await store.WriteAsync(async s =>
            {
                await s.AddSettingAsync(SettingName, candidate);
                return await s.GetSettingAsync(SettingName);
            }, cancellationToken);
            _key = ParseKey(stored!);
            LogKeyInDatabase();
        }

        // A key that does not open the stored secrets would turn every partner's request into an error: stop here.
        var partners = await store.ReadAsync(s => s.ListPartnersAsync(), cancellationToken);
        if (partners.FirstOrDefault(p => p.ClientSecret.StartsWith(Prefix, StringComparison.Ordinal)) is { } sample)
        {
            try
            {
                Unprotect(sample.ClientId, sample.ClientSecret);
            }
            catch (CryptographicException)
            {
                throw new InvalidOperationException(
                    "The secrets key does not decrypt the partners' stored secrets: start with the Secrets:Key they were encrypted with.");
            }
        }

        // Secrets written before encryption existed are encrypted now, once.
        foreach (var partner in partners.Where(p => !p.ClientSecret.StartsWith(Prefix, StringComparison.Ordinal)))
        {
            var encrypted = Protect(partner.ClientId, partner.ClientSecret);
            await store.WriteAsync(s => s.ReplacePlainSecretAsync(partner.ClientId, partner.ClientSecret, encrypted), cancellationToken);
        }
    }

    public string Protect(string clientId, string secret)
    {
        var key = _key ?? throw new InvalidOperationException("The secrets key has not been loaded yet.");
        var plain = Encoding.UTF8.GetBytes(secret);
        var sealedBytes = new byte[12 + plain.Length + 16];
        var nonce = sealedBytes.AsSpan(0, 12);
        RandomNumberGenerator.Fill(nonce);
        using var aes = new AesGcm(key, 16);
        aes.Encrypt(nonce, plain, sealedBytes.AsSpan(12, plain.Length), sealedBytes.AsSpan(12 + plain.Length), Encoding.UTF8.GetBytes(clientId));
        CryptographicOperations.ZeroMemory(plain);
        return Prefix + Convert.ToBase64String(sealedBytes);
    }

    public string Unprotect(string clientId, string stored)
    {
        var key = _key ?? throw new InvalidOperationException("The secrets key has not been loaded yet.");
        if (!stored.StartsWith(Prefix, StringComparison.Ordinal))
        {
            throw new CryptographicException($"The secret of {clientId} is not in a known format.");
        }

        var sealedBytes = Convert.FromBase64String(stored[Prefix.Length..]);
        var plain = new byte[sealedBytes.Length - 28];
        using var aes = new AesGcm(key, 16);
        aes.Decrypt(sealedBytes.AsSpan(0, 12), sealedBytes.AsSpan(12, plain.Length), sealedBytes.AsSpan(12 + plain.Length), plain, Encoding.UTF8.GetBytes(clientId));
        return Encoding.UTF8.GetString(plain);
    }

    private static byte[] ParseKey(string base64)
    {
        byte[] key;
        try
        {
            key = Convert.FromBase64String(base64.Trim());
        }
        catch (FormatException)
        {
            throw new InvalidOperationException("Secrets:Key must be the base64 of 32 random bytes (e.g. openssl rand -base64 32).");
        }

        return key.Length == 32
            ? key
            : throw new InvalidOperationException("Secrets:Key must be the base64 of 32 random bytes (e.g. openssl rand -base64 32).");
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Secrets:Key is not set: client secrets are encrypted with a key kept in the database itself. Set Secrets:Key (base64 of 32 bytes) to keep the key apart from the data.")]
    private partial void LogKeyInDatabase();
}

public static class SecretServiceCollectionExtensions
{
    public static IServiceCollection AddSecrets(this IServiceCollection services)
    {
        services.AddOptions<SecretOptions>().BindConfiguration(SecretOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<SecretProtector>();
        return services;
    }
}
