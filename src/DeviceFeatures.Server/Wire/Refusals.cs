using DeviceFeatures.Protocol.Parameters;
using DeviceFeatures.Protocol.Status;

namespace DeviceFeatures.Server.Wire;

/// <summary>
/// Every refusal of the wire API, with its status and its text, in one place. Texts start with the family's words
/// (as Withings' own do) and then say exactly what is wrong. The codes are documented in docs/protocol.md.
/// </summary>
internal static class Refusals
{
    public static WireResult Unreadable(string problem) =>
        WireResult.Refuse(WireStatus.InvalidParams, $"Invalid Params: {problem}");

    public static WireResult MissingParameter(string name) =>
        WireResult.Refuse(WireStatus.InvalidParams, $"Invalid Params: missing parameter '{name}'");

    public static WireResult InvalidParameter(string name, string rule) =>
        WireResult.Refuse(WireStatus.InvalidParams, $"Invalid Params: parameter '{name}' {rule}");

    public static WireResult UnknownAction(string service, string action) =>
        WireResult.Refuse(WireStatus.UnknownAction, $"Wrong action or wrong webservice: '{Echo(action)}' is not an action of /v2/{service}");

    public static WireResult UnknownService(string path) =>
        WireResult.Refuse(WireStatus.UnknownAction, $"Wrong action or wrong webservice: no web service at '{Echo(path)}'");

    public static WireResult UnknownClient() =>
        WireResult.Refuse(WireStatus.UnknownClient, "Authentication failed: unknown client_id");

    public static WireResult InvalidSignature(string signedMessage) =>
        WireResult.Refuse(WireStatus.InvalidSignature,
            $"Authentication failed: invalid signature; expected the lowercase hex HMAC-SHA256 of '{signedMessage}' under the client secret");

    public static WireResult TimestampOutOfWindow(long timestamp, long now, int toleranceSeconds) =>
        WireResult.Refuse(WireStatus.TimestampOutOfWindow,
            $"Authentication failed: timestamp {timestamp} is {Distance(timestamp, now)} s away from the server's clock ({now}); at most {toleranceSeconds} s is accepted");

    public static WireResult UnknownNonce() =>
        WireResult.Refuse(WireStatus.UnknownNonce, "Authentication failed: unknown nonce; get one from /v2/signature action=getnonce");

    public static WireResult OtherClientsNonce() =>
        WireResult.Refuse(WireStatus.UnknownNonce, "Authentication failed: the nonce was issued to another client_id");

    public static WireResult ExpiredNonce(DateTimeOffset expiredAt, TimeSpan lifetime) =>
        WireResult.Refuse(WireStatus.SpentNonce,
            $"Authentication failed: the nonce expired at {expiredAt:yyyy-MM-dd'T'HH:mm:ss'Z'}; nonces are valid for {Duration(lifetime)}");

    public static WireResult UsedNonce() =>
        WireResult.Refuse(WireStatus.SpentNonce, "Authentication failed: the nonce has already been used; every request needs a fresh one");

    public static WireResult PartnerSuspended() =>
        WireResult.Refuse(WireStatus.PartnerSuspended, "Unauthorized: this client_id is suspended; contact your Customer Success Manager");

    public static WireResult UnknownUser(int userId) =>
        WireResult.Refuse(WireStatus.UnknownUser, $"Invalid Params: the userid provided is absent, or incorrect (userid {userId} is not one of your users)");

    public static WireResult UnknownUserEmail() =>
        WireResult.Refuse(WireStatus.UnknownUser, "Invalid Params: the userid provided is absent, or incorrect (no user of yours has this email)");

    /// <summary>The same text whether the device does not exist or is another partner's: nothing about others shows.</summary>
    public static WireResult DeviceNotYours(string macAddress) =>
        WireResult.Refuse(WireStatus.DeviceNotAvailable,
            $"Invalid Params: the device {macAddress} is not one of your devices; only devices assigned to your client_id can be linked");

    public static WireResult DeviceLinkedToAnotherUser(string macAddress) =>
        WireResult.Refuse(WireStatus.DeviceNotAvailable,
            $"Invalid Params: the device {macAddress} is already linked to another user; a device links to one user only");

    public static WireResult DeviceLeftTheProgramme(string macAddress, bool pending) =>
        WireResult.Refuse(WireStatus.BadState, pending
            ? $"Bad state: the device {macAddress} is PENDING_TERMINATION; it cannot be linked to a user unless endpartnerprogram status=STANDBY cancels the termination first"
            : $"Bad state: the device {macAddress} is TERMINATED; it has left your programme and cannot be linked to a user");

    public static WireResult InvalidClientSecret() =>
        WireResult.Refuse(WireStatus.InvalidClientSecret, "Unauthorized: invalid client_secret for this client_id");

    public static WireResult InvalidCode() =>
        WireResult.Refuse(WireStatus.InvalidToken,
            "Invalid Params: Token is invalid or doesn't exist (the authorization code is unknown, expired or already used; activate the user again for a new one)");

    public static WireResult RedirectUriMismatch() =>
        WireResult.Refuse(WireStatus.InvalidParams,
            "Invalid Params: parameter 'redirect_uri' is not the redirect_uri given when the user was activated");

    public static WireResult InvalidRefreshToken() =>
        WireResult.Refuse(WireStatus.InvalidToken,
            "Invalid Params: Token is invalid or doesn't exist (the refresh token is unknown, expired or already used: each refresh token works once)");

    public static WireResult MissingAccessToken() =>
        WireResult.Refuse(WireStatus.InvalidToken,
            "Invalid Params: Token is invalid or doesn't exist (no access token: send the header Authorization: Bearer <access_token>)");

    public static WireResult UnknownAccessToken() =>
        WireResult.Refuse(WireStatus.InvalidToken, "Invalid Params: Token is invalid or doesn't exist (unknown access token)");

    public static WireResult ExpiredAccessToken(DateTimeOffset expiredAt) =>
        WireResult.Refuse(WireStatus.InvalidToken,
            $"Invalid Params: Token is invalid or doesn't exist (the access token expired at {expiredAt:yyyy-MM-dd'T'HH:mm:ss'Z'}; renew it with requesttoken grant_type=refresh_token)");

    public static WireResult UnknownFeature(string featureName) =>
        WireResult.Refuse(WireStatus.UnknownFeature, $"Invalid Params: unknown feature_name '{Echo(featureName)}'");

    public static WireResult UnknownModel(int model) =>
        WireResult.Refuse(WireStatus.UnknownModel, $"Invalid Params: unknown model {model}");

    public static WireResult IncompatibleModel(string featureName, int model, string modelName, string compatible) =>
        WireResult.Refuse(WireStatus.IncompatibleModel,
            $"Invalid Params: {featureName} is not available on model {model} ({modelName}); it exists on {compatible}");

    public static WireResult FeatureNotGranted(string featureName) =>
        WireResult.Refuse(WireStatus.FeatureNotGranted,
            $"Unauthorized: {featureName} needs a grant for your client_id; contact your Customer Success Manager to enable access to this biomarker");

    public static WireResult MarketRestricted(string featureName, string markets, string modelName, string deviceMarkets) =>
        WireResult.Refuse(WireStatus.MarketRestricted,
            $"Unauthorized: {featureName} is available on {markets} devices only, and this user's {modelName} devices are {deviceMarkets}");

    public static WireResult UnknownDevice(string macAddress) =>
        WireResult.Refuse(WireStatus.UnknownDevice, $"Invalid Params: mac_address {macAddress} is not one of your devices");

    public static WireResult ProgrammeTransitionRefused(string macAddress, string state, string requested, string reason) =>
        WireResult.Refuse(WireStatus.BadState, $"Bad state: device {macAddress} is {state}; status={requested} is refused: {reason}");

    public static WireResult DevicesTerminated(string modelName, int model, string macAddresses) =>
        WireResult.Refuse(WireStatus.BadState,
            $"Bad state: this user's {modelName} (model {model}) devices {macAddresses} are TERMINATED: they have left your programme, their features run with the catalog defaults and cannot be switched");

    public static WireResult TooManyRequests(int waitSeconds) =>
        WireResult.Refuse(WireStatus.TooManyRequests,
            $"Too many request: this client_id is over its quota of requests per minute; try again in {waitSeconds} s",
            w => w.WriteNumber("wait_seconds"u8, waitSeconds));

    /// <summary>The same signed getnonce request sent more often than allowed: a fresh timestamp makes a new request.</summary>
    public static WireResult RepeatedNonceRequest(int limit) =>
        WireResult.Refuse(WireStatus.TooManyRequests,
            $"Too many request: this signed getnonce request (same client_id, timestamp and signature) has already been answered {limit} times; sign a new one with the current timestamp",
            w => w.WriteNumber("wait_seconds"u8, 1));

    /// <summary>Too many lookups of client ids this instance does not hold at once: it could not look this one up in time.</summary>
    public static WireResult LookupsBusy() =>
        WireResult.Refuse(WireStatus.TooManyRequests,
            "Too many request: too many requests from client_ids this server does not know are waiting to be looked up; try again in 1 s",
            w => w.WriteNumber("wait_seconds"u8, 1));

    public static WireResult Timeout() =>
        WireResult.Refuse(WireStatus.Timeout, "Timeout: the database did not answer in time; nothing was changed, try again");

    public static WireResult InternalError(string requestId) =>
        WireResult.Refuse(WireStatus.InternalError, $"An error occurred; nothing was changed (request id {requestId})");

    // Whole minutes read as minutes (the default, 30 minutes); anything else as its exact number of seconds, so that a
    // lifetime under a minute is not "0 minutes".
    private static string Duration(TimeSpan lifetime)
    {
        var seconds = (long)lifetime.TotalSeconds;
        return seconds % 60 == 0 && seconds > 0
            ? seconds == 60 ? "1 minute" : $"{seconds / 60} minutes"
            : seconds == 1 ? "1 second" : $"{seconds} seconds";
    }

    // Two longs can be up to 2^64 - 1 apart: the distance is only exact as an unsigned number.
    private static ulong Distance(long a, long b) => a < b ? unchecked((ulong)(b - a)) : unchecked((ulong)(a - b));

    // Echoed input is cut short so that a hostile value cannot make the answer large.
    private static string Echo(string value) => WireParameters.Echo(value);
}
