namespace DeviceFeatures.Protocol.Status;

/// <summary>The families into which Withings publishes its status codes.</summary>
public enum StatusFamily
{
    /// <summary>Status 0: the operation was successful.</summary>
    Success,

    /// <summary>Authentication failed (100-102, 200, 401).</summary>
    AuthenticationFailed,

    /// <summary>Invalid params: a parameter is missing, malformed or names something that does not exist.</summary>
    InvalidParams,

    /// <summary>Unauthorized (214, 277, 2553, 2555): the caller may not do this.</summary>
    Unauthorized,

    /// <summary>Not implemented (2554): wrong action or wrong web service.</summary>
    NotImplemented,

    /// <summary>Timeout (522).</summary>
    Timeout,

    /// <summary>Bad state (524).</summary>
    BadState,

    /// <summary>Too many requests (601): back off before trying again.</summary>
    TooManyRequests,

    /// <summary>An error occurred: every other published code.</summary>
    ErrorOccurred,

    /// <summary>A code that Withings has not published.</summary>
    Unknown,
}
