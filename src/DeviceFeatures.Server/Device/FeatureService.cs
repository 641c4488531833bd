using DeviceFeatures.Protocol.Parameters;
using DeviceFeatures.Server.Audit;
using DeviceFeatures.Server.Catalog;
using DeviceFeatures.Server.ChangeEvents;
using DeviceFeatures.Server.Partners;
using DeviceFeatures.Server.Signature;
using DeviceFeatures.Server.Storage;
using DeviceFeatures.Server.Wire;

namespace DeviceFeatures.Server.Device;

/// <summary>
/// The rules of <c>enablefeature</c>, <c>disablefeature</c> and <c>getfeatures</c>, one handler each. A user's choice
/// overrides the partner's programme choice for the model, which overrides the catalog default; devices that have
/// left the programme (terminated) run the defaults. Each handler runs in the write transaction in which the pipeline
/// has recorded the nonce as used; the answer is sent only after the commit. Changes of one user are serialized on the
/// user's row, so that the audit event's old value is the choice the change replaced. An accepted change writes its
/// <c>feature.changed</c> event in the same transaction (<see cref="ChangeEventWriter"/>).
/// </summary>
internal sealed class FeatureService(CatalogProvider catalog, TimeProvider time, ChangeEventWriter events)
{
    public ISignedHandler<FeatureRequest> Enable { get; } = new SetHandler(catalog, time, events, active: true);

    public ISignedHandler<FeatureRequest> Disable { get; } = new SetHandler(catalog, time, events, active: false);

    public ISignedHandler<FeatureRequest> Get { get; } = new GetHandler(catalog, time);

    /// <summary>
    /// The MAC addresses of the user's devices of the model when there are some and every one is terminated; null
    /// otherwise (no device yet, or one still in the programme, whose choices apply).
    /// </summary>
    private static string? TerminatedDevices(IReadOnlyList<ProgrammeRow> devices, long nowMs) =>
        devices.Count > 0 && devices.All(d => d.At(nowMs).IsTerminated) ? string.Join(", ", devices.Select(d => d.MacAddress)) : null;

    private sealed class SetHandler(CatalogProvider catalog, TimeProvider time, ChangeEventWriter events, bool active) : IOneStatementHandler<FeatureRequest>
    {
        public (FeatureRequest Parameters, WireResult? Refusal) Read(WireParameters parameters) =>
            FeatureRequest.Read(parameters, catalog.Current, needsFeature: true);

        public async ValueTask<WireResult> HandleAsync(SignedCall call, FeatureRequest request, SignedSession signed)
        {
            var session = signed.Store;
            var clientId = call.Partner.ClientId;
            var feature = request.Feature!;

            // Locked before the previous choice is read: a concurrent change of the same user (through this or any
            // other instance) waits for this one to commit, then reads what it wrote. Only the partner's own user is
            // locked: another partner's is answered like a missing one, without waiting on its lock.
            var user = await session.FindOwnUserForUpdateAsync(request.UserId, clientId);
            if (user is null)
            {
                return Refusals.UnknownUser(request.UserId);
            }

            // A user whose devices of the model have all left the programme runs them with the catalog defaults.
            var devices = await session.ListUserProgrammeAsync(request.UserId, request.Model);
            var now = time.GetUtcNow().ToUnixTimeMilliseconds();
            if (TerminatedDevices(devices, now) is { } terminated)
            {
                return Refusals.DevicesTerminated(request.ModelInfo!.Name, request.Model, terminated);
            }

            // Otherwise turning a feature off is always allowed; the grant and market rules guard turning it on.
            if (active && feature.Gated && !await session.HasEntitlementAsync(clientId, feature.Name))
            {
                return Refusals.FeatureNotGranted(feature.Name);
            }

            if (active && feature.Markets.Count > 0)
            {
                var markets = devices.Where(d => !d.At(now).IsTerminated).Select(d => d.Market).Distinct(StringComparer.Ordinal)
                    .Order(StringComparer.Ordinal).ToList();
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

            await session.SetChoiceAsync(request.UserId, request.Model, feature.Name, active, now);
            var bumped = await session.UserConfigurationChangedAsync(request.UserId, request.Model, now);
            await events.FeatureChangedAsync(session, clientId, request.UserId, request.Model, feature.Name, active, bumped, now);
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
                RequestId = call.RequestId,
                Detail = previous is null ? $"first recorded choice; catalog default was {(feature.DefaultOn ? "on" : "off")}" : null,
            });
            return WireResult.Success;
        }

        // The rules above, as devicefeatures_set_feature runs them in the database (migration 0013 on PostgreSQL).
        public async ValueTask<WireResult?> HandleInOneStatementAsync(SignedCall call, FeatureRequest request, StoreSession statement)
        {
            var feature = request.Feature!;
            var outcome = await statement.SetFeatureInOneStatementAsync(new SetFeatureCall(
                call.Nonce, call.Partner.ClientId, call.NonceExpiresAt.ToUnixTimeMilliseconds(), request.UserId, request.Model, feature.Name, active,
                feature.Gated, string.Join(",", feature.Markets), feature.DefaultOn, time.GetUtcNow().ToUnixTimeMilliseconds(), call.RequestId,
                active ? AuditKinds.FeatureEnabled : AuditKinds.FeatureDisabled, ChangeEventWriter.NewEventId()));
            switch (outcome.Outcome)
            {
                case DeviceCallStatements.NonceUsed:
                    return null;
                case DeviceCallStatements.UnknownUser:
                    return Refusals.UnknownUser(request.UserId);
                case DeviceCallStatements.Terminated:
                    return Refusals.DevicesTerminated(request.ModelInfo!.Name, request.Model, outcome.Detail!);
                case DeviceCallStatements.NotGranted:
                    return Refusals.FeatureNotGranted(feature.Name);
                case DeviceCallStatements.MarketRestricted:
                    return Refusals.MarketRestricted(feature.Name, string.Join("/", feature.Markets), request.ModelInfo!.Name, outcome.Detail!);
                case DeviceCallStatements.Unchanged:
                    return WireResult.Success;
                case DeviceCallStatements.Changed:
                    if (!string.IsNullOrEmpty(outcome.ChangedDevices))
                    {
                        statement.DevicesChanged(outcome.ChangedDevices.Split(','));
                    }

                    if (outcome.EventWritten)
                    {
                        events.Written(statement);
                    }

                    return WireResult.Success;
                default:
                    throw new InvalidOperationException($"devicefeatures_set_feature answered an unknown outcome: {outcome.Outcome}");
            }
        }
    }

    private sealed class GetHandler(CatalogProvider catalog, TimeProvider time) : IOneStatementHandler<FeatureRequest>
    {
        public (FeatureRequest Parameters, WireResult? Refusal) Read(WireParameters parameters) =>
            FeatureRequest.Read(parameters, catalog.Current, needsFeature: false);

        public async ValueTask<WireResult> HandleAsync(SignedCall call, FeatureRequest request, SignedSession signed)
        {
            var session = signed.Store;
            var user = await session.FindUserAsync(request.UserId);
            if (user is null || user.ClientId != call.Partner.ClientId)
            {
                return Refusals.UnknownUser(request.UserId);
            }

            // The choices recorded for the programme: the partner's for the model, overridden feature by feature by the
            // user's own. Devices that have all left the programme run the defaults: nothing is listed for them.
            var choices = new SortedDictionary<string, bool>(StringComparer.Ordinal);
            var devices = await session.ListUserProgrammeAsync(request.UserId, request.Model);
            if (TerminatedDevices(devices, time.GetUtcNow().ToUnixTimeMilliseconds()) is null)
            {
                foreach (var choice in await session.ListProgrammeChoicesAsync(call.Partner.ClientId, request.Model))
                {
                    choices[choice.FeatureName] = choice.Active;
                }

                foreach (var choice in await session.ListChoicesAsync(request.UserId, request.Model))
                {
                    choices[choice.FeatureName] = choice.Active;
                }
            }

            return Features(choices);
        }

        // The rules above, as devicefeatures_get_features runs them in the database (migration 0013 on PostgreSQL).
        public async ValueTask<WireResult?> HandleInOneStatementAsync(SignedCall call, FeatureRequest request, StoreSession statement)
        {
            var rows = await statement.GetFeaturesInOneStatementAsync(
                call.Nonce, call.Partner.ClientId, call.NonceExpiresAt.ToUnixTimeMilliseconds(), request.UserId, request.Model,
                time.GetUtcNow().ToUnixTimeMilliseconds());
            switch (rows.Count > 0 ? rows[0].Outcome : null)
            {
                case DeviceCallStatements.NonceUsed:
                    return null;
                case DeviceCallStatements.UnknownUser:
                    return Refusals.UnknownUser(request.UserId);
                case DeviceCallStatements.Ok:
                    var choices = new SortedDictionary<string, bool>(StringComparer.Ordinal);
                    foreach (var (_, featureName, active) in rows)
                    {
                        if (featureName is not null)
                        {
                            choices[featureName] = active;
                        }
                    }

                    return Features(choices);
                default:
                    throw new InvalidOperationException($"devicefeatures_get_features answered an unknown outcome: {(rows.Count > 0 ? rows[0].Outcome : "no row")}");
            }
        }

        private static WireResult Features(SortedDictionary<string, bool> choices) =>
            WireResult.Ok(w =>
            {
                w.WriteStartArray("features"u8);
                foreach (var (featureName, active) in choices)
                {
                    w.WriteStartObject();
                    w.WriteString("feature_name"u8, featureName);
                    w.WriteBoolean("active"u8, active);
                    w.WriteEndObject();
                }

                w.WriteEndArray();
            });
    }
}
