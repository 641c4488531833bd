using System.Text.Json;
using DeviceFeatures.Protocol.Admin;
using DeviceFeatures.Server.Audit;
using DeviceFeatures.Server.ChangeEvents;
using DeviceFeatures.Server.Partners;

namespace DeviceFeatures.Server.Admin;

/// <summary>Partners' callback URLs and their change events: list, and replay of the parked ones (docs/admin-api.md).</summary>
internal sealed partial class AdminService
{
    public const int MaxCallbackUrlLength = 2000;
    public const int MaxEventPage = 1000;

    /// <summary>
    /// Sets the partner's callback URL, or with null clears it. Clearing parks the partner's pending events in the same
    /// transaction: nothing is sent to a URL the partner withdrew, and an operator can replay them once a new one is set.
    /// </summary>
    public async Task<(Partner? Partner, AdminError? Error)> SetCallbackAsync(string clientId, string? url, AuditOrigin origin, CancellationToken cancellationToken)
    {
        if (url is not null)
        {
            url = url.Trim();
            if (url.Length > MaxCallbackUrlLength || !Uri.TryCreate(url, UriKind.Absolute, out var uri)
                || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps) || uri.UserInfo.Length > 0 || uri.Fragment.Length > 0)
            {
                return (null, AdminError.Invalid(
                    $"'url' must be an absolute http or https URL of at most {MaxCallbackUrlLength} characters, without user information or fragment, e.g. https://partner.example/devicefeatures/events."));
            }
        }

        var now = Now();
        var partner = await store.WriteAsync(async s =>
        {
            if (await s.SetPartnerCallbackUrlAsync(clientId, url, now) == 1)
            {
                var parked = url is null ? await s.ParkPendingChangeEventsAsync(clientId, "the callback URL was cleared") : 0;
                await s.AppendAuditAsync(Event(url is null ? AuditKinds.PartnerCallbackCleared : AuditKinds.PartnerCallbackSet, clientId, origin, now,
                    detail: url is null ? $"{parked} pending event(s) parked" : CallbackHost(url)));
            }

            return await s.FindPartnerAsync(clientId);
        }, cancellationToken);
        return partner is null ? (null, AdminError.PartnerNotFound(clientId)) : (ToResponse(partner), null);
    }

    public async Task<(ChangeEventPage? Page, AdminError? Error)> ListEventsAsync(
        string? clientId, string? state, string? after, int limit, CancellationToken cancellationToken)
    {
        if (state is not null and not (ChangeEventStates.Pending or ChangeEventStates.Delivered or ChangeEventStates.Parked))
        {
            return (null, AdminError.Invalid("'state' must be pending, delivered or parked."));
        }

        if (limit is < 1 or > MaxEventPage)
        {
            return (null, AdminError.Invalid($"'limit' must be a whole number from 1 to {MaxEventPage}."));
        }

        var (partner, known, rows) = await store.ReadAsync(async s => (
            clientId is null ? null : await s.FindPartnerAsync(clientId),
            after is null || await s.FindChangeEventAsync(after) is not null,
            await s.ListChangeEventsAsync(clientId, state, after, limit)), cancellationToken);
        if (clientId is not null && partner is null)
        {
            return (null, AdminError.PartnerNotFound(clientId));
        }

        // An unknown cursor would read as an empty last page: a walk that lost its place must hear it.
        if (!known)
        {
            return (null, new AdminError(StatusCodes.Status404NotFound, AdminProblemCodes.AfterNotFound,
                $"'after' must be the event_id of an event (the next_after of the previous page); no change event has id '{after}'."));
        }

        return (new ChangeEventPage(rows.Select(ToResponse).ToArray(), rows.Count == limit ? rows[^1].EventId : null), null);
    }

    /// <summary>Makes a parked event pending again, due now, with its attempts reset; the dispatcher is woken once it has committed.</summary>
    public async Task<(ChangeEvent? Event, AdminError? Error)> ReplayEventAsync(string eventId, AuditOrigin origin, CancellationToken cancellationToken)
    {
        var now = Now();
        return await store.WriteAsync<(ChangeEvent?, AdminError?)>(async s =>
        {
            if (await s.FindChangeEventAsync(eventId) is not { } found)
            {
                return (null, new AdminError(StatusCodes.Status404NotFound, AdminProblemCodes.EventNotFound, $"No change event has id '{eventId}'."));
            }

            if (found.State != ChangeEventStates.Parked)
            {
                return (null, new AdminError(StatusCodes.Status409Conflict, AdminProblemCodes.EventNotParked,
                    $"The event {eventId} is {found.State}: only a parked event can be replayed."));
            }

            if (await s.FindPartnerAsync(found.ClientId) is not { CallbackUrl: not null })
            {
                return (null, new AdminError(StatusCodes.Status409Conflict, AdminProblemCodes.CallbackNotSet,
                    $"The partner {found.ClientId} has no callback URL: set one first (PUT /admin/api/partners/{found.ClientId}/callback)."));
            }

            await s.ReplayChangeEventAsync(eventId, now);
            await s.AppendAuditAsync(Event(AuditKinds.ChangeEventReplayed, found.ClientId, origin, now, userId: found.UserId, model: found.Model,
                featureName: found.FeatureName, detail: $"{found.Type} {eventId} after {found.Attempts} attempt(s): {found.LastError}"));
            s.AfterCommit(changeEvents.Wake);
            return (ToResponse((await s.FindChangeEventAsync(eventId))!), null);
        }, cancellationToken);
    }

    private static string CallbackHost(string url) => new Uri(url).GetLeftPart(UriPartial.Authority);

    private static ChangeEvent ToResponse(ChangeEventRow e) => new(
        e.EventId, e.ClientId, e.Type, e.UserId, e.Model, e.FeatureName, e.Active, e.MacAddress, e.Version, e.Reason,
        e.Devices is null ? null : JsonSerializer.Deserialize(e.Devices, AdminJsonContext.Default.IReadOnlyListChangeEventDevice),
        At(e.CreatedAt), e.State, e.Attempts, e.State == ChangeEventStates.Pending ? At(e.NextAttemptAt) : null, e.LastError,
        e.DeliveredAt is { } d ? At(d) : null);
}
