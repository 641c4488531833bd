using System.Globalization;
using DeviceFeatures.Protocol.Admin;
using DeviceFeatures.Protocol.Status;
using DeviceFeatures.Server.Wire;

namespace DeviceFeatures.Server.Emulator.Faults;

/// <summary>The answers a fault rule gives, in the Withings dialect where there is an envelope.</summary>
internal static class FaultAnswers
{
    /// <summary>
    /// The envelope of an injected status: the family's own words first, as Withings' texts start, then which rule
    /// injected it, so that nobody mistakes it for a real refusal while debugging.
    /// </summary>
    public static WireResult Envelope(string ruleId, int status, int? waitSeconds)
    {
        var words = WireStatus.FamilyOf(status) switch
        {
            StatusFamily.AuthenticationFailed => "Authentication failed",
            StatusFamily.InvalidParams => "Invalid Params",
            StatusFamily.Unauthorized => "Unauthorized",
            StatusFamily.NotImplemented => "Wrong action or wrong webservice",
            StatusFamily.Timeout => "Timeout",
            StatusFamily.BadState => "Bad state",
            StatusFamily.TooManyRequests => "Too many request",
            _ => "An error occurred",
        };
        var error = $"{words}: injected by the emulator's fault rule {ruleId}";
        if (status == WireStatus.TooManyRequests)
        {
            // Withings' 601 may carry wait_seconds; a rule that gives none sends none.
            return waitSeconds is { } wait
                ? WireResult.Refuse(status, $"{error}; try again in {wait} s", w => w.WriteNumber("wait_seconds"u8, wait))
                : WireResult.Refuse(status, error);
        }

        return WireResult.Refuse(status, error);
    }

    /// <summary>The <c>status</c> tag of <c>devicefeatures_faults_injected_total</c>.</summary>
    public static string MetricStatus(FaultAnswer? answer) => answer switch
    {
        { Status: { } status } => status.ToString(CultureInfo.InvariantCulture),
        { HttpStatus: { } http } => "http_" + http.ToString(CultureInfo.InvariantCulture),
        { Drop: true } => "drop",
        { SlowBodyMs: not null } => "slow_body",
        _ => "latency",
    };
}
