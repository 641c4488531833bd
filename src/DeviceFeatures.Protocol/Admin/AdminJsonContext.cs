using System.Text.Json.Serialization;

namespace DeviceFeatures.Protocol.Admin;

/// <summary>
/// The admin API's JSON (snake_case), generated at build time. The server answers with it and the SDK reads with it,
/// so that both sides run the same contract.
/// </summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(CreatePartnerRequest))]
[JsonSerializable(typeof(CreatedPartner))]
[JsonSerializable(typeof(Partner))]
[JsonSerializable(typeof(PartnerList))]
[JsonSerializable(typeof(RotateSecretRequest))]
[JsonSerializable(typeof(PartnerSecret))]
[JsonSerializable(typeof(RateLimitRequest))]
[JsonSerializable(typeof(Entitlement))]
[JsonSerializable(typeof(EntitlementList))]
[JsonSerializable(typeof(CreateUserRequest))]
[JsonSerializable(typeof(CreatedUser))]
[JsonSerializable(typeof(User))]
[JsonSerializable(typeof(UserFeatureState))]
[JsonSerializable(typeof(ImportDevicesRequest))]
[JsonSerializable(typeof(ImportDevicesResponse))]
[JsonSerializable(typeof(InventoryDevice))]
[JsonSerializable(typeof(DeviceCredential))]
[JsonSerializable(typeof(InventoryPage))]
[JsonSerializable(typeof(AssignDeviceRequest))]
[JsonSerializable(typeof(ProgrammeChoiceRequest))]
[JsonSerializable(typeof(ProgrammeChoice))]
[JsonSerializable(typeof(ProgrammeChoiceList))]
[JsonSerializable(typeof(AuditEvent))]
[JsonSerializable(typeof(AuditPage))]
[JsonSerializable(typeof(CallbackRequest))]
[JsonSerializable(typeof(ChangeEvent))]
[JsonSerializable(typeof(ChangeEventPage))]
[JsonSerializable(typeof(CreateOperatorRequest))]
[JsonSerializable(typeof(CreatedOperator))]
[JsonSerializable(typeof(OperatorAccount))]
[JsonSerializable(typeof(OperatorList))]
[JsonSerializable(typeof(UpdateOperatorRequest))]
[JsonSerializable(typeof(ResetPasswordRequest))]
[JsonSerializable(typeof(OperatorPassword))]
[JsonSerializable(typeof(AdminProblem))]
public sealed partial class AdminJsonContext : JsonSerializerContext;
