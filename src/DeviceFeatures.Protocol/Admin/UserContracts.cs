namespace DeviceFeatures.Protocol.Admin;

/// <summary>A device to link to a new user. Every member is required; the server refuses a missing one by name.</summary>
/// <param name="MacAddress">The device's MAC address, e.g. <c>00:24:e4:12:34:56</c> (<c>:</c>, <c>-</c> or no separators).</param>
/// <param name="Model">The Withings model id, one of the catalog's.</param>
/// <param name="Market">The device's market, a region code of 2 or 3 letters such as <c>EU</c> or <c>US</c>.</param>
public sealed record DeviceLink(string? MacAddress, int? Model, string? Market);

/// <summary>The body of <c>POST /admin/api/users</c>.</summary>
/// <param name="ClientId">The partner the user belongs to: required.</param>
/// <param name="Devices">The devices to link (none when null); a device links to one user only.</param>
public sealed record CreateUserRequest(string? ClientId, IReadOnlyList<DeviceLink?>? Devices);

/// <summary>The answer of <c>POST /admin/api/users</c>.</summary>
/// <param name="Userid">The new user id, assigned by the server.</param>
public sealed record CreatedUser(int Userid);

/// <summary>A device linked to a user.</summary>
/// <param name="MacAddress">The MAC address, lowercase with <c>:</c>.</param>
/// <param name="Model">The model id.</param>
/// <param name="ModelName">The model's name.</param>
/// <param name="Market">The market, upper case.</param>
/// <param name="LinkedAt">When it was linked.</param>
/// <param name="ProgrammeState">Its state in the partner's programme now (<c>ACTIVE</c>, <c>STANDBY</c>, <c>PENDING_TERMINATION</c>, <c>TERMINATED</c>).</param>
/// <param name="TerminationDate">When its termination completes (pending) or completed (terminated); null otherwise.</param>
/// <param name="Features">Every feature of its model as it runs, with where its value comes from (as in the effective view).</param>
public sealed record LinkedDevice(
    string MacAddress, int Model, string ModelName, string Market, DateTimeOffset LinkedAt, string? ProgrammeState = null,
    DateTimeOffset? TerminationDate = null, IReadOnlyList<EffectiveFeature>? Features = null);

/// <summary>A user and the devices linked to it.</summary>
/// <param name="Userid">The user id.</param>
/// <param name="ClientId">The partner the user belongs to.</param>
/// <param name="CreatedAt">When the user was created.</param>
/// <param name="Devices">The linked devices.</param>
public sealed record User(int Userid, string ClientId, DateTimeOffset CreatedAt, IReadOnlyList<LinkedDevice> Devices);

/// <summary>A feature as a device runs it.</summary>
/// <param name="FeatureName">The feature.</param>
/// <param name="Active">Whether it is on, all rules applied.</param>
/// <param name="Source">
/// Where the value comes from, one of <see cref="FeatureSources"/>: the user's own choice, else the partner's programme
/// choice for the model, else the catalog default; a terminated device runs the defaults whatever was chosen.
/// </param>
/// <param name="Choice">The user's recorded choice, if any.</param>
/// <param name="DefaultOn">The catalog default.</param>
/// <param name="Restriction">Why the feature is off whatever was chosen (market, missing grant), if it is.</param>
/// <param name="ProgrammeChoice">The partner's programme choice for the model, if any.</param>
public sealed record EffectiveFeature(
    string FeatureName, bool Active, string Source, bool? Choice, bool DefaultOn, string? Restriction, bool? ProgrammeChoice = null);

/// <summary>
/// Whether a device runs a feature as it should (docs/device-api.md, "Sync status"): computed when read from the
/// device's configuration version, its last report of the feature and when it was last seen.
/// </summary>
/// <param name="FeatureName">The feature.</param>
/// <param name="Status">One of <see cref="FeatureSyncStatuses"/>.</param>
/// <param name="Active">The desired value: the device's effective state of the feature (<see cref="EffectiveFeature.Active"/>).</param>
/// <param name="Version">The device's current configuration version: the one that carries the desired value.</param>
/// <param name="ReportedVersion">The version of the feature's last report; null if the device never reported it.</param>
/// <param name="ReportedActive">The state the device said it runs the feature in, if known.</param>
/// <param name="Reason">The device's reason when the last report says it failed.</param>
/// <param name="ReportedAt">When the feature's last report was received.</param>
public sealed record FeatureSyncState(
    string FeatureName, string Status, bool Active, long Version, long? ReportedVersion, bool? ReportedActive, string? Reason, DateTimeOffset? ReportedAt);

/// <summary>The values of <see cref="FeatureSyncState.Status"/>, as the admin API and the wire extension spell them.</summary>
public static class FeatureSyncStatuses
{
    /// <summary>The device reported that it runs the desired value.</summary>
    public const string InSync = "in_sync";

    /// <summary>The device has not reported the desired value yet.</summary>
    public const string Pending = "pending";

    /// <summary>The device reported that it could not apply the current version's value (see the reason).</summary>
    public const string SyncFailed = "sync_failed";

    /// <summary>The device has not been seen for <c>DeviceApi:UnknownAfter</c>, or never.</summary>
    public const string Unknown = "unknown";

    /// <summary>The device applied a version that a newer change had already replaced; the newer one is still to come.</summary>
    public const string Superseded = "superseded";
}

/// <summary>What the device API knows of a device, and whether it runs each feature as it should, in the effective view.</summary>
/// <param name="ConfigVersion">The device's current configuration version.</param>
/// <param name="LastSeenAt">Its last authenticated request, if any.</param>
/// <param name="Firmware">The firmware the inventory knows (the device's last report updates it).</param>
/// <param name="ReportedVersion">The version of its newest report, if any.</param>
/// <param name="ReportedAt">When that report was received.</param>
/// <param name="Features">Each feature of its model, in catalog order, with its sync status.</param>
public sealed record DeviceSyncSummary(
    long ConfigVersion, DateTimeOffset? LastSeenAt, string? Firmware, long? ReportedVersion, DateTimeOffset? ReportedAt, IReadOnlyList<FeatureSyncState> Features);

/// <summary>The values of <see cref="EffectiveFeature.Source"/>, strongest first.</summary>
public static class FeatureSources
{
    /// <summary>The device is terminated: it runs the catalog default whatever was chosen.</summary>
    public const string Terminated = "terminated";

    /// <summary>The user's own choice (<c>enablefeature</c>/<c>disablefeature</c>).</summary>
    public const string Choice = "choice";

    /// <summary>The partner's programme choice for every device of the model.</summary>
    public const string Programme = "programme";

    /// <summary>No choice: the catalog default.</summary>
    public const string Default = "default";
}

/// <summary>The features of one linked device.</summary>
/// <param name="MacAddress">The device.</param>
/// <param name="Model">Its model id.</param>
/// <param name="ModelName">Its model's name.</param>
/// <param name="Market">Its market.</param>
/// <param name="Features">Every feature of its model, as it runs.</param>
/// <param name="ProgrammeState">Its state in the partner's programme now.</param>
/// <param name="TerminationDate">When its termination completes (pending) or completed (terminated); null otherwise.</param>
/// <param name="Sync">Its configuration version, last request, firmware, newest report, and each feature's sync status.</param>
public sealed record DeviceFeatureState(
    string MacAddress, int Model, string ModelName, string Market, IReadOnlyList<EffectiveFeature> Features, string? ProgrammeState = null,
    DateTimeOffset? TerminationDate = null, DeviceSyncSummary? Sync = null);

/// <summary>A choice recorded for a model the user has no device of yet.</summary>
/// <param name="Model">The model id.</param>
/// <param name="FeatureName">The feature.</param>
/// <param name="Active">The choice.</param>
/// <param name="UpdatedAt">When it was recorded.</param>
public sealed record PendingChoice(int Model, string FeatureName, bool Active, DateTimeOffset UpdatedAt);

/// <summary>The effective feature state of a user's devices (<c>GET /admin/api/users/{userid}/features</c>).</summary>
/// <param name="Userid">The user.</param>
/// <param name="ClientId">The partner.</param>
/// <param name="Devices">Each linked device with its features.</param>
/// <param name="PendingChoices">Choices waiting for a device of their model.</param>
public sealed record UserFeatureState(int Userid, string ClientId, IReadOnlyList<DeviceFeatureState> Devices, IReadOnlyList<PendingChoice> PendingChoices);
