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

    /// <summary><c>/v2/user activate</c>: the devices to link, a JSON array of MAC addresses in a string.</summary>
    public const string MacAddresses = "mac_addresses";

    /// <summary><c>/v2/user activate</c>: the partner's own identifier of the user.</summary>
    public const string ExternalId = "external_id";

    /// <summary>The user's email address.</summary>
    public const string Email = "email";

    /// <summary><c>/v2/user activate</c>: three letters or digits shown on the devices.</summary>
    public const string ShortName = "shortname";

    /// <summary><c>/v2/user activate</c>: the user's first name (optional).</summary>
    public const string FirstName = "firstname";

    /// <summary><c>/v2/user activate</c>: the user's last name (optional).</summary>
    public const string LastName = "lastname";

    /// <summary><c>/v2/user activate</c>: the user's birth date, a Unix time in seconds.</summary>
    public const string Birthdate = "birthdate";

    /// <summary><c>/v2/user activate</c>: 0 for a man, 1 for a woman.</summary>
    public const string Gender = "gender";

    /// <summary><c>/v2/user activate</c>: the language, e.g. <c>en_EN</c>.</summary>
    public const string PrefLang = "preflang";

    /// <summary><c>/v2/user activate</c>: an IANA time zone, e.g. <c>Europe/Paris</c>.</summary>
    public const string Timezone = "timezone";

    /// <summary><c>/v2/user activate</c>: whether the user accepts commercial contacts.</summary>
    public const string MailingPref = "mailingpref";

    /// <summary><c>/v2/user activate</c>: the unit preferences, a JSON object in a string.</summary>
    public const string UnitPref = "unit_pref";

    /// <summary><c>/v2/user activate</c>: height and weight, a JSON array in a string.</summary>
    public const string Measures = "measures";

    /// <summary><c>/v2/user activate</c>: the user's goals, a JSON object in a string (optional).</summary>
    public const string Goals = "goals";

    /// <summary><c>/v2/user activate</c>: a phone number in E.164 form (optional).</summary>
    public const string PhoneNumber = "phonenumber";

    /// <summary><c>/v2/user activate</c>: a recovery code for the user (optional).</summary>
    public const string RecoveryCode = "recovery_code";

    /// <summary>The redirect URI of the OAuth 2 authorization code.</summary>
    public const string RedirectUri = "redirect_uri";

    /// <summary><c>/v2/oauth2 requesttoken</c>: the partner's client secret.</summary>
    public const string ClientSecret = "client_secret";

    /// <summary><c>/v2/oauth2 requesttoken</c>: <c>authorization_code</c> or <c>refresh_token</c>.</summary>
    public const string GrantType = "grant_type";

    /// <summary><c>/v2/oauth2 requesttoken</c>: the authorization code from activate.</summary>
    public const string Code = "code";

    /// <summary><c>/v2/oauth2 requesttoken</c>: the refresh token to renew.</summary>
    public const string RefreshToken = "refresh_token";
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

    /// <summary><c>/v2/device</c> (our extension): whether the user's devices of a model run what was chosen.</summary>
    public const string GetFeatureStatus = "getfeaturestatus";

    /// <summary><c>/v2/device</c>: change a device's state in the partner's programme (standby, active, termination).</summary>
    public const string EndPartnerProgram = "endpartnerprogram";

    /// <summary><c>/v2/user</c>: create a user of the partner and link its devices.</summary>
    public const string Activate = "activate";

    /// <summary><c>/v2/user</c>: a user of the partner, by <c>userid</c> or <c>email</c>.</summary>
    public const string GetUser = "get";

    /// <summary><c>/v2/user</c>: the devices of the user whose access token is presented.</summary>
    public const string GetDevice = "getdevice";

    /// <summary><c>/v2/oauth2</c>: exchange an authorization code or a refresh token for tokens.</summary>
    public const string RequestToken = "requesttoken";
}
