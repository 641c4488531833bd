using DeviceFeatures.Server.Admin;
using DeviceFeatures.Server.Audit;
using DeviceFeatures.Server.Catalog;
using DeviceFeatures.Server.Partners;
using DeviceFeatures.Server.Storage;
using Microsoft.Extensions.Options;

namespace DeviceFeatures.Server.OperatorConsole;

/// <summary>The operator acting in the console: the name and role of the session, and the request's id for the audit.</summary>
internal readonly record struct ConsoleActor(string Name, string Role, string RequestId)
{
    public AuditOrigin Origin => AuditOrigin.Operator(Name, RequestId);

    public bool MayChangeGrants => Role is OperatorRoles.Administrator or OperatorRoles.CustomerSuccess;
}

/// <summary>The grant requests a page shows: every pending one, and the latest decided ones (<c>HistoryTruncated</c> when there are more).</summary>
internal sealed record GrantRequestList(IReadOnlyList<GrantRequestRow> Pending, IReadOnlyList<GrantRequestRow> History, bool HistoryTruncated);

/// <summary>
/// Gated grants with four eyes: an operator (customer success or administrator) requests a grant of a gated feature
/// for a partner, with a reason; another one approves it, which grants it at once, in the same transaction, through
/// the admin API's own grant (same entitlement, same audit event apart from the actor), or rejects it with a note.
/// </summary>
/// <remarks>
/// The rules live here, not in the page: the requester never decides their own request (checked here and again in
/// the conditional update); a decision names the version it saw, and an edit increments it, so that an approval of
/// something else than what was read is refused; a request expires <see cref="ConsoleOptions.GrantRequestDays"/>
/// after it was made. Reading never writes: a pending request past its expiry is shown expired; it is marked expired
/// (and audited with the actor <c>server</c>) by <see cref="GrantRequestExpiry"/>, or by the first change of that
/// partner's requests that meets it. Every change of a partner's requests takes the partner's row first
/// (<see cref="GrantRequestStatements.LockPartnerForGrantRequestsAsync"/>); the admin API's grants do not.
/// </remarks>
internal sealed class GrantRequests(IFeatureStore store, AdminService admin, CatalogProvider catalog, TimeProvider time, IOptions<ConsoleOptions> options)
{
    public const int MaxReasonLength = 500;
    public const int MaxNoteLength = 500;
    public const int ListLimit = 200;
    public const int HeldLimit = 1000;
    public const int ExpiryBatch = 100;

    public const string NotPendingCode = "grant_request_not_pending";
    public const string ChangedCode = "grant_request_changed";
    public const string OwnRequestCode = "grant_request_own";
    public const string DuplicateCode = "grant_request_duplicate";
    public const string RoleCode = "grant_request_role";
    public const string NotFoundCode = "grant_request_not_found";

    /// <summary>
    /// The pending requests (all of them, the oldest first) and the latest decided ones. Nothing is written: a
    /// pending request past its expiry is returned expired, as the expiry job will mark it.
    /// </summary>
    public async Task<GrantRequestList> ListAsync(CancellationToken cancellationToken)
    {
        var now = Now();
        var (pending, decided) = await store.ReadAsync(async s =>
            (await s.ListPendingGrantRequestsAsync().ConfigureAwait(false), await s.ListDecidedGrantRequestsAsync(ListLimit + 1).ConfigureAwait(false)),
            cancellationToken).ConfigureAwait(false);
        var lapsed = pending.Where(r => r.ExpiresAt <= now).ToArray();
        foreach (var r in lapsed)
        {
            r.State = GrantRequestStates.Expired;
            r.DecidedAt = r.ExpiresAt;
        }

        var history = lapsed.Concat(decided.Take(ListLimit)).OrderByDescending(r => r.DecidedAt ?? r.RequestedAt).ThenByDescending(r => r.Id).ToArray();
        return new GrantRequestList(pending.Where(r => r.ExpiresAt > now).ToArray(), history, decided.Count > ListLimit);
    }

    /// <summary>The grants partners hold now, with the partner's name, at most <see cref="HeldLimit"/>; whether there are more.</summary>
    public async Task<(IReadOnlyList<HeldGrant> Held, bool Truncated)> ListHeldAsync(CancellationToken cancellationToken)
    {
        var held = await store.ReadAsync(s => s.ListHeldGrantsAsync(HeldLimit + 1), cancellationToken).ConfigureAwait(false);
        return (held.Take(HeldLimit).ToArray(), held.Count > HeldLimit);
    }

    /// <summary>
    /// One pass of the expiry: marks expired (actor <c>server</c>) the pending requests whose time has passed, a batch of
    /// partners at a time, each partner in its own transaction under its lock; the number marked.
    /// </summary>
    public async Task<int> ExpireDueAsync(string requestId, CancellationToken cancellationToken)
    {
        var now = Now();
        var origin = AuditOrigin.Server(requestId);
        var marked = 0;
        while (true)
        {
            var partners = await store.ReadAsync(s => s.FindPartnersWithDueGrantRequestsAsync(now, ExpiryBatch), cancellationToken).ConfigureAwait(false);
            var inBatch = 0;
            foreach (var clientId in partners)
            {
                inBatch += await store.WriteAsync(async s =>
                    await s.LockPartnerForGrantRequestsAsync(clientId).ConfigureAwait(false) ? await ExpireDueAsync(s, clientId, origin, now).ConfigureAwait(false) : 0,
                    cancellationToken).ConfigureAwait(false);
            }

            marked += inBatch;
            if (partners.Count < ExpiryBatch || inBatch == 0)
            {
                return marked;
            }
        }
    }

    /// <summary>The gated features of the catalog: the only ones a request may name.</summary>
    public IReadOnlyList<string> GatedFeatures => catalog.Current.Features.Where(f => f.Gated).Select(f => f.Name).ToArray();

    public async Task<(long? Id, AdminError? Error)> RequestAsync(
        ConsoleActor by, string? clientId, string? featureName, string? reason, CancellationToken cancellationToken)
    {
        clientId = clientId?.Trim();
        featureName = featureName?.Trim();
        reason = Clean(reason);
        if (Refuse(by) is { } refused)
        {
            return (null, refused);
        }

        if (string.IsNullOrEmpty(clientId))
        {
            return (null, AdminError.Invalid("Choose the partner the grant is for."));
        }

        if ((CheckFeature(featureName) ?? CheckReason(reason)) is { } invalid)
        {
            return (null, invalid);
        }

        var now = Now();
        var expiresAt = now + (options.Value.GrantRequestDays * 86_400_000L);
        return await store.WriteAsync<(long?, AdminError?)>(async s =>
        {
            if (!await s.LockPartnerForGrantRequestsAsync(clientId).ConfigureAwait(false))
            {
                return (null, AdminError.PartnerNotFound(clientId));
            }

            await ExpireDueAsync(s, clientId, Noticed(by), now).ConfigureAwait(false);
            if (await CheckFreeAsync(s, clientId, featureName!, null).ConfigureAwait(false) is { } taken)
            {
                return (null, taken);
            }

            var row = new GrantRequestRow
            {
                ClientId = clientId,
                FeatureName = featureName!,
                Reason = reason!,
                RequestedBy = by.Name,
                RequestedAt = now,
                ExpiresAt = expiresAt,
            };
            var id = await s.InsertGrantRequestAsync(row).ConfigureAwait(false);
            await s.AppendAuditAsync(Event(AuditKinds.GrantRequested, row, by.Origin, now, $"request #{id}: {reason}")).ConfigureAwait(false);
            return (id, null);
        }, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// The requester changes the feature or the reason of their pending request: a new version, which a decision
    /// must name, so that whoever read the previous one reads it again before approving. An edit that changes
    /// nothing writes nothing (<c>Changed</c> false): the version stays, and an approver's reading stays good.
    /// </summary>
    public async Task<(bool Changed, AdminError? Error)> EditAsync(
        ConsoleActor by, long id, long version, string? featureName, string? reason, CancellationToken cancellationToken)
    {
        featureName = featureName?.Trim();
        reason = Clean(reason);
        if ((Refuse(by) ?? CheckFeature(featureName) ?? CheckReason(reason)) is { } invalid)
        {
            return (false, invalid);
        }

        var now = Now();
        return await store.WriteAsync<(bool, AdminError?)>(async s =>
        {
            if (await s.FindGrantRequestAsync(id).ConfigureAwait(false) is not { } before)
            {
                return (false, NotFound(id));
            }

            await s.LockPartnerForGrantRequestsAsync(before.ClientId).ConfigureAwait(false);
            await ExpireDueAsync(s, before.ClientId, Noticed(by), now).ConfigureAwait(false);
            var current = (await s.FindGrantRequestAsync(id).ConfigureAwait(false))!;
            if (current.RequestedBy != by.Name)
            {
                return (false, new AdminError(StatusCodes.Status403Forbidden, OwnRequestCode,
                    $"Only {current.RequestedBy}, who made request #{id}, may edit it."));
            }

            if (current.State != GrantRequestStates.Pending)
            {
                return (false, NotPending(current));
            }

            if (current.Version != version)
            {
                return (false, new AdminError(StatusCodes.Status409Conflict, ChangedCode,
                    $"Request #{id} was changed since this form was opened (version {current.Version} now, the form had version {version}): open the Grants page again and edit the current version."));
            }

            if (featureName == current.FeatureName && reason == current.Reason)
            {
                return (false, null);
            }

            if (featureName != current.FeatureName && await CheckFreeAsync(s, current.ClientId, featureName!, id).ConfigureAwait(false) is { } taken)
            {
                return (false, taken);
            }

            if (await s.EditGrantRequestAsync(id, version, by.Name, featureName!, reason!, now).ConfigureAwait(false) == 0)
            {
                return (false, Changed(id));
            }

            var change = featureName == current.FeatureName ? "" : $" (was {current.FeatureName})";
            var edited = new GrantRequestRow { ClientId = current.ClientId, FeatureName = featureName! };
            await s.AppendAuditAsync(Event(AuditKinds.GrantRequestEdited, edited, by.Origin, now,
                $"request #{id}, version {version + 1}{change}: {reason}")).ConfigureAwait(false);
            return (true, null);
        }, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Another operator approves the version they read: the request is approved and the grant made in one
    /// transaction, with the admin API's grant and its audit event.
    /// </summary>
    public Task<AdminError?> ApproveAsync(ConsoleActor by, long id, long version, string? note, CancellationToken cancellationToken) =>
        DecideAsync(by, id, version, GrantRequestStates.Approved, note, cancellationToken);

    /// <summary>Another operator rejects the version they read, with a note saying why.</summary>
    public Task<AdminError?> RejectAsync(ConsoleActor by, long id, long version, string? note, CancellationToken cancellationToken) =>
        DecideAsync(by, id, version, GrantRequestStates.Rejected, note, cancellationToken);

    /// <summary>The requester takes their pending request back.</summary>
    public async Task<AdminError?> WithdrawAsync(ConsoleActor by, long id, CancellationToken cancellationToken)
    {
        if (Refuse(by) is { } refused)
        {
            return refused;
        }

        var now = Now();
        return await store.WriteAsync(async s =>
        {
            if (await s.FindGrantRequestAsync(id).ConfigureAwait(false) is not { } before)
            {
                return NotFound(id);
            }

            // Like an edit or a decision: the partner first, then the request as it is under that lock.
            await s.LockPartnerForGrantRequestsAsync(before.ClientId).ConfigureAwait(false);
            await ExpireDueAsync(s, before.ClientId, Noticed(by), now).ConfigureAwait(false);
            var current = (await s.FindGrantRequestAsync(id).ConfigureAwait(false))!;
            if (current.RequestedBy != by.Name)
            {
                return new AdminError(StatusCodes.Status403Forbidden, OwnRequestCode,
                    $"Only {current.RequestedBy}, who made request #{id}, may withdraw it; reject it instead.");
            }

            if (current.State != GrantRequestStates.Pending || await s.WithdrawGrantRequestAsync(id, by.Name, now).ConfigureAwait(false) == 0)
            {
                return NotPending((await s.FindGrantRequestAsync(id).ConfigureAwait(false))!);
            }

            await s.AppendAuditAsync(Event(AuditKinds.GrantRequestWithdrawn, current, by.Origin, now, $"request #{id}")).ConfigureAwait(false);
            return null;
        }, cancellationToken).ConfigureAwait(false);
    }

    private async Task<AdminError?> DecideAsync(ConsoleActor by, long id, long version, string state, string? note, CancellationToken cancellationToken)
    {
        note = Clean(note);
        note = string.IsNullOrEmpty(note) ? null : note;
        if (Refuse(by) is { } refused)
        {
            return refused;
        }

        if (state == GrantRequestStates.Rejected && note is null)
        {
            return AdminError.Invalid("Say why the request is rejected: the note is required.");
        }

        if (note is { Length: > MaxNoteLength })
        {
            return AdminError.Invalid($"The note is at most {MaxNoteLength} characters.");
        }

        var now = Now();
        try
        {
            return await store.WriteAsync(s => DecideAsync(s, by, id, version, state, note, now), cancellationToken).ConfigureAwait(false);
        }
        catch (HeldMeanwhileException held)
        {
            return held.Error;
        }
    }

    private async Task<AdminError?> DecideAsync(StoreSession s, ConsoleActor by, long id, long version, string state, string? note, long now)
    {
        if (await s.FindGrantRequestAsync(id).ConfigureAwait(false) is not { } before)
        {
            return NotFound(id);
        }

        // The partner first, as every change of its requests takes it (not the admin API's grants: see below).
        await s.LockPartnerForGrantRequestsAsync(before.ClientId).ConfigureAwait(false);
        await ExpireDueAsync(s, before.ClientId, Noticed(by), now).ConfigureAwait(false);
        var current = (await s.FindGrantRequestAsync(id).ConfigureAwait(false))!;
        if (current.RequestedBy == by.Name)
        {
            return new AdminError(StatusCodes.Status403Forbidden, OwnRequestCode,
                $"You made request #{id}: another operator must {(state == GrantRequestStates.Approved ? "approve" : "reject")} it (four eyes). You may edit or withdraw it.");
        }

        if (Undecidable(current, version) is { } stale)
        {
            return stale;
        }

        if (state == GrantRequestStates.Approved && admin.CheckGated(current.FeatureName) is { } gone)
        {
            return gone;
        }

        // Granted since the request was made (the admin API grants without a request): approving would grant nothing,
        // so the request stays pending for a person to withdraw or reject, rather than reading "approved" with no grant.
        if (state == GrantRequestStates.Approved && await s.HasEntitlementAsync(current.ClientId, current.FeatureName).ConfigureAwait(false))
        {
            return AlreadyHeld(current);
        }

        if (await s.DecideGrantRequestAsync(id, version, state, by.Name, note, now).ConfigureAwait(false) == 0)
        {
            return Changed(id);
        }

        var detail = $"request #{id} by {current.RequestedBy}, version {version}" + (note is null ? "" : $": {note}");
        await s.AppendAuditAsync(Event(state == GrantRequestStates.Approved ? AuditKinds.GrantRequestApproved : AuditKinds.GrantRequestRejected,
            current, by.Origin, now, detail)).ConfigureAwait(false);
        if (state == GrantRequestStates.Approved)
        {
            // The admin API does not take the partner's lock: a grant it commits after the check above leaves nothing
            // to add. Throwing rolls the approval back, and the operator is told as if the check had seen it.
            switch (await AdminService.AddGrantAsync(s, current.ClientId, current.FeatureName, by.Origin, now).ConfigureAwait(false))
            {
                case null:
                    throw new InvalidOperationException($"Partner '{current.ClientId}' was locked above, yet is gone.");
                case false:
                    throw new HeldMeanwhileException(AlreadyHeld(current));
            }
        }

        return null;
    }

    private static AdminError AlreadyHeld(GrantRequestRow request) => new(StatusCodes.Status409Conflict, DuplicateCode,
        $"{request.PartnerName} already holds a grant of {request.FeatureName} (granted since request #{request.Id} was made, such as through the admin API): "
        + "approving it would grant nothing. The request stays pending: its requester may withdraw it, or another operator reject it.");

    // Rolls an approval back when the grant turns out to be held already.
    private sealed class HeldMeanwhileException(AdminError error) : Exception(error.Detail)
    {
        public AdminError Error { get; } = error;
    }

    /// <summary>Marks expired (and audits) the partner's pending requests whose time has passed; the caller holds its lock.</summary>
    private static async Task<int> ExpireDueAsync(StoreSession s, string clientId, AuditOrigin noticedBy, long now)
    {
        var expired = 0;
        foreach (var id in await s.FindDueGrantRequestsAsync(clientId, now).ConfigureAwait(false))
        {
            if (await s.ExpireGrantRequestAsync(id, now).ConfigureAwait(false) == 1 && await s.FindGrantRequestAsync(id).ConfigureAwait(false) is { } row)
            {
                await s.AppendAuditAsync(Event(AuditKinds.GrantRequestExpired, row, noticedBy, now,
                    $"request #{id} by {row.RequestedBy} expired unapproved at {DateTimeOffset.FromUnixTimeMilliseconds(row.ExpiresAt):yyyy-MM-dd HH:mm} UTC")).ConfigureAwait(false);
                expired++;
            }
        }

        return expired;
    }

    private static async Task<AdminError?> CheckFreeAsync(StoreSession s, string clientId, string featureName, long? except)
    {
        if (await s.HasEntitlementAsync(clientId, featureName).ConfigureAwait(false))
        {
            return new AdminError(StatusCodes.Status409Conflict, DuplicateCode, $"The partner already holds a grant of {featureName}.");
        }

        return await s.FindPendingGrantRequestAsync(clientId, featureName).ConfigureAwait(false) is { } pending && pending != except
            ? new AdminError(StatusCodes.Status409Conflict, DuplicateCode,
                $"Request #{pending} for {featureName} to this partner is already pending: approve, reject or edit that one.")
            : null;
    }

    private static AdminError? Refuse(ConsoleActor by) => by.MayChangeGrants
        ? null
        : new AdminError(StatusCodes.Status403Forbidden, RoleCode, "Only customer success and administrators request and decide grants.");

    private AdminError? CheckFeature(string? featureName) => string.IsNullOrEmpty(featureName)
        ? AdminError.Invalid("Choose the gated feature to grant.")
        : admin.CheckGated(featureName);

    private static AdminError? CheckReason(string? reason) => string.IsNullOrEmpty(reason) || reason.Length > MaxReasonLength
        ? AdminError.Invalid($"Give the reason for the grant (1 to {MaxReasonLength} characters): the approver decides on it.")
        : null;

    // Why a request cannot be decided on the version the operator saw.
    private static AdminError? Undecidable(GrantRequestRow current, long version) =>
        current.State != GrantRequestStates.Pending ? NotPending(current)
        : current.Version != version ? new AdminError(StatusCodes.Status409Conflict, ChangedCode,
            $"Request #{current.Id} was edited since you opened it (version {current.Version} now, you saw {version}): read it again before deciding.")
        : null;

    private static AdminError NotPending(GrantRequestRow current) => new(StatusCodes.Status409Conflict, NotPendingCode, current.State switch
    {
        GrantRequestStates.Expired => $"Request #{current.Id} expired on {DateTimeOffset.FromUnixTimeMilliseconds(current.ExpiresAt):yyyy-MM-dd HH:mm} UTC: it can no longer be approved; request the grant again.",
        GrantRequestStates.Withdrawn => $"Request #{current.Id} was withdrawn by {current.DecidedBy}.",
        _ => $"Request #{current.Id} was already {current.State} by {current.DecidedBy}.",
    });

    private static AdminError Changed(long id) => new(StatusCodes.Status409Conflict, ChangedCode,
        $"Request #{id} changed while you were deciding (another operator acted first): read it again.");

    private static AdminError NotFound(long id) => new(StatusCodes.Status404NotFound, NotFoundCode, $"There is no grant request #{id}.");

    private static AuditRow Event(string kind, GrantRequestRow request, AuditOrigin origin, long now, string detail) => new()
    {
        OccurredAt = now,
        Kind = kind,
        Actor = origin.Actor,
        ClientId = request.ClientId,
        FeatureName = request.FeatureName,
        RequestId = origin.RequestId,
        Detail = detail,
    };

    // A request found expired by an operator's change is marked by the rule, not by them: the actor is the server.
    private static AuditOrigin Noticed(ConsoleActor by) => AuditOrigin.Server(by.RequestId);

    // Browsers send a textarea's line breaks as CRLF: stored as LF, so that the length counted is what was typed.
    private static string? Clean(string? text) => text?.ReplaceLineEndings("\n").Trim();

    private long Now() => time.GetUtcNow().ToUnixTimeMilliseconds();
}
