using DeviceFeatures.Protocol.Parameters;
using DeviceFeatures.Server.Partners;
using DeviceFeatures.Server.RateLimiting;
using DeviceFeatures.Server.Signature;
using DeviceFeatures.Server.Storage;
using DeviceFeatures.Server.Wire;

namespace DeviceFeatures.Server.OAuth;

/// <summary>A call whose bearer access token checks out: the user it was given for, and that user's partner.</summary>
internal sealed record BearerCall(PartnerCredentials Partner, int UserId, string RequestId);

/// <summary>
/// The authentication step of the wire pipeline (<see cref="WirePipeline"/>) for the two kinds of actions that are not
/// signed: those authenticated by <c>client_id</c> and <c>client_secret</c> (<c>/v2/oauth2 requesttoken</c>), and
/// those authenticated by an access token in <c>Authorization: Bearer</c> (<c>/v2/user getdevice</c>). Both refuse a
/// suspended partner and count the request against the partner's quota, like a signed call.
/// </summary>
internal sealed class OAuthAuthenticator(PartnerDirectory partners, PartnerRateLimiter rateLimiter, IFeatureStore store, TimeProvider time)
{
    /// <summary>client_id and client_secret present, a known partner, the secret, suspension, then the quota.</summary>
    public async Task<(PartnerCredentials? Partner, WireResult? Refusal)> AuthenticateClientSecretAsync(
        WireParameters parameters, CancellationToken cancellationToken)
    {
        if (!SignedRequestAuthenticator.TryGetRequired(parameters, WireParameterNames.ClientId, out var clientId, out var refusal)
            || !SignedRequestAuthenticator.TryGetRequired(parameters, WireParameterNames.ClientSecret, out var secret, out refusal))
        {
            return (null, refusal);
        }

        var (partner, busy) = await partners.FindForRequestAsync(clientId, cancellationToken).ConfigureAwait(false);
        if (partner is null)
        {
            return (null, busy ? Refusals.LookupsBusy() : Refusals.UnknownClient());
        }

        if (!await partners.VerifySecretAsync(partner, secret, cancellationToken).ConfigureAwait(false))
        {
            return (null, Refusals.InvalidClientSecret());
        }

        return await AdmitAsync(partner, cancellationToken).ConfigureAwait(false) is { } refused ? (null, refused) : (partner, null);
    }

    /// <summary>
    /// An access token in <c>Authorization: Bearer</c>, known, of kind access and unexpired; its partner known and
    /// not suspended; then the quota.
    /// </summary>
    public async Task<(BearerCall? Call, WireResult? Refusal)> AuthenticateBearerAsync(HttpRequest request, string requestId, CancellationToken cancellationToken)
    {
        var header = request.Headers.Authorization;
        if (header.Count != 1 || header[0] is not { } value
            || !value.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) || value.AsSpan(7).Trim().IsEmpty)
        {
            return (null, Refusals.MissingAccessToken());
        }

        var hash = OAuthSecrets.Hash(value[7..].Trim());
        var token = await store.ReadAsync(s => s.FindTokenAsync(hash), cancellationToken).ConfigureAwait(false);
        if (token is null || token.Kind != OAuthStatements.AccessKind)
        {
            return (null, Refusals.UnknownAccessToken());
        }

        var now = time.GetUtcNow();
        if (token.ExpiresAt <= now.ToUnixTimeMilliseconds())
        {
            return (null, Refusals.ExpiredAccessToken(DateTimeOffset.FromUnixTimeMilliseconds(token.ExpiresAt)));
        }

        var partner = await partners.FindAsync(token.ClientId, cancellationToken).ConfigureAwait(false);
        if (partner is null)
        {
            return (null, Refusals.UnknownAccessToken());
        }

        return await AdmitAsync(partner, cancellationToken).ConfigureAwait(false) is { } refused
            ? (null, refused)
            : (new BearerCall(partner, token.UserId, requestId), null);
    }

    // A suspended partner is refused without using its quota, as getnonce does.
    private async Task<WireResult?> AdmitAsync(PartnerCredentials partner, CancellationToken cancellationToken)
    {
        if (partner.Suspended)
        {
            return Refusals.PartnerSuspended();
        }

        return await rateLimiter.TryAcquireAsync(partner, cancellationToken).ConfigureAwait(false) is { } wait
            ? Refusals.TooManyRequests(wait)
            : null;
    }
}
