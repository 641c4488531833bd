using System.Text.Json;
using DeviceFeatures.Client.Admin;
using DeviceFeatures.Protocol.Status;

namespace DeviceFeatures.Client;

/// <summary>
/// The root of every exception the SDK throws about the service: catch it to handle them all, or catch what is below
/// it to branch. <see cref="WithingsRefusalException"/>: the service answered and refused (one subclass per status
/// family). <see cref="DeviceFeaturesTransportException"/>: no answer could be had.
/// <see cref="DeviceFeaturesAdminException"/>: the admin API refused a request.
/// <see cref="Devices.DeviceApiException"/>: the device API refused a device's request.
/// </summary>
public abstract class DeviceFeaturesException : Exception
{
    private protected DeviceFeaturesException(string message, Exception? innerException = null)
        : base(message, innerException)
    {
    }
}

/// <summary>
/// The service answered, and refused: the in-body status was not 0. Catch a subclass to branch on the family;
/// <see cref="Status"/> and <see cref="Error"/> keep the raw answer.
/// </summary>
public abstract class WithingsRefusalException : DeviceFeaturesException
{
    /// <summary>Creates the exception for a refusal.</summary>
    /// <param name="status">The in-body status.</param>
    /// <param name="error">The answer's <c>error</c> text, when it had one.</param>
    private protected WithingsRefusalException(int status, string? error)
        : base(error is null ? $"The service refused the request with status {status}." : $"Status {status}: {error}")
    {
        Status = status;
        Error = error;
    }

    /// <summary>The in-body status of the answer.</summary>
    public int Status { get; }

    /// <summary>The answer's <c>error</c> text, when it had one.</summary>
    public string? Error { get; }

    /// <summary>The published family of <see cref="Status"/>.</summary>
    public StatusFamily Family => WireStatus.FamilyOf(Status);

    /// <summary>Creates the subclass that matches the family of <paramref name="status"/>.</summary>
    /// <param name="status">The in-body status (not 0).</param>
    /// <param name="error">The <c>error</c> text.</param>
    /// <param name="body">The <c>body</c>, read for <c>wait_seconds</c> on a 601.</param>
    /// <returns>The exception to throw.</returns>
    public static WithingsRefusalException FromAnswer(int status, string? error, JsonElement body) => WireStatus.FamilyOf(status) switch
    {
        StatusFamily.AuthenticationFailed => new AuthenticationFailedException(status, error),
        StatusFamily.InvalidParams => new InvalidParamsException(status, error),
        StatusFamily.Unauthorized => new UnauthorizedException(status, error),
        StatusFamily.NotImplemented => new NotImplementedActionException(status, error),
        StatusFamily.TooManyRequests => new TooManyRequestsException(status, error, WaitSecondsOf(body)),
        StatusFamily.Timeout => new ServiceTimeoutException(status, error),
        StatusFamily.BadState => new BadStateException(status, error),
        StatusFamily.ErrorOccurred => new ErrorOccurredException(status, error),
        _ => new UnknownStatusException(status, error),
    };

    internal static TimeSpan? WaitSecondsOf(JsonElement body) =>
        body.ValueKind == JsonValueKind.Object
        && body.TryGetProperty("wait_seconds", out var wait)
        && wait.ValueKind == JsonValueKind.Number
        && wait.TryGetDouble(out var seconds)
        && seconds >= 0
            ? TimeSpan.FromSeconds(Math.Min(seconds, TimeSpan.MaxValue.TotalSeconds / 2))
            : null;
}

/// <summary>Authentication failed (100-102, 200, 401): unknown client, bad signature, or a bad, expired or used nonce.</summary>
public sealed class AuthenticationFailedException(int status, string? error) : WithingsRefusalException(status, error);

/// <summary>Invalid params: a parameter is missing or malformed, or names a user, feature or model that does not exist.</summary>
public sealed class InvalidParamsException(int status, string? error) : WithingsRefusalException(status, error);

/// <summary>Unauthorized (214, 277, 2553, 2555): a suspended partner, a gated feature without a grant, a market rule.</summary>
public sealed class UnauthorizedException(int status, string? error) : WithingsRefusalException(status, error);

/// <summary>Not implemented (2554): wrong action or wrong web service.</summary>
public sealed class NotImplementedActionException(int status, string? error) : WithingsRefusalException(status, error);

/// <summary>Too many requests (601), still refused after the configured retries.</summary>
public sealed class TooManyRequestsException(int status, string? error, TimeSpan? waitSeconds) : WithingsRefusalException(status, error)
{
    /// <summary>How long the service asked the caller to wait (<c>body.wait_seconds</c>), when it said.</summary>
    public TimeSpan? WaitSeconds { get; } = waitSeconds;
}

/// <summary>Timeout (522), still answered after the configured retries.</summary>
public sealed class ServiceTimeoutException(int status, string? error) : WithingsRefusalException(status, error);

/// <summary>Bad state (524).</summary>
public sealed class BadStateException(int status, string? error) : WithingsRefusalException(status, error);

/// <summary>An error occurred: any other published error code.</summary>
public sealed class ErrorOccurredException(int status, string? error) : WithingsRefusalException(status, error);

/// <summary>A status that Withings has not published.</summary>
public sealed class UnknownStatusException(int status, string? error) : WithingsRefusalException(status, error);

/// <summary>
/// No answer could be had: the connection failed, the attempt timed out, or what came back was not an answer of the
/// service (for example an HTTP 502 page from a proxy). Distinct from a refusal, which is a
/// <see cref="WithingsRefusalException"/> or a <see cref="DeviceFeaturesAdminException"/>.
/// </summary>
public sealed class DeviceFeaturesTransportException : DeviceFeaturesException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="message">What went wrong.</param>
    /// <param name="httpStatus">The HTTP status, when a response came back.</param>
    /// <param name="isTransient">Whether trying again later may succeed.</param>
    /// <param name="innerException">The underlying failure.</param>
    public DeviceFeaturesTransportException(string message, int? httpStatus, bool isTransient, Exception? innerException = null)
        : base(message, innerException)
    {
        HttpStatus = httpStatus;
        IsTransient = isTransient;
    }

    /// <summary>The HTTP status, when a response came back.</summary>
    public int? HttpStatus { get; }

    /// <summary>Whether trying again later may succeed.</summary>
    public bool IsTransient { get; }
}
