namespace DeviceFeatures.Server.Storage;

// Rows as the database returns them; Dapper fills them by column name. Times are Unix milliseconds.

internal sealed class PartnerRow
{
    public string ClientId { get; set; } = "";
    public string Name { get; set; } = "";
    public string ClientSecret { get; set; } = "";
    public bool Suspended { get; set; }
    public long CreatedAt { get; set; }
    public long UpdatedAt { get; set; }
    public string? PreviousSecret { get; set; }
    public long? PreviousSecretExpiresAt { get; set; }
    public int? RateLimitPerMinute { get; set; }
}

internal sealed class UserRow
{
    public int UserId { get; set; }
    public string ClientId { get; set; } = "";
    public long CreatedAt { get; set; }
}

internal sealed class DeviceRow
{
    public string MacAddress { get; set; } = "";
    public int UserId { get; set; }
    public int Model { get; set; }
    public string Market { get; set; } = "";
    public long LinkedAt { get; set; }
}

internal sealed class ChoiceRow
{
    public int Model { get; set; }
    public string FeatureName { get; set; } = "";
    public bool Active { get; set; }
    public long UpdatedAt { get; set; }
}

internal sealed class EntitlementRow
{
    public string FeatureName { get; set; } = "";
    public long GrantedAt { get; set; }
}

internal sealed class AuditRow
{
    public long Id { get; set; }
    public long OccurredAt { get; set; }
    public string Kind { get; set; } = "";
    public string Actor { get; set; } = "";
    public string? ClientId { get; set; }
    public int? UserId { get; set; }
    public int? Model { get; set; }
    public string? FeatureName { get; set; }
    public bool? OldValue { get; set; }
    public bool? NewValue { get; set; }
    public string? RequestId { get; set; }
    public string? Detail { get; set; }
}

/// <summary>Which audit events to read: every filter is optional.</summary>
internal sealed record AuditQuery(string? ClientId, int? UserId, long? SinceMs, long AfterId, int Limit);

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
    public const string UserCreated = "user.created";
    public const string EntitlementGranted = "entitlement.granted";
    public const string EntitlementRevoked = "entitlement.revoked";
}
