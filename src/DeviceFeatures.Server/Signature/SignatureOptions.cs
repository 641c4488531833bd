using System.ComponentModel.DataAnnotations;

namespace DeviceFeatures.Server.Signature;

/// <summary>Nonce and timestamp rules (section <c>Signature</c>).</summary>
internal sealed class SignatureOptions
{
    public const string SectionName = "Signature";

    /// <summary>How far a <c>getnonce</c> timestamp may be from the server's clock, either way.</summary>
    [Range(1, 86_400)]
    public int TimestampToleranceSeconds { get; set; } = 600;

    /// <summary>How long an issued nonce stays usable (Withings: 30 minutes).</summary>
    [Range(1, 86_400)]
    public int NonceLifetimeSeconds { get; set; } = 1800;

    /// <summary>
    /// How many nonces one signed <c>getnonce</c> request (the same <c>client_id</c>, <c>timestamp</c> and
    /// <c>signature</c>) gets on an instance, at least: enough for a partner's workers that sign in the same second, few
    /// for a replay of a captured request. A partner whose quota allows more calls in a second gets that many.
    /// </summary>
    [Range(1, 10_000)]
    public int NoncesPerSignedRequest { get; set; } = 16;
}
