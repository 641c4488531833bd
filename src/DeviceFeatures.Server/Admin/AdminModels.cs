using System.Text.Json.Serialization;

namespace DeviceFeatures.Server.Admin;

// Request and response shapes of the admin API (snake_case on the wire).

internal sealed record CreatePartnerRequest(string? Name);

internal sealed record DeviceInput(string? MacAddress, int? Model, string? Market);

internal sealed record CreateUserRequest(string? ClientId, IReadOnlyList<DeviceInput>? Devices);

internal sealed record CreatedPartnerResponse(string ClientId, string ClientSecret, string Name);

internal sealed record SecretResponse(string ClientId, string ClientSecret, DateTimeOffset? PreviousSecretExpiresAt);

internal sealed record RotateSecretRequest(int? OverlapSeconds);

internal sealed record RateLimitRequest(int? RequestsPerMinute);

internal sealed record PartnerResponse(
    string ClientId,
    string Name,
    string Status,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt,
    int RequestsPerMinute,
    bool DefaultRateLimit,
    DateTimeOffset? PreviousSecretExpiresAt);

internal sealed record PartnerListResponse(IReadOnlyList<PartnerResponse> Partners);

internal sealed record CreatedUserResponse(int Userid);

internal sealed record DeviceResponse(string MacAddress, int Model, string ModelName, string Market, DateTimeOffset LinkedAt);

internal sealed record UserResponse(int Userid, string ClientId, DateTimeOffset CreatedAt, IReadOnlyList<DeviceResponse> Devices);

internal sealed record EntitlementResponse(string ClientId, string FeatureName, DateTimeOffset GrantedAt);

internal sealed record EntitlementListResponse(string ClientId, IReadOnlyList<EntitlementResponse> Entitlements);

internal sealed record EffectiveFeature(string FeatureName, bool Active, string Source, bool? Choice, bool DefaultOn, string? Restriction);

internal sealed record DeviceFeatureState(string MacAddress, int Model, string ModelName, string Market, IReadOnlyList<EffectiveFeature> Features);

internal sealed record RecordedChoice(int Model, string FeatureName, bool Active, DateTimeOffset UpdatedAt);

internal sealed record UserFeaturesResponse(
    int Userid,
    string ClientId,
    IReadOnlyList<DeviceFeatureState> Devices,
    IReadOnlyList<RecordedChoice> PendingChoices);

internal sealed record AuditEventResponse(
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

internal sealed record AuditPageResponse(IReadOnlyList<AuditEventResponse> Events, long? NextAfter);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(CreatePartnerRequest))]
[JsonSerializable(typeof(CreateUserRequest))]
[JsonSerializable(typeof(CreatedPartnerResponse))]
[JsonSerializable(typeof(SecretResponse))]
[JsonSerializable(typeof(RotateSecretRequest))]
[JsonSerializable(typeof(RateLimitRequest))]
[JsonSerializable(typeof(PartnerResponse))]
[JsonSerializable(typeof(PartnerListResponse))]
[JsonSerializable(typeof(CreatedUserResponse))]
[JsonSerializable(typeof(UserResponse))]
[JsonSerializable(typeof(EntitlementResponse))]
[JsonSerializable(typeof(EntitlementListResponse))]
[JsonSerializable(typeof(UserFeaturesResponse))]
[JsonSerializable(typeof(AuditEventResponse))]
[JsonSerializable(typeof(AuditPageResponse))]
[JsonSerializable(typeof(Microsoft.AspNetCore.Mvc.ProblemDetails))]
[JsonSerializable(typeof(Microsoft.AspNetCore.Http.HttpValidationProblemDetails))]
internal sealed partial class AdminJsonContext : JsonSerializerContext;
