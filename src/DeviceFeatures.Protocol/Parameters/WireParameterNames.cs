namespace DeviceFeatures.Protocol.Parameters;

/// <summary>Names of the parameters of the Withings partner calls.</summary>
public static class WireParameterNames
{
    /// <summary>The service action, e.g. <c>getnonce</c> or <c>enablefeature</c>.</summary>
    public const string Action = "action";

    /// <summary>The partner's client id.</summary>
    public const string ClientId = "client_id";

    /// <summary>The request signature.</summary>
    public const string Signature = "signature";

    /// <summary>The single-use nonce of a signed call.</summary>
    public const string Nonce = "nonce";

    /// <summary>Unix time in seconds, on a nonce request.</summary>
    public const string Timestamp = "timestamp";

    /// <summary>The feature to enable or disable.</summary>
    public const string FeatureName = "feature_name";

    /// <summary>The Withings user id (int32).</summary>
    public const string UserId = "userid";

    /// <summary>The device model id (int).</summary>
    public const string Model = "model";

    /// <summary>A device's MAC address, on <c>endpartnerprogram</c>.</summary>
    public const string MacAddress = "mac_address";

    /// <summary>The programme status a partner asks for, on <c>endpartnerprogram</c>.</summary>
    public const string Status = "status";
}

/// <summary>Names of the actions of the Withings partner calls this implementation knows.</summary>
public static class WireActions
{
    /// <summary><c>/v2/signature</c>: obtain a nonce.</summary>
    public const string GetNonce = "getnonce";

    /// <summary><c>/v2/device</c>: activate a feature.</summary>
    public const string EnableFeature = "enablefeature";

    /// <summary><c>/v2/device</c>: deactivate a feature.</summary>
    public const string DisableFeature = "disablefeature";

    /// <summary><c>/v2/device</c>: list the recorded feature choices.</summary>
    public const string GetFeatures = "getfeatures";

    /// <summary><c>/v2/device</c>: change a device's state in the partner's programme (standby, active, termination).</summary>
    public const string EndPartnerProgram = "endpartnerprogram";
}
