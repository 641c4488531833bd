using System.Text.Json.Serialization;

namespace DeviceFeatures.Client.Admin;

/// <summary>A partner as the admin API lists it (never with its secret).</summary>
/// <param name="ClientId">The partner's client id.</param>
/// <param name="Name">The partner's name.</param>
/// <param name="Status"><c>active</c> or <c>suspended</c>.</param>
/// <param name="CreatedAt">When the partner was created.</param>
/// <param name="UpdatedAt">When the partner last changed.</param>
/// <param name="RequestsPerMinute">The partner's quota of signed requests per minute (0: unlimited).</param>
/// <param name="DefaultRateLimit">Whether that quota is the server's default rather than the partner's own.</param>
/// <param name="PreviousSecretExpiresAt">Until when the secret before the last rotation is still accepted, if it is.</param>
public sealed record Partner(
    string ClientId,
    string Name,
    string Status,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt,
    int RequestsPerMinute,
    bool DefaultRateLimit,
    DateTimeOffset? PreviousSecretExpiresAt);

/// <summary>A new partner with its client secret, which is shown only once.</summary>
/// <param name="ClientId">The new client id.</param>
/// <param name="ClientSecret">The new client secret.</param>
/// <param name="Name">The partner's name.</param>
public sealed record CreatedPartner(string ClientId, string ClientSecret, string Name);

/// <summary>A partner's new client secret after a rotation.</summary>
/// <param name="ClientId">The client id.</param>
/// <param name="ClientSecret">The new client secret.</param>
/// <param name="PreviousSecretExpiresAt">Until when the previous secret is still accepted; null when it stopped at once.</param>
public sealed record PartnerSecret(string ClientId, string ClientSecret, DateTimeOffset? PreviousSecretExpiresAt);

/// <summary>A device to link to a new user.</summary>
/// <param name="MacAddress">The device's MAC address, e.g. <c>00:24:e4:12:34:56</c>.</param>
/// <param name="Model">The Withings model id.</param>
/// <param name="Market">The device's market, a region code such as <c>EU</c> or <c>US</c>.</param>
public sealed record DeviceLink(string MacAddress, int Model, string Market);

/// <summary>A device linked to a user.</summary>
/// <param name="MacAddress">The MAC address.</param>
/// <param name="Model">The model id.</param>
/// <param name="ModelName">The model's name.</param>
/// <param name="Market">The market.</param>
/// <param name="LinkedAt">When it was linked.</param>
public sealed record LinkedDevice(string MacAddress, int Model, string ModelName, string Market, DateTimeOffset LinkedAt);

/// <summary>A user and the devices linked to it.</summary>
/// <param name="Userid">The user id.</param>
/// <param name="ClientId">The partner the user belongs to.</param>
/// <param name="CreatedAt">When the user was created.</param>
/// <param name="Devices">The linked devices.</param>
public sealed record User(int Userid, string ClientId, DateTimeOffset CreatedAt, IReadOnlyList<LinkedDevice> Devices);

/// <summary>An operator's grant of a gated feature to a partner.</summary>
/// <param name="ClientId">The partner.</param>
/// <param name="FeatureName">The gated feature.</param>
/// <param name="GrantedAt">When it was granted.</param>
public sealed record Entitlement(string ClientId, string FeatureName, DateTimeOffset GrantedAt);

/// <summary>A feature as a device runs it.</summary>
/// <param name="FeatureName">The feature.</param>
/// <param name="Active">Whether it is on, all rules applied.</param>
/// <param name="Source"><c>choice</c> when a choice is recorded, else <c>default</c>.</param>
/// <param name="Choice">The recorded choice, if any.</param>
/// <param name="DefaultOn">The catalog default.</param>
/// <param name="Restriction">Why the feature is off whatever was chosen (market, missing grant), if it is.</param>
public sealed record EffectiveFeature(string FeatureName, bool Active, string Source, bool? Choice, bool DefaultOn, string? Restriction);

/// <summary>The features of one linked device.</summary>
/// <param name="MacAddress">The device.</param>
/// <param name="Model">Its model id.</param>
/// <param name="ModelName">Its model's name.</param>
/// <param name="Market">Its market.</param>
/// <param name="Features">Every feature of its model, as it runs.</param>
public sealed record DeviceFeatureState(string MacAddress, int Model, string ModelName, string Market, IReadOnlyList<EffectiveFeature> Features);

/// <summary>A choice recorded for a model the user has no device of yet.</summary>
/// <param name="Model">The model id.</param>
/// <param name="FeatureName">The feature.</param>
/// <param name="Active">The choice.</param>
/// <param name="UpdatedAt">When it was recorded.</param>
public sealed record PendingChoice(int Model, string FeatureName, bool Active, DateTimeOffset UpdatedAt);

/// <summary>The effective feature state of a user's devices.</summary>
/// <param name="Userid">The user.</param>
/// <param name="ClientId">The partner.</param>
/// <param name="Devices">Each linked device with its features.</param>
/// <param name="PendingChoices">Choices waiting for a device of their model.</param>
public sealed record UserFeatureState(int Userid, string ClientId, IReadOnlyList<DeviceFeatureState> Devices, IReadOnlyList<PendingChoice> PendingChoices);

/// <summary>One audit event: who changed what, when, from what to what.</summary>
/// <param name="Id">The event's id, increasing.</param>
/// <param name="OccurredAt">When it happened.</param>
/// <param name="Kind">What happened, e.g. <c>feature.enabled</c>.</param>
/// <param name="Actor">Who did it: a partner's client id, or <c>admin</c>.</param>
/// <param name="ClientId">The partner concerned.</param>
/// <param name="Userid">The user concerned.</param>
/// <param name="Model">The device model concerned.</param>
/// <param name="FeatureName">The feature concerned.</param>
/// <param name="OldValue">The value before (null: none recorded).</param>
/// <param name="NewValue">The value after.</param>
/// <param name="RequestId">The request that made the change.</param>
/// <param name="Detail">More about the event.</param>
public sealed record AuditEvent(
    long Id,
    DateTimeOffset OccurredAt,
    string Kind,
    string Actor,
    string? ClientId,
    int? Userid,
    int? Model,
    string? FeatureName,
    bool? OldValue,
    bool? NewValue,
    string? RequestId,
    string? Detail);

/// <summary>A page of audit events.</summary>
/// <param name="Events">The events, oldest first.</param>
/// <param name="NextAfter">Pass as <c>after</c> to read the next page; null when this was the last.</param>
public sealed record AuditPage(IReadOnlyList<AuditEvent> Events, long? NextAfter);

/// <summary>Which audit events to read; every filter is optional.</summary>
/// <param name="ClientId">Only this partner's events.</param>
/// <param name="Userid">Only this user's events.</param>
/// <param name="Since">Only events at or after this time.</param>
public sealed record AuditFilter(string? ClientId = null, int? Userid = null, DateTimeOffset? Since = null);

internal sealed record PartnerList(IReadOnlyList<Partner> Partners);

internal sealed record EntitlementList(string ClientId, IReadOnlyList<Entitlement> Entitlements);

internal sealed record CreatedUser(int Userid);

internal sealed record CreatePartnerBody(string Name);

internal sealed record RotateSecretBody(int? OverlapSeconds);

internal sealed record RateLimitBody(int? RequestsPerMinute);

internal sealed record CreateUserBody(string ClientId, IReadOnlyList<DeviceLink> Devices);

internal sealed record ProblemBody(string? Title, string? Detail, string? Code, int? Status);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(Partner))]
[JsonSerializable(typeof(PartnerList))]
[JsonSerializable(typeof(CreatedPartner))]
[JsonSerializable(typeof(PartnerSecret))]
[JsonSerializable(typeof(User))]
[JsonSerializable(typeof(CreatedUser))]
[JsonSerializable(typeof(Entitlement))]
[JsonSerializable(typeof(EntitlementList))]
[JsonSerializable(typeof(UserFeatureState))]
[JsonSerializable(typeof(AuditEvent))]
[JsonSerializable(typeof(AuditPage))]
[JsonSerializable(typeof(CreatePartnerBody))]
[JsonSerializable(typeof(RotateSecretBody))]
[JsonSerializable(typeof(RateLimitBody))]
[JsonSerializable(typeof(CreateUserBody))]
[JsonSerializable(typeof(ProblemBody))]
internal sealed partial class AdminJsonContext : JsonSerializerContext;
