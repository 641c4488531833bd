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
}
