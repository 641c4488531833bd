using System.ComponentModel.DataAnnotations;

namespace DeviceFeatures.Server.DeviceApi;

/// <summary>Section <c>DeviceApi</c>: the device-facing API (docs/device-api.md).</summary>
internal sealed class DeviceApiOptions
{
    public const string SectionName = "DeviceApi";

    /// <summary>How far a request's <c>X-Device-Timestamp</c> may be from the server's clock, either way (seconds).</summary>
    [Range(5, 3600)]
    public int TimestampToleranceSeconds { get; set; } = 300;

    /// <summary>The longest <c>wait</c> of a long poll (seconds); a longer one is refused.</summary>
    [Range(1, 600)]
    public int MaxWaitSeconds { get; set; } = 60;

    /// <summary>How many long polls of one device may wait at once on one instance; one more is answered 429.</summary>
    [Range(1, 100)]
    public int MaxWaitersPerDevice { get; set; } = 2;

    /// <summary>
    /// How long a device may go without a signed request before the sync status of its features is <c>unknown</c>
    /// (unless its last report already covers its current configuration).
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:01", "365.00:00:00")]
    public TimeSpan UnknownAfter { get; set; } = TimeSpan.FromHours(1);

    /// <summary>Whether PostgreSQL instances wake each other's waiting devices with LISTEN/NOTIFY.</summary>
    public bool ListenForChanges { get; set; } = true;
}
