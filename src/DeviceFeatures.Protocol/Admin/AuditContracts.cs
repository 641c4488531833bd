namespace DeviceFeatures.Protocol.Admin;

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

/// <summary>A page of audit events (<c>GET /admin/api/audit</c>).</summary>
/// <param name="Events">The events, oldest first.</param>
/// <param name="NextAfter">Pass as <c>after</c> to read the next page; null when this was the last.</param>
public sealed record AuditPage(IReadOnlyList<AuditEvent> Events, long? NextAfter);
