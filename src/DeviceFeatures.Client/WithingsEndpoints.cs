namespace DeviceFeatures.Client;

/// <summary>The base addresses of the Withings clouds; any other address (such as a DeviceFeatures server) works too.</summary>
public static class WithingsEndpoints
{
    /// <summary>The Withings public cloud.</summary>
    public static Uri PublicCloud { get; } = new("https://wbsapi.withings.net/");

    /// <summary>The Withings US medical cloud.</summary>
    public static Uri UsMedicalCloud { get; } = new("https://wbsapi.us.withingsmed.net/");

    /// <summary>The Withings EU medical cloud.</summary>
    public static Uri EuMedicalCloud { get; } = new("https://wbsapi.eu.withingsmed.net/");
}
