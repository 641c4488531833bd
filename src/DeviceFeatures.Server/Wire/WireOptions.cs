using System.ComponentModel.DataAnnotations;

namespace DeviceFeatures.Server.Wire;

/// <summary>Limits of the Withings wire API (section <c>Wire</c>).</summary>
internal sealed class WireOptions
{
    public const string SectionName = "Wire";

    /// <summary>The largest request body read on <c>/v2/...</c>; a larger one is refused unread.</summary>
    [Range(1024, 16 * 1024 * 1024)]
    public int MaxBodyBytes { get; set; } = 64 * 1024;
}
