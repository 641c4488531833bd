namespace DeviceFeatures.Client.Admin;

/// <summary>Which audit events to read; every filter is optional.</summary>
/// <param name="ClientId">Only this partner's events.</param>
/// <param name="Userid">Only this user's events.</param>
/// <param name="Since">Only events at or after this time.</param>
public sealed record AuditFilter(string? ClientId = null, int? Userid = null, DateTimeOffset? Since = null);
