namespace DeviceFeatures.Protocol.Admin;

/// <summary>The body of <c>PUT /admin/api/partners/{client_id}/callback</c>.</summary>
/// <param name="Url">Where change events are POSTed: an absolute <c>http</c> or <c>https</c> URL, without user information.</param>
public sealed record CallbackRequest(string? Url);

/// <summary>A device whose configuration version a <c>feature.changed</c> event produced.</summary>
/// <param name="MacAddress">The device.</param>
/// <param name="Version">Its new configuration version.</param>
public sealed record ChangeEventDevice(string MacAddress, long Version);

/// <summary>A change event of the outbox, as operators see it.</summary>
/// <param name="EventId">The event's id, sent as the idempotency key.</param>
/// <param name="ClientId">The partner it is for.</param>
/// <param name="Type"><c>feature.changed</c>, <c>feature.applied</c> or <c>feature.failed</c>.</param>
/// <param name="Userid">The user.</param>
/// <param name="Model">The model id.</param>
/// <param name="FeatureName">The feature.</param>
/// <param name="Active">The chosen state (changed), or the state the device was to apply (applied, failed).</param>
/// <param name="MacAddress">The device that reported (applied, failed).</param>
/// <param name="Version">The configuration version the device reported (applied, failed).</param>
/// <param name="Reason">The device's reason (failed).</param>
/// <param name="Devices">The devices the change bumped, with their new versions (changed).</param>
/// <param name="CreatedAt">When the change was committed.</param>
/// <param name="State"><c>pending</c>, <c>delivered</c> or <c>parked</c> (<see cref="ChangeEventStates"/>).</param>
/// <param name="Attempts">Delivery attempts made so far.</param>
/// <param name="NextAttemptAt">When the next attempt is due (pending).</param>
/// <param name="LastError">What the last failed attempt met (an HTTP status, a timeout, a refused connection).</param>
/// <param name="DeliveredAt">When the partner answered 2xx.</param>
public sealed record ChangeEvent(
    string EventId,
    string ClientId,
    string Type,
    int? Userid,
    int? Model,
    string? FeatureName,
    bool? Active,
    string? MacAddress,
    long? Version,
    string? Reason,
    IReadOnlyList<ChangeEventDevice>? Devices,
    DateTimeOffset CreatedAt,
    string State,
    int Attempts,
    DateTimeOffset? NextAttemptAt,
    string? LastError,
    DateTimeOffset? DeliveredAt);

/// <summary>The answer of <c>GET /admin/api/events</c>.</summary>
/// <param name="Events">The events, oldest first.</param>
/// <param name="NextAfter">The <c>after</c> of the next page; null on the last page.</param>
public sealed record ChangeEventPage(IReadOnlyList<ChangeEvent> Events, string? NextAfter);

/// <summary>The states of a change event.</summary>
public static class ChangeEventStates
{
    /// <summary>Not delivered yet; attempts continue on the schedule.</summary>
    public const string Pending = "pending";

    /// <summary>The partner answered 2xx.</summary>
    public const string Delivered = "delivered";

    /// <summary>The last attempt failed, or the callback URL was cleared: waits for an operator's replay.</summary>
    public const string Parked = "parked";
}
