using DeviceFeatures.Protocol.Parameters;
using DeviceFeatures.Server.Observability;
using DeviceFeatures.Server.Partners;
using DeviceFeatures.Server.RateLimiting;
using DeviceFeatures.Server.Wire;

namespace DeviceFeatures.Server.Signature;

/// <summary>A signed call whose client, signature and nonce check out; the nonce is not yet recorded as used.</summary>
internal sealed record SignedCall(PartnerCredentials Partner, byte[] Nonce, DateTimeOffset NonceExpiresAt);

/// <summary>
/// Checks the signed part of a call: client, signature, then nonce. The signature is checked before the nonce is
/// looked at, so that a request with a bad signature can never spend somebody's nonce.
/// </summary>
internal sealed class SignedRequestAuthenticator(PartnerDirectory partners, PartnerRateLimiter rateLimiter, NonceService nonces, ServerMetrics metrics)
{
    public async Task<(SignedCall? Call, WireResult? Refusal)> AuthenticateAsync(WireParameters parameters, string action, CancellationToken cancellationToken)
    {
        if (!TryGetRequired(parameters, WireParameterNames.ClientId, out var clientId, out var refusal)
            || !TryGetRequired(parameters, WireParameterNames.Nonce, out var nonce, out refusal)
            || !TryGetRequired(parameters, WireParameterNames.Signature, out var signature, out refusal))
        {
            return (null, refusal);
        }

        var partner = await partners.FindAsync(clientId, cancellationToken).ConfigureAwait(false);
        if (partner is null)
        {
            return (null, Refusals.UnknownClient());
        }

        if (!await partners.VerifyAsync(partner, action, clientId, nonce, signature, cancellationToken).ConfigureAwait(false))
        {
            return (null, Refusals.InvalidSignature($"{WireParameterNames.Action},{WireParameterNames.ClientId},{WireParameterNames.Nonce}"));
        }

        // Over the quota nothing is done, the nonce included: the same signed request may be sent again later. A
        // suspended partner is refused further on (214) and uses none of its quota.
        if (!partner.Suspended && await rateLimiter.TryAcquireAsync(partner, cancellationToken).ConfigureAwait(false) is { } wait)
        {
            return (null, Refusals.TooManyRequests(wait));
        }

        var check = nonces.Check(nonce, clientId);
        if (check.Verdict == NonceVerdict.Valid)
        {
            return (new SignedCall(partner, check.Bytes!, check.ExpiresAt), null);
        }

        metrics.NonceRefused(check.Verdict switch
        {
            NonceVerdict.OtherClient => "other_client",
            NonceVerdict.Expired => "expired",
            _ => "unknown",
        });
        return check.Verdict switch
        {
            NonceVerdict.OtherClient => (null, Refusals.OtherClientsNonce()),
            NonceVerdict.Expired => (null, Refusals.ExpiredNonce(check.ExpiresAt, nonces.Lifetime)),
            _ => (null, Refusals.UnknownNonce()),
        };
    }

    public static bool TryGetRequired(WireParameters parameters, string name, out string value, out WireResult? refusal)
    {
        if (!parameters.TryGet(name, out value) || value.Length == 0)
        {
            refusal = Refusals.MissingParameter(name);
            return false;
        }

        refusal = null;
        return true;
    }
}
