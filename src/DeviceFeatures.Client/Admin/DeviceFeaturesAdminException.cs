using DeviceFeatures.Protocol.Admin;

namespace DeviceFeatures.Client.Admin;

/// <summary>
/// The admin API refused a request, or answered what could not be read; <see cref="Code"/> is the stable reason to
/// branch on (one of <see cref="AdminProblemCodes"/> when the server gave one).
/// </summary>
public sealed class DeviceFeaturesAdminException : DeviceFeaturesException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="httpStatus">The HTTP status.</param>
    /// <param name="code">The problem's <c>code</c>, e.g. <c>partner_not_found</c>.</param>
    /// <param name="detail">The problem's sentence for people.</param>
    public DeviceFeaturesAdminException(int httpStatus, string code, string detail)
        : base($"{detail} ({code}, HTTP {httpStatus})")
    {
        HttpStatus = httpStatus;
        Code = code;
        Detail = detail;
    }

    /// <summary>The HTTP status.</summary>
    public int HttpStatus { get; }

    /// <summary>The problem's <c>code</c>.</summary>
    public string Code { get; }

    /// <summary>The problem's sentence for people.</summary>
    public string Detail { get; }
}
