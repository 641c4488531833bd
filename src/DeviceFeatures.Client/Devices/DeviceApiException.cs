using DeviceFeatures.Protocol.DeviceApi;

namespace DeviceFeatures.Client.Devices;

/// <summary>
/// The device API refused a request with a problem (RFC 9457). <see cref="Code"/> is the reason to branch on (one of
/// <see cref="DeviceProblemCodes"/>); the subclasses group the codes by what a device does next.
/// </summary>
public class DeviceApiException : DeviceFeaturesException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="httpStatus">The HTTP status.</param>
    /// <param name="code">The problem's <c>code</c>.</param>
    /// <param name="detail">The problem's sentence for people.</param>
    private protected DeviceApiException(int httpStatus, string code, string detail)
        : base($"{detail} ({code}, HTTP {httpStatus})")
    {
        HttpStatus = httpStatus;
        Code = code;
        Detail = detail;
    }

    /// <summary>The HTTP status.</summary>
    public int HttpStatus { get; }

    /// <summary>The problem's <c>code</c>, e.g. <see cref="DeviceProblemCodes.NonceReused"/>.</summary>
    public string Code { get; }

    /// <summary>The problem's sentence for people.</summary>
    public string Detail { get; }

    /// <summary>
    /// Whether the same request, signed again later, may succeed without anyone changing anything: a suspended partner,
    /// too many waiting polls, a busy database.
    /// </summary>
    public bool IsTransient => Code is DeviceProblemCodes.PartnerSuspended or DeviceProblemCodes.TooManyWaiters or DeviceProblemCodes.DatabaseUnavailable;

    /// <summary>Creates the subclass that matches <paramref name="code"/>.</summary>
    /// <param name="httpStatus">The HTTP status.</param>
    /// <param name="code">The problem's <c>code</c>.</param>
    /// <param name="detail">The problem's sentence.</param>
    /// <returns>The exception to throw.</returns>
    public static DeviceApiException FromProblem(int httpStatus, string code, string detail) => code switch
    {
        DeviceProblemCodes.AuthenticationMissing or DeviceProblemCodes.SignatureInvalid or DeviceProblemCodes.TimestampOutOfWindow or DeviceProblemCodes.NonceReused
            => new DeviceAuthenticationException(httpStatus, code, detail),
        DeviceProblemCodes.PartnerSuspended => new DevicePartnerSuspendedException(httpStatus, code, detail),
        DeviceProblemCodes.VersionAhead => new DeviceVersionAheadException(httpStatus, code, detail),
        _ => new DeviceApiException(httpStatus, code, detail),
    };
}

/// <summary>
/// 401: the request was not authenticated: a wrong or rotated secret, an unknown device, a clock too far from the
/// server's (<see cref="DeviceProblemCodes.TimestampOutOfWindow"/>), or a nonce used before.
/// </summary>
public sealed class DeviceAuthenticationException : DeviceApiException
{
    internal DeviceAuthenticationException(int httpStatus, string code, string detail)
        : base(httpStatus, code, detail)
    {
    }
}

/// <summary>403: the device's partner is suspended: keep the configuration applied and ask again later, with back-off.</summary>
public sealed class DevicePartnerSuspendedException : DeviceApiException
{
    internal DevicePartnerSuspendedException(int httpStatus, string code, string detail)
        : base(httpStatus, code, detail)
    {
    }
}

/// <summary>409: a report named a version newer than the device's current configuration.</summary>
public sealed class DeviceVersionAheadException : DeviceApiException
{
    internal DeviceVersionAheadException(int httpStatus, string code, string detail)
        : base(httpStatus, code, detail)
    {
    }
}
