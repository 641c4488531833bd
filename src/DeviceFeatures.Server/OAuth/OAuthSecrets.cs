using System.Security.Cryptography;
using System.Text;

namespace DeviceFeatures.Server.OAuth;

/// <summary>
/// Authorization codes, access tokens and refresh tokens: random, handed out once, kept only as their SHA-256, never
/// logged and never written into an audit event. Their lifetimes are documented in docs/protocol.md.
/// </summary>
internal static class OAuthSecrets
{
    /// <summary>How long an authorization code from activate may be exchanged (Withings: "only valid for 10 minutes").</summary>
    public static readonly TimeSpan CodeLifetime = TimeSpan.FromMinutes(10);

    /// <summary>How long an access token works: Withings' <c>expires_in</c> of 10800 seconds.</summary>
    public static readonly TimeSpan AccessTokenLifetime = TimeSpan.FromSeconds(10800);

    /// <summary>How long an unused refresh token may renew the tokens; each use replaces it with a new one.</summary>
    public static readonly TimeSpan RefreshTokenLifetime = TimeSpan.FromDays(365);

    /// <summary>
    /// How long an expired code or token is kept before it is deleted, so that its use is answered "expired" rather
    /// than "unknown" for a while.
    /// </summary>
    public static readonly TimeSpan KeepExpiredFor = TimeSpan.FromDays(1);

    /// <summary>The scope every token carries: getdevice needs user.info; user.metrics as in Withings' example.</summary>
    public const string Scope = "user.info,user.metrics";

    /// <summary>20 random bytes as 40 lowercase hexadecimal characters, the length of Withings' own codes and tokens.</summary>
    public static string NewSecret() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(20));

    /// <summary>A random 32-character text from the URL-safe base64 alphabet, for <c>csrf_token</c>.</summary>
    public static string NewCsrfToken() =>
        Convert.ToBase64String(RandomNumberGenerator.GetBytes(24)).Replace('+', '-').Replace('/', '_');

    public static byte[] Hash(string secret) => SHA256.HashData(Encoding.UTF8.GetBytes(secret));
}
