using System.Text.Json.Serialization;

namespace DeviceFeatures.Protocol.DeviceApi;

/// <summary>
/// The answer of <c>GET /device/v1/configuration</c>: every catalog feature of the device's model with the state the
/// device must run it in, never a delta, and the version of that configuration (also its <c>ETag</c>).
/// </summary>
/// <param name="MacAddress">The device, lowercase <c>aa:bb:cc:dd:ee:ff</c>.</param>
/// <param name="Model">Its Withings model id.</param>
/// <param name="Version">Grows whenever the configuration may have changed; never goes back.</param>
/// <param name="Features">Every feature of the model, in catalog order.</param>
public sealed record DeviceConfiguration(string MacAddress, int Model, long Version, IReadOnlyList<DeviceFeatureSetting> Features);

/// <summary>One feature of a <see cref="DeviceConfiguration"/>.</summary>
/// <param name="FeatureName">The catalog name, e.g. <c>feature_esc</c>.</param>
/// <param name="Active">Whether the device must run it switched on.</param>
public sealed record DeviceFeatureSetting(string FeatureName, bool Active);

/// <summary>The body of <c>POST /device/v1/report</c>: what the device runs after applying a configuration.</summary>
/// <param name="Version">The version of the configuration it applied.</param>
/// <param name="Firmware">The firmware it runs, if it says.</param>
/// <param name="Features">Per feature, whether it was applied, and why not.</param>
public sealed record DeviceReport(long? Version, string? Firmware, IReadOnlyList<DeviceFeatureReport>? Features);

/// <summary>One feature of a <see cref="DeviceReport"/>.</summary>
/// <param name="FeatureName">The catalog name.</param>
/// <param name="Applied">True when the device runs the feature as configured.</param>
/// <param name="Reason">Why not, in the device's words (at most 200 characters).</param>
/// <param name="Active">
/// The state the device now runs the feature in. When omitted for the device's current version the server records the
/// value that version configured; when omitted for an older version nothing is recorded (the sync status then cannot
/// tell that later changes left the feature as it was).
/// </param>
public sealed record DeviceFeatureReport(string? FeatureName, bool? Applied, string? Reason = null, bool? Active = null);

/// <summary>The answer of <c>POST /device/v1/report</c>.</summary>
/// <param name="Version">The version of the newest report stored for the device.</param>
/// <param name="Recorded">False when a report for a newer version was already stored: this one changed nothing.</param>
public sealed record DeviceReportReceipt(long Version, bool Recorded);

/// <summary>The headers that authenticate a device request (docs/device-api.md).</summary>
public static class DeviceApiHeaders
{
    /// <summary>The device's MAC address.</summary>
    public const string Mac = "X-Device-Mac";

    /// <summary>Unix time of the request, in seconds.</summary>
    public const string Timestamp = "X-Device-Timestamp";

    /// <summary>A value used once: 16 to 64 characters of letters, digits, <c>-</c> or <c>_</c>.</summary>
    public const string Nonce = "X-Device-Nonce";

    /// <summary>Lowercase hex of the HMAC-SHA256 of <see cref="DeviceSigning.StringToSign"/> under the device secret.</summary>
    public const string Signature = "X-Device-Signature";
}

/// <summary>The <c>code</c>s of the device API's problems (RFC 9457, like the admin API's).</summary>
public static class DeviceProblemCodes
{
    /// <summary>401: an authentication header is missing or malformed.</summary>
    public const string AuthenticationMissing = "device_authentication_missing";

    /// <summary>401: the signature is wrong, or the device is unknown or has no credential (one answer for all three).</summary>
    public const string SignatureInvalid = "device_signature_invalid";

    /// <summary>401: the timestamp is outside the accepted window; sign again with the current time.</summary>
    public const string TimestampOutOfWindow = "device_timestamp_out_of_window";

    /// <summary>401: the nonce was already used; sign again with a new one.</summary>
    public const string NonceReused = "device_nonce_reused";

    /// <summary>403: the device is assigned to a suspended partner: keep the configuration applied, ask again later.</summary>
    public const string PartnerSuspended = "device_partner_suspended";

    /// <summary>400: the body or a query parameter is invalid.</summary>
    public const string InvalidRequest = "invalid_request";

    /// <summary>409: the report is for a version newer than the device's current configuration.</summary>
    public const string VersionAhead = "device_version_ahead";

    /// <summary>429: the device already has the most long polls waiting that one device may have.</summary>
    public const string TooManyWaiters = "device_too_many_waiters";

    /// <summary>503: the database is busy or unavailable; nothing was changed.</summary>
    public const string DatabaseUnavailable = "database_unavailable";
}

/// <summary>The device API's contracts, snake_case like the admin API.</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(DeviceConfiguration))]
[JsonSerializable(typeof(DeviceReport))]
[JsonSerializable(typeof(DeviceReportReceipt))]
public sealed partial class DeviceApiJsonContext : JsonSerializerContext;
