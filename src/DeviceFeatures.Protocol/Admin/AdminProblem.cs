namespace DeviceFeatures.Protocol.Admin;

/// <summary>
/// A refusal of the admin API: RFC 9457 <c>application/problem+json</c> with a stable <see cref="Code"/>. The server
/// may add members (such as <c>traceId</c>); these are the ones a client reads.
/// </summary>
/// <param name="Type">The problem type's URI, as ASP.NET Core fills it.</param>
/// <param name="Title">The HTTP reason phrase.</param>
/// <param name="Status">The HTTP status.</param>
/// <param name="Detail">A sentence for people that says what is wrong and what to do.</param>
/// <param name="Code">
/// What to branch on, one of <see cref="AdminProblemCodes"/>; null on the answers ASP.NET Core writes itself (an
/// unknown path, a wrong method).
/// </param>
public sealed record AdminProblem(string? Type, string? Title, int? Status, string? Detail, string? Code);

/// <summary>The <c>code</c>s of the admin API's problems.</summary>
public static class AdminProblemCodes
{
    /// <summary>
    /// 403: an emulator route (<c>/admin/api/emulator/...</c>) was called while the emulator's powers are off, as they
    /// are outside Development unless <c>Emulator:Enabled</c> is true.
    /// </summary>
    public const string EmulatorDisabled = "emulator_disabled";

    /// <summary>
    /// 409: <c>/admin/api/emulator/clock</c> was called on a server whose clock was set by its host (a test's fake
    /// clock) rather than the emulator's; advance that clock instead.
    /// </summary>
    public const string ClockNotEmulated = "clock_not_emulated";

    /// <summary>400 (or the status ASP.NET Core chose for an unreadable body): a field or query parameter is missing or invalid.</summary>
    public const string InvalidRequest = "invalid_request";

    /// <summary>401: the request has no <c>Authorization: Bearer &lt;key&gt;</c> header.</summary>
    public const string AdminKeyMissing = "admin_key_missing";

    /// <summary>401: the bearer key sent is not this server's admin key.</summary>
    public const string AdminKeyInvalid = "admin_key_invalid";

    /// <summary>
    /// 429: this address sent too many wrong admin keys; every request from it, the right key included, waits for
    /// the number of seconds in <c>Retry-After</c>.
    /// </summary>
    public const string AdminKeyThrottled = "admin_key_throttled";

    /// <summary>400: <c>POST /admin/api/users</c> lists more devices than one user may be created with (100).</summary>
    public const string TooManyDevices = "too_many_devices";

    /// <summary>413: the request body is larger than the admin API accepts (<c>Admin:MaxBodyBytes</c>).</summary>
    public const string RequestTooLarge = "request_too_large";

    /// <summary>404: no partner has that <c>client_id</c>.</summary>
    public const string PartnerNotFound = "partner_not_found";

    /// <summary>404: no user has that <c>userid</c>.</summary>
    public const string UserNotFound = "user_not_found";

    /// <summary>404: the catalog has no such feature.</summary>
    public const string FeatureNotFound = "feature_not_found";

    /// <summary>409: a device is already linked to a user.</summary>
    public const string MacAddressLinked = "mac_address_linked";

    /// <summary>400: a MAC address is not 12 hexadecimal digits (with <c>:</c>, <c>-</c> or no separators).</summary>
    public const string InvalidMacAddress = "invalid_mac_address";

    /// <summary>404: the inventory has no device with that MAC address.</summary>
    public const string DeviceNotFound = "device_not_found";

    /// <summary>409: an imported row differs from the device already imported (model, market or partner).</summary>
    public const string DeviceDiffers = "device_differs";

    /// <summary>409: the device is assigned to another partner, or linked to another partner's user.</summary>
    public const string DeviceOfOtherPartner = "device_of_other_partner";

    /// <summary>404: the catalog has no such model.</summary>
    public const string ModelNotFound = "model_not_found";

    /// <summary>400: the feature does not exist on that model.</summary>
    public const string IncompatibleModel = "incompatible_model";

    /// <summary>403: the feature is gated and the partner has no grant for it (grant it first).</summary>
    public const string FeatureNotGranted = "feature_not_granted";

    /// <summary>404: no change event has that id.</summary>
    public const string EventNotFound = "event_not_found";

    /// <summary>404: the <c>after</c> of an event listing is not the id of a change event.</summary>
    public const string AfterNotFound = "after_not_found";

    /// <summary>409: only a parked change event can be replayed.</summary>
    public const string EventNotParked = "event_not_parked";

    /// <summary>409: the partner has no callback URL: set one before replaying its events.</summary>
    public const string CallbackNotSet = "callback_not_set";

    /// <summary>409: an operator of the console already has that name.</summary>
    public const string OperatorExists = "operator_exists";

    /// <summary>404: no fault rule has that id (<c>DELETE /admin/api/emulator/faults/{id}</c>).</summary>
    public const string FaultNotFound = "fault_not_found";

    /// <summary>404: no operator of the console has that name.</summary>
    public const string OperatorNotFound = "operator_not_found";

    /// <summary>
    /// 409: the change would leave the console without an enabled administrator (disabling, demoting or deleting the
    /// last one); make another administrator first.
    /// </summary>
    public const string LastAdministrator = "last_administrator";

    /// <summary>503: the database is busy or unavailable; nothing was changed.</summary>
    public const string DatabaseUnavailable = "database_unavailable";

    /// <summary>500: an unexpected error; nothing was changed.</summary>
    public const string InternalError = "internal_error";
}
