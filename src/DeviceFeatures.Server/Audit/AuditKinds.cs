namespace DeviceFeatures.Server.Audit;

/// <summary>The kinds of audit event.</summary>
internal static class AuditKinds
{
    public const string FeatureEnabled = "feature.enabled";
    public const string FeatureDisabled = "feature.disabled";
    public const string PartnerCreated = "partner.created";
    public const string PartnerSecretRotated = "partner.secret_rotated";
    public const string PartnerSuspended = "partner.suspended";
    public const string PartnerResumed = "partner.resumed";
    public const string PartnerRateLimitChanged = "partner.rate_limit_changed";
    public const string PartnerCallbackSet = "partner.callback_set";
    public const string PartnerCallbackCleared = "partner.callback_cleared";
    public const string ChangeEventReplayed = "change_event.replayed";
    public const string UserCreated = "user.created";
    public const string UserActivated = "user.activated";
    public const string UserReactivated = "user.reactivated";
    public const string DeviceImported = "device.imported";
    public const string DeviceUpdated = "device.updated";
    public const string DeviceAssigned = "device.assigned";
    public const string DeviceCredentialRotated = "device.credential_rotated";
    public const string DeviceProgrammeChanged = "device.programme_changed";
    public const string ProgrammeChoiceSet = "programme_choice.set";
    public const string ProgrammeChoiceCleared = "programme_choice.cleared";
    public const string EntitlementGranted = "entitlement.granted";
    public const string EntitlementRevoked = "entitlement.revoked";
    public const string OperatorCreated = "operator.created";
    public const string GrantRequested = "grant_request.created";
    public const string GrantRequestEdited = "grant_request.edited";
    public const string GrantRequestApproved = "grant_request.approved";
    public const string GrantRequestRejected = "grant_request.rejected";
    public const string GrantRequestWithdrawn = "grant_request.withdrawn";
    public const string GrantRequestExpired = "grant_request.expired";
    public const string EmulatorReset = "emulator.reset";
    public const string EmulatorRestored = "emulator.restored";
    public const string EmulatorSeeded = "emulator.seeded";
    public const string OperatorRoleChanged = "operator.role_changed";
    public const string OperatorDisabled = "operator.disabled";
    public const string OperatorEnabled = "operator.enabled";
    public const string OperatorUnlocked = "operator.unlocked";
    public const string OperatorPasswordReset = "operator.password_reset";
    public const string OperatorDeleted = "operator.deleted";
}
