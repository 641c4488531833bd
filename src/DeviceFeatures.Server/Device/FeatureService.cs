using DeviceFeatures.Protocol.Parameters;
using DeviceFeatures.Server.Audit;
using DeviceFeatures.Server.Catalog;
using DeviceFeatures.Server.Observability;
using DeviceFeatures.Server.Partners;
using DeviceFeatures.Server.Signature;
using DeviceFeatures.Server.Storage;
using DeviceFeatures.Server.Wire;

namespace DeviceFeatures.Server.Device;

/// <summary>
/// The rules of <c>enablefeature</c>, <c>disablefeature</c> and <c>getfeatures</c>. Each call runs in one write
/// transaction that first records the nonce as used (the primary key makes that single-use), then either refuses
/// or records the choice with its audit event; the answer is sent only after the commit. Changes of one user are
/// serialized on the user's row, so that the audit event's old value is the choice the change replaced.
/// </summary>
internal sealed class FeatureService(IFeatureStore store, CatalogProvider catalog, TimeProvider time, ServerMetrics metrics)
{
    public Task<WireResult> SetAsync(SignedCall call, WireParameters parameters, bool active, string requestId, CancellationToken cancellationToken)
    {
        var (request, invalid) = FeatureRequest.Read(parameters, catalog.Current, needsFeature: true);
        return WriteAsync(async session =>
        {
            if (await RefuseCallAsync(session, call, invalid) is { } refusal)
            {
                return refusal;
            }

            var clientId = call.Partner.ClientId;
            var feature = request.Feature!;

            // Locked before the previous choice is read: a concurrent change of the same user (through this or any
            // other instance) waits for this one to commit, then reads what it wrote.
            var user = await session.FindUserForUpdateAsync(request.UserId);
            if (user is null || user.ClientId != clientId)
            {
                return Refusals.UnknownUser(request.UserId);
            }

            // Turning a feature off is always allowed; the grant and market rules guard turning it on.
            if (active && feature.Gated && !await session.HasEntitlementAsync(clientId, feature.Name))
            {
                return Refusals.FeatureNotGranted(feature.Name);
            }

            if (active && feature.Markets.Count > 0)
            {
                var markets = await session.ListMarketsAsync(request.UserId, request.Model);
                if (markets.Count > 0 && !markets.Any(feature.IsAvailableIn))
                {
                    return Refusals.MarketRestricted(feature.Name, string.Join("/", feature.Markets), request.ModelInfo!.Name, string.Join("/", markets));
                }
            }

            var previous = await session.FindChoiceAsync(request.UserId, request.Model, feature.Name);
            if (previous == active)
            {
                return WireResult.Success;
            }

            var now = time.GetUtcNow().ToUnixTimeMilliseconds();
            await session.SetChoiceAsync(request.UserId, request.Model, feature.Name, active, now);
            await session.AppendAuditAsync(new AuditRow
            {
                OccurredAt = now,
                Kind = active ? AuditKinds.FeatureEnabled : AuditKinds.FeatureDisabled,
                Actor = clientId,
                ClientId = clientId,
                UserId = request.UserId,
                Model = request.Model,
                FeatureName = feature.Name,
                OldValue = previous,
                NewValue = active,
                RequestId = requestId,
                Detail = previous is null ? $"first recorded choice; catalog default was {(feature.DefaultOn ? "on" : "off")}" : null,
            });
            return WireResult.Success;
        }, cancellationToken);
    }

    public Task<WireResult> GetAsync(SignedCall call, WireParameters parameters, CancellationToken cancellationToken)
    {
        var (request, invalid) = FeatureRequest.Read(parameters, catalog.Current, needsFeature: false);
        return WriteAsync(async session =>
        {
            if (await RefuseCallAsync(session, call, invalid) is { } refusal)
            {
                return refusal;
            }

            var user = await session.FindUserAsync(request.UserId);
            if (user is null || user.ClientId != call.Partner.ClientId)
            {
                return Refusals.UnknownUser(request.UserId);
            }

            var choices = await session.ListChoicesAsync(request.UserId, request.Model);
            return WireResult.Ok(w =>
            {
                w.WriteStartArray("features"u8);
                foreach (var choice in choices)
                {
                    w.WriteStartObject();
                    w.WriteString("feature_name"u8, choice.FeatureName);
                    w.WriteBoolean("active"u8, choice.Active);
                    w.WriteEndObject();
                }

                w.WriteEndArray();
            });
        }, cancellationToken);
    }

    private async Task<WireResult> WriteAsync(Func<StoreSession, Task<WireResult>> work, CancellationToken cancellationToken)
    {
        var started = time.GetTimestamp();
        var result = await store.WriteAsync(work, cancellationToken);
        metrics.WriteCommitted(time.GetElapsedTime(started));
        return result;
    }

    /// <summary>
    /// Spends the nonce, then applies the refusals that do not depend on the user: every request whose signature is
    /// good spends its nonce, even when it is refused afterwards.
    /// </summary>
    private async Task<WireResult?> RefuseCallAsync(StoreSession session, SignedCall call, WireResult? invalidParameters)
    {
        if (!await session.TryUseNonceAsync(call.Nonce, call.Partner.ClientId, call.NonceExpiresAt.ToUnixTimeMilliseconds()))
        {
            metrics.NonceRefused("used");
            return Refusals.UsedNonce();
        }

        metrics.NonceUsed();
        if (call.Partner.Suspended)
        {
            return Refusals.PartnerSuspended();
        }

        return invalidParameters;
    }
}
