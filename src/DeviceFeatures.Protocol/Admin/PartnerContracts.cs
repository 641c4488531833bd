namespace DeviceFeatures.Protocol.Admin;

/// <summary>The body of <c>POST /admin/api/partners</c>.</summary>
/// <param name="Name">The partner's name: required, at most 200 characters once trimmed.</param>
public sealed record CreatePartnerRequest(string? Name);

/// <summary>A new partner with its client secret, which is shown only once.</summary>
/// <param name="ClientId">The new client id.</param>
/// <param name="ClientSecret">The new client secret.</param>
/// <param name="Name">The partner's name.</param>
public sealed record CreatedPartner(string ClientId, string ClientSecret, string Name);

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
    DateTimeOffset? PreviousSecretExpiresAt)
{
    /// <summary>Where the partner's change events are POSTed; null when it receives none.</summary>
    public string? CallbackUrl { get; init; }
}

/// <summary>The answer of <c>GET /admin/api/partners</c>.</summary>
/// <param name="Partners">Every partner, oldest first.</param>
public sealed record PartnerList(IReadOnlyList<Partner> Partners);

/// <summary>The body of <c>POST /admin/api/partners/{client_id}/rotate-secret</c>; the body itself is optional.</summary>
/// <param name="OverlapSeconds">
/// How long the previous secret is still accepted, 0 to 2592000 (0 stops it at once); null for the server's default.
/// </param>
public sealed record RotateSecretRequest(int? OverlapSeconds);

/// <summary>A partner's new client secret after a rotation.</summary>
/// <param name="ClientId">The client id.</param>
/// <param name="ClientSecret">The new client secret.</param>
/// <param name="PreviousSecretExpiresAt">Until when the previous secret is still accepted; null when it stopped at once.</param>
public sealed record PartnerSecret(string ClientId, string ClientSecret, DateTimeOffset? PreviousSecretExpiresAt);

/// <summary>The body of <c>PUT /admin/api/partners/{client_id}/rate-limit</c>.</summary>
/// <param name="RequestsPerMinute">The partner's own quota, 0 (unlimited) to 10000000: required.</param>
public sealed record RateLimitRequest(int? RequestsPerMinute);

/// <summary>An operator's grant of a gated feature to a partner.</summary>
/// <param name="ClientId">The partner.</param>
/// <param name="FeatureName">The gated feature.</param>
/// <param name="GrantedAt">When it was granted.</param>
public sealed record Entitlement(string ClientId, string FeatureName, DateTimeOffset GrantedAt);

/// <summary>The answer of <c>GET /admin/api/partners/{client_id}/entitlements</c>.</summary>
/// <param name="ClientId">The partner.</param>
/// <param name="Entitlements">Its grants, by feature name.</param>
public sealed record EntitlementList(string ClientId, IReadOnlyList<Entitlement> Entitlements);
