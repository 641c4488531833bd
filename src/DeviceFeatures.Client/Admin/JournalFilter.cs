namespace DeviceFeatures.Client.Admin;

/// <summary>Which entries of the request journal to read; every filter is optional.</summary>
/// <param name="ClientId">Only requests carrying this <c>client_id</c>.</param>
/// <param name="Action">Only this action, e.g. <c>enablefeature</c>.</param>
/// <param name="Status">Only answers with this Withings status, e.g. 101 for refused signatures.</param>
/// <param name="Since">Only requests that arrived at or after this time.</param>
public sealed record JournalFilter(string? ClientId = null, string? Action = null, int? Status = null, DateTimeOffset? Since = null);
