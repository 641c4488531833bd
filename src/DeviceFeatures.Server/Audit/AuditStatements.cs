using DeviceFeatures.Server.Storage;

namespace DeviceFeatures.Server.Audit;

/// <summary>An audit event (<c>audit_events</c>): every change, with who made it, what it was and what it replaced.</summary>
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
/// <remarks><paramref name="UntilMs"/> is exclusive; <paramref name="Actor"/> is matched exactly (<c>admin</c>, <c>operator:ana</c>, a client id).</remarks>
internal sealed record AuditQuery(
    string? ClientId, int? UserId, long? SinceMs, long AfterId, int Limit, string? FeatureName = null, string? Actor = null, long? UntilMs = null);

/// <summary>The audit log: appended to in the transaction of every change, read page by page by the admin API.</summary>
internal static class AuditStatements
{
    private static readonly SqlStatement<AuditRow> Append = new(
        """
        INSERT INTO audit_events (occurred_at, kind, actor, client_id, userid, model, feature_name, old_value, new_value, request_id, detail)
        VALUES (@occurredAt, @kind, @actor, @clientId, @userId, @model, @featureName, @oldValue, @newValue, @requestId, @detail)
        """,
        static (e, p) => p.Add("@occurredAt", e.OccurredAt).Add("@kind", e.Kind).Add("@actor", e.Actor).Add("@clientId", e.ClientId)
            .Add("@userId", e.UserId).Add("@model", e.Model).Add("@featureName", e.FeatureName).Add("@oldValue", e.OldValue)
            .Add("@newValue", e.NewValue).Add("@requestId", e.RequestId).Add("@detail", e.Detail));

    private static readonly SqlQuery<AuditQuery, AuditRow> Query = new(
        """
        SELECT id, occurred_at, kind, actor, client_id, userid, model, feature_name, old_value, new_value, request_id, detail
        FROM audit_events
        WHERE id > @afterId
          AND (@clientId IS NULL OR client_id = @clientId)
          AND (@userId IS NULL OR userid = @userId)
          AND (@sinceMs IS NULL OR occurred_at >= @sinceMs)
          AND (@untilMs IS NULL OR occurred_at < @untilMs)
          AND (@featureName IS NULL OR feature_name = @featureName)
          AND (@actor IS NULL OR actor = @actor)
        ORDER BY id
        LIMIT @limit
        """,
        static (q, p) => p.Add("@afterId", q.AfterId).Add("@clientId", q.ClientId).Add("@userId", q.UserId).Add("@sinceMs", q.SinceMs).Add("@limit", q.Limit)
            .Add("@untilMs", q.UntilMs).Add("@featureName", q.FeatureName).Add("@actor", q.Actor),
        static row => new AuditRow
        {
            Id = row.Int64("id"),
            OccurredAt = row.Int64("occurred_at"),
            Kind = row.Text("kind"),
            Actor = row.Text("actor"),
            ClientId = row.NullableText("client_id"),
            UserId = row.NullableInt32("userid"),
            Model = row.NullableInt32("model"),
            FeatureName = row.NullableText("feature_name"),
            OldValue = row.NullableBoolean("old_value"),
            NewValue = row.NullableBoolean("new_value"),
            RequestId = row.NullableText("request_id"),
            Detail = row.NullableText("detail"),
        });

    public static Task<int> AppendAuditAsync(this StoreSession session, AuditRow auditEvent) =>
        session.ExecuteAsync(Append, auditEvent);

    /// <summary>The events after <see cref="AuditQuery.AfterId"/> that pass the query's filters, oldest first, at most its limit.</summary>
    public static Task<IReadOnlyList<AuditRow>> QueryAuditAsync(this StoreSession session, AuditQuery query) =>
        session.QueryAsync(Query, query);
}
