namespace DeviceFeatures.Protocol.Admin;

/// <summary>
/// The emulator's state as one JSON document (<c>GET/PUT /admin/api/emulator/snapshot</c>, and the <c>Seed:Path</c>
/// file): everything a <c>getfeatures</c> answer and a partner's signature depend on, with user ids kept so that a
/// restored snapshot answers exactly as the server did. Client secrets and device credentials are in clear: the
/// emulator's powers are a Development tool and refused elsewhere. Members marked optional may be left out of a
/// hand-written fixture.
/// </summary>
/// <param name="Version">The format's version; <see cref="CurrentVersion"/> (optional on restore).</param>
/// <param name="TakenAt">When the snapshot was taken, on the server's clock; ignored on restore.</param>
/// <param name="Partners">The partners with their configuration.</param>
/// <param name="Users">The users, each with its partner, devices, choices and profile.</param>
/// <param name="Devices">The device inventory, with each device's programme state (optional: a user's devices are added to it).</param>
public sealed record EmulatorSnapshot(
    int? Version,
    DateTimeOffset? TakenAt,
    IReadOnlyList<SnapshotPartner?>? Partners,
    IReadOnlyList<SnapshotUser?>? Users,
    IReadOnlyList<SnapshotDevice?>? Devices)
{
    /// <summary>The version this server writes and reads.</summary>
    public const int CurrentVersion = 1;
}

/// <summary>A partner in a snapshot.</summary>
/// <param name="ClientId">Required.</param>
/// <param name="Name">Required.</param>
/// <param name="ClientSecret">Required, in clear.</param>
/// <param name="Suspended">Whether its requests are refused (default false).</param>
/// <param name="RateLimitPerMinute">Its own quota; null for the server's default.</param>
/// <param name="CallbackUrl">Where its change events go; null for none.</param>
/// <param name="Entitlements">The gated features it was granted.</param>
/// <param name="ProgrammeChoices">Its choices for every device of a model.</param>
/// <param name="PreviousClientSecret">During a rotation's overlap, the secret that still works until <paramref name="PreviousSecretExpiresAt"/>.</param>
/// <param name="PreviousSecretExpiresAt">When the previous secret stops working.</param>
/// <param name="CreatedAt">When it was created (optional; the restore's time when left out).</param>
public sealed record SnapshotPartner(
    string? ClientId,
    string? Name,
    string? ClientSecret,
    bool? Suspended = null,
    int? RateLimitPerMinute = null,
    string? CallbackUrl = null,
    IReadOnlyList<string?>? Entitlements = null,
    IReadOnlyList<SnapshotChoice?>? ProgrammeChoices = null,
    string? PreviousClientSecret = null,
    DateTimeOffset? PreviousSecretExpiresAt = null,
    DateTimeOffset? CreatedAt = null);

/// <summary>A recorded choice for one model and feature: a user's own, or a partner's programme choice.</summary>
/// <param name="Model">Required: a catalog model id.</param>
/// <param name="FeatureName">Required: one of the model's features.</param>
/// <param name="Active">Required.</param>
public sealed record SnapshotChoice(int? Model, string? FeatureName, bool? Active);

/// <summary>A user in a snapshot.</summary>
/// <param name="Userid">Required: kept as is, so that a partner's stored user ids stay right.</param>
/// <param name="ClientId">Required: its partner, one of the snapshot's.</param>
/// <param name="Devices">The devices linked to it.</param>
/// <param name="Choices">Its own feature choices.</param>
/// <param name="Profile">The profile a partner gave with <c>/v2/user activate</c>, if it was activated.</param>
/// <param name="CreatedAt">When it was created (optional).</param>
public sealed record SnapshotUser(
    int? Userid,
    string? ClientId,
    IReadOnlyList<SnapshotLinkedDevice?>? Devices = null,
    IReadOnlyList<SnapshotChoice?>? Choices = null,
    SnapshotProfile? Profile = null,
    DateTimeOffset? CreatedAt = null);

/// <summary>A device linked to a user; it is also in the inventory, which is filled from here when it lacks it.</summary>
/// <param name="MacAddress">Required.</param>
/// <param name="Model">Required: a catalog model id.</param>
/// <param name="Market">Required: e.g. <c>EU</c>.</param>
/// <param name="LinkedAt">When it was linked (optional).</param>
public sealed record SnapshotLinkedDevice(string? MacAddress, int? Model, string? Market, DateTimeOffset? LinkedAt = null);

/// <summary>An activated user's profile, as <c>/v2/user activate</c> stored it.</summary>
/// <param name="ExternalId">Required: the partner's id of the user, unique per partner.</param>
/// <param name="Email">Required.</param>
/// <param name="Shortname">Optional.</param>
/// <param name="Firstname">Optional.</param>
/// <param name="Lastname">Optional.</param>
/// <param name="Birthdate">Unix seconds.</param>
/// <param name="Gender">0 man, 1 woman.</param>
/// <param name="Preflang">e.g. <c>en_EN</c>.</param>
/// <param name="Timezone">e.g. <c>Europe/Paris</c>.</param>
/// <param name="Mailingpref">Whether the user accepted mailings.</param>
/// <param name="UnitPref">The unit preferences as given (JSON text).</param>
/// <param name="Measures">The measures as given (JSON text).</param>
/// <param name="Goals">The goals as given (JSON text), if any.</param>
/// <param name="Phonenumber">If given.</param>
/// <param name="RecoveryCodeHash">The stored hash of the user's recovery code, if any (never the code).</param>
public sealed record SnapshotProfile(
    string? ExternalId,
    string? Email,
    string? Shortname = null,
    string? Firstname = null,
    string? Lastname = null,
    long? Birthdate = null,
    int? Gender = null,
    string? Preflang = null,
    string? Timezone = null,
    bool? Mailingpref = null,
    string? UnitPref = null,
    string? Measures = null,
    string? Goals = null,
    string? Phonenumber = null,
    string? RecoveryCodeHash = null);

/// <summary>A device of the inventory.</summary>
/// <param name="MacAddress">Required.</param>
/// <param name="Model">Required.</param>
/// <param name="Market">Required.</param>
/// <param name="Firmware">Optional.</param>
/// <param name="ClientId">The partner it is assigned to; null for none.</param>
/// <param name="Credential">Its device API secret in clear, if one was issued.</param>
/// <param name="ProgrammeState">
/// Its programme state as set by <c>endpartnerprogram</c> (<c>ACTIVE</c>, <c>STANDBY</c>, <c>PENDING_TERMINATION</c>,
/// <c>TERMINATED</c>); null when never changed (READY, or ACTIVE once linked).
/// </param>
/// <param name="TerminatesAt">When a pending termination completes (or completed).</param>
public sealed record SnapshotDevice(
    string? MacAddress,
    int? Model,
    string? Market,
    string? Firmware = null,
    string? ClientId = null,
    string? Credential = null,
    string? ProgrammeState = null,
    DateTimeOffset? TerminatesAt = null);

/// <summary>How many rows of each kind a reset or a restore removed, or a restore wrote.</summary>
/// <param name="Partners">Partners.</param>
/// <param name="Users">Users (with their profiles).</param>
/// <param name="Devices">Inventory devices.</param>
/// <param name="LinkedDevices">Devices linked to users.</param>
/// <param name="Choices">Users' choices.</param>
/// <param name="Entitlements">Grants of gated features.</param>
/// <param name="ProgrammeChoices">Partners' programme choices.</param>
public sealed record EmulatorStateCounts(
    int Partners, int Users, int Devices, int LinkedDevices, int Choices, int Entitlements, int ProgrammeChoices);

/// <summary>The body of <c>POST /admin/api/emulator/reset</c> (optional).</summary>
/// <param name="ClientId">Reset only this partner's data (its users, devices and what hangs on them); null: everything.</param>
public sealed record EmulatorResetRequest(string? ClientId);

/// <summary>The answer of a reset.</summary>
/// <param name="ClientId">The partner whose data was reset; null when everything was.</param>
/// <param name="Removed">What was removed.</param>
public sealed record EmulatorResetResult(string? ClientId, EmulatorStateCounts Removed);

/// <summary>The answer of <c>PUT /admin/api/emulator/snapshot</c>.</summary>
/// <param name="Removed">What the state held before.</param>
/// <param name="Restored">What the snapshot put in its place.</param>
public sealed record EmulatorRestoreResult(EmulatorStateCounts Removed, EmulatorStateCounts Restored);

/// <summary>The emulator's clock (<c>GET/POST /admin/api/emulator/clock</c>).</summary>
/// <param name="Now">The server's time now.</param>
/// <param name="OffsetSeconds">How far it is ahead of the clock it runs on.</param>
public sealed record EmulatorClockState(DateTimeOffset Now, double OffsetSeconds);

/// <summary>The body of <c>POST /admin/api/emulator/clock</c>: one of the two members, never negative.</summary>
/// <param name="Advance">An ISO 8601 duration, e.g. <c>PT10M</c> or <c>P30D</c>.</param>
/// <param name="AdvanceSeconds">Seconds, e.g. <c>600</c>.</param>
public sealed record AdvanceClockRequest(string? Advance = null, double? AdvanceSeconds = null);
