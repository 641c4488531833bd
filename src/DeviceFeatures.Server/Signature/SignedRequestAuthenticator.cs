using System.Globalization;
using DeviceFeatures.Protocol.Parameters;
using DeviceFeatures.Server.Observability;
using DeviceFeatures.Server.Partners;
using DeviceFeatures.Server.RateLimiting;
using DeviceFeatures.Server.Wire;
using Microsoft.Extensions.Options;

namespace DeviceFeatures.Server.Signature;

/// <summary>
/// The authentication step of the wire pipeline (<see cref="WirePipeline"/>), for both kinds of signed actions. The
/// signature is checked before the nonce is looked at, so that a request with a bad signature can never spend
/// somebody's nonce.
/// </summary>
internal sealed class SignedRequestAuthenticator(
    PartnerDirectory partners,
    PartnerRateLimiter rateLimiter,
    NonceService nonces,
    NonceRequestLedger nonceRequests,
    IOptions<SignatureOptions> options,
    TimeProvider time,
    ServerMetrics metrics)
{
    private readonly int _toleranceSeconds = options.Value.TimestampToleranceSeconds;

    /// <summary>An action signed over a nonce: client, signature, quota, then the nonce from its own bytes.</summary>
    public async Task<(SignedCall? Call, WireResult? Refusal)> AuthenticateAsync(WireParameters parameters, string action, string requestId, CancellationToken cancellationToken)
    {
        if (!TryGetRequired(parameters, WireParameterNames.ClientId, out var clientId, out var refusal)
            || !TryGetRequired(parameters, WireParameterNames.Nonce, out var nonce, out refusal)
            || !TryGetRequired(parameters, WireParameterNames.Signature, out var signature, out refusal))
        {
            return (null, refusal);
        }

        var (partner, busy) = await partners.FindForRequestAsync(clientId, cancellationToken).ConfigureAwait(false);
        if (partner is null)
        {
            return (null, busy ? Refusals.LookupsBusy() : Refusals.UnknownClient());
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
            return (new SignedCall(partner, check.Bytes!, check.ExpiresAt, requestId), null);
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

    /// <summary>
    /// An action signed over a timestamp: client, signature, the timestamp's window, suspension, then how many nonces
    /// this very signed request has had. It does not count against the partner's quota: a captured request could be
    /// sent again by anyone, and would use the quota up.
    /// </summary>
    public async Task<(PartnerCredentials? Partner, WireResult? Refusal)> AuthenticateTimestampAsync(WireParameters parameters, string action, CancellationToken cancellationToken)
    {
        if (!TryGetRequired(parameters, WireParameterNames.ClientId, out var clientId, out var refusal)
            || !TryGetRequired(parameters, WireParameterNames.Timestamp, out var timestampText, out refusal)
            || !TryGetRequired(parameters, WireParameterNames.Signature, out var signature, out refusal))
        {
            return (null, refusal);
        }

        if (!long.TryParse(timestampText, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var timestamp))
        {
            return (null, Refusals.InvalidParameter(WireParameterNames.Timestamp, "must be a Unix time in whole seconds"));
        }

        var (partner, busy) = await partners.FindForRequestAsync(clientId, cancellationToken).ConfigureAwait(false);
        if (partner is null)
        {
            return (null, busy ? Refusals.LookupsBusy() : Refusals.UnknownClient());
        }

        // The signature covers the timestamp exactly as sent.
        if (!await partners.VerifyAsync(partner, action, clientId, timestampText, signature, cancellationToken).ConfigureAwait(false))
        {
            return (null, Refusals.InvalidSignature($"{action},{WireParameterNames.ClientId},{WireParameterNames.Timestamp}"));
        }

        var now = time.GetUtcNow().ToUnixTimeSeconds();
        if (timestamp < now - _toleranceSeconds || timestamp > now + _toleranceSeconds)
        {
            return (null, Refusals.TimestampOutOfWindow(timestamp, now, _toleranceSeconds));
        }

        if (partner.Suspended)
        {
            return (null, Refusals.PartnerSuspended());
        }

        if (nonceRequests.LimitFor(partner.RequestsPerMinute) is { } limit && !nonceRequests.TryTake(clientId, timestampText, timestamp, signature, limit))
        {
            metrics.NonceRequestRepeatRefused();
            return (null, Refusals.RepeatedNonceRequest(limit));
        }

        return (partner, null);
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
