namespace DeviceFeatures.Protocol.Status;

/// <summary>
/// The status codes this implementation answers, and the classification of every published Withings code
/// into its family. The table of codes is data: <see cref="Answered"/> is the one place that lists them.
/// </summary>
public static class WireStatus
{
    /// <summary>0: the operation was successful.</summary>
    public const int Success = 0;

    /// <summary>100: the <c>client_id</c> is not known.</summary>
    public const int UnknownClient = 100;

    /// <summary>101: the signature does not match the signed parameters.</summary>
    public const int InvalidSignature = 101;

    /// <summary>102: the <c>timestamp</c> of a nonce request is outside the accepted window.</summary>
    public const int TimestampOutOfWindow = 102;

    /// <summary>200: the nonce was not issued by this service, or was issued to another client.</summary>
    public const int UnknownNonce = 200;

    /// <summary>401: the nonce has expired or has already been used.</summary>
    public const int SpentNonce = 401;

    /// <summary>214: the partner is suspended.</summary>
    public const int PartnerSuspended = 214;

    /// <summary>247: the user does not exist (or is not one of the caller's users).</summary>
    public const int UnknownUser = 247;

    /// <summary>503: a parameter is missing or malformed, or the request cannot be read.</summary>
    public const int InvalidParams = 503;

    /// <summary>504: the feature name is not in the catalog.</summary>
    public const int UnknownFeature = 504;

    /// <summary>505: the model is not a known device model.</summary>
    public const int UnknownModel = 505;

    /// <summary>506: the feature does not exist on that model.</summary>
    public const int IncompatibleModel = 506;

    /// <summary>510: the MAC address is not one of the caller's devices (or does not exist: the answer is the same).</summary>
    public const int UnknownDevice = 510;

    /// <summary>524: the device's programme state does not allow the request (for example, it has been terminated).</summary>
    public const int BadState = 524;

    /// <summary>507: a device of <c>mac_addresses</c> cannot be linked: not one of the partner's, or linked to another user.</summary>
    public const int DeviceNotAvailable = 507;

    /// <summary>277: the <c>client_secret</c> does not match the partner's secret.</summary>
    public const int InvalidClientSecret = 277;

    /// <summary>283: the authorization code, access token or refresh token is invalid, expired, used or unknown.</summary>
    public const int InvalidToken = 283;

    /// <summary>522: the service timed out (for example waiting for its database).</summary>
    public const int Timeout = 522;

    /// <summary>2553: the feature is gated and the partner has no operator's grant for it.</summary>
    public const int FeatureNotGranted = 2553;

    /// <summary>2554: wrong action or wrong web service.</summary>
    public const int UnknownAction = 2554;

    /// <summary>2555: the feature is not available in the market of the user's devices of that model.</summary>
    public const int MarketRestricted = 2555;

    /// <summary>2556: an unexpected error occurred; nothing was changed.</summary>
    public const int InternalError = 2556;

    /// <summary>601: too many requests; back off.</summary>
    public const int TooManyRequests = 601;

    /// <summary>Every status this implementation answers, with its family and standard message.</summary>
    public static IReadOnlyList<StatusCodeInfo> Answered { get; } =
    [
        new(Success, StatusFamily.Success, "Operation was successful"),
        new(UnknownClient, StatusFamily.AuthenticationFailed, "Authentication failed: unknown client_id"),
        new(InvalidSignature, StatusFamily.AuthenticationFailed, "Authentication failed: invalid signature"),
        new(TimestampOutOfWindow, StatusFamily.AuthenticationFailed, "Authentication failed: timestamp outside the accepted window"),
        new(UnknownNonce, StatusFamily.AuthenticationFailed, "Authentication failed: unknown nonce"),
        new(SpentNonce, StatusFamily.AuthenticationFailed, "Authentication failed: nonce expired or already used"),
        new(PartnerSuspended, StatusFamily.Unauthorized, "Unauthorized: partner suspended"),
        new(UnknownUser, StatusFamily.InvalidParams, "Invalid Params: the userid provided is absent, or incorrect"),
        new(InvalidParams, StatusFamily.InvalidParams, "Invalid Params"),
        new(UnknownFeature, StatusFamily.InvalidParams, "Invalid Params: unknown feature_name"),
        new(UnknownModel, StatusFamily.InvalidParams, "Invalid Params: unknown model"),
        new(IncompatibleModel, StatusFamily.InvalidParams, "Invalid Params: feature not available on this model"),
        new(UnknownDevice, StatusFamily.InvalidParams, "Invalid Params: unknown mac_address"),
        new(DeviceNotAvailable, StatusFamily.InvalidParams, "Invalid Params: device cannot be linked"),
        new(InvalidClientSecret, StatusFamily.Unauthorized, "Unauthorized: invalid client_secret"),
        new(InvalidToken, StatusFamily.InvalidParams, "Invalid Params: Token is invalid or doesn't exist"),
        new(Timeout, StatusFamily.Timeout, "Timeout"),
        new(BadState, StatusFamily.BadState, "Bad state"),
        new(FeatureNotGranted, StatusFamily.Unauthorized, "Unauthorized: feature not granted to this partner"),
        new(UnknownAction, StatusFamily.NotImplemented, "Wrong action or wrong webservice"),
        new(MarketRestricted, StatusFamily.Unauthorized, "Unauthorized: feature not available in this market"),
        new(InternalError, StatusFamily.ErrorOccurred, "An error occurred"),
        new(TooManyRequests, StatusFamily.TooManyRequests, "Too many request"),
    ];

    /// <summary>Classifies any status code into its published family.</summary>
    /// <param name="status">The in-body <c>status</c> of a Withings answer.</param>
    /// <returns>The family, or <see cref="StatusFamily.Unknown"/> for a code Withings has not published.</returns>
    public static StatusFamily FamilyOf(int status) => status switch
    {
        0 => StatusFamily.Success,
        >= 100 and <= 102 or 200 or 401 => StatusFamily.AuthenticationFailed,
        214 or 277 or 2553 or 2555 => StatusFamily.Unauthorized,
        2554 => StatusFamily.NotImplemented,
        522 => StatusFamily.Timeout,
        524 => StatusFamily.BadState,
        601 => StatusFamily.TooManyRequests,
        _ when IsInRanges(status, InvalidParamsRanges) => StatusFamily.InvalidParams,
        _ when IsInRanges(status, ErrorOccurredRanges) => StatusFamily.ErrorOccurred,
        _ => StatusFamily.Unknown,
    };

    private static readonly (int From, int To)[] InvalidParamsRanges =
    [
        (201, 213), (216, 218), (220, 221), (223, 223), (225, 225), (227, 230), (234, 236), (238, 238),
        (240, 252), (254, 254), (260, 267), (271, 272), (275, 276), (283, 288), (290, 290), (293, 295),
        (297, 297), (300, 304), (321, 321), (323, 353), (380, 382), (400, 400), (501, 511), (523, 523),
        (532, 532), (3017, 3019),
    ];

    private static readonly (int From, int To)[] ErrorOccurredRanges =
    [
        (215, 215), (219, 219), (222, 222), (224, 224), (226, 226), (231, 233), (237, 237), (253, 253),
        (255, 259), (268, 270), (273, 274), (278, 282), (289, 289), (291, 292), (296, 296), (298, 298),
        (305, 320), (322, 322), (370, 375), (383, 383), (391, 391), (402, 402), (516, 521), (525, 531),
        (533, 533), (602, 602), (700, 700), (1051, 1054), (2551, 2552), (2556, 2559), (3000, 3016),
        (3020, 3024), (5000, 5006), (6000, 6000), (6010, 6011), (9000, 9000), (10000, 10000),
    ];

    private static bool IsInRanges(int status, (int From, int To)[] ranges)
    {
        foreach (var (from, to) in ranges)
        {
            if (status >= from && status <= to)
            {
                return true;
            }
        }

        return false;
    }
}

/// <summary>One row of the status table: a code, its family and its standard message.</summary>
/// <param name="Code">The in-body status.</param>
/// <param name="Family">The published family the code belongs to.</param>
/// <param name="Message">The standard text; answers add detail naming the problem.</param>
public sealed record StatusCodeInfo(int Code, StatusFamily Family, string Message);
