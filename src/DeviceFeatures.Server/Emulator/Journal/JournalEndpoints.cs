using System.Globalization;
using DeviceFeatures.Protocol.Admin;
using DeviceFeatures.Server.Admin;
using DeviceFeatures.Server.OpenApi;
using Microsoft.OpenApi;

namespace DeviceFeatures.Server.Emulator.Journal;

/// <summary>
/// <c>/admin/api/emulator/journal</c>: the request journal. Behind the admin key like every admin route, but outside the
/// emulator's gate: it only reads what was asked and answered, with secrets redacted, so it works in every
/// environment; <c>Emulator:JournalSize=0</c> turns it off.
/// </summary>
internal static class JournalEndpoints
{
    public const int DefaultLimit = 100;

    public static void Map(RouteGroupBuilder api)
    {
        var journal = api.MapGroup(EmulatorEndpoints.Prefix + "/journal");
        journal.MapGet("/", Read).Produces<JournalPage>().WithQuery(
            ("client_id", JsonSchemaType.String, "Only requests carrying this client_id."),
            ("action", JsonSchemaType.String, "Only this action, e.g. enablefeature."),
            ("status", JsonSchemaType.Integer, "Only answers with this Withings status, e.g. 101."),
            ("since", JsonSchemaType.String, "Only requests that arrived at or after this time (ISO 8601)."),
            ("after", JsonSchemaType.Integer, "Only entries recorded after this sequence (the next_after of the previous read), oldest first."),
            ("limit", JsonSchemaType.Integer, $"At most this many entries, 1 to {RequestJournal.MaxPage} ({DefaultLimit} by default)."));
        journal.MapDelete("/", Clear).Produces(StatusCodes.Status204NoContent)
            .WithQuery(("client_id", JsonSchemaType.String, "Only this partner's entries; all when left out."));
    }

    internal static IResult Read(HttpRequest request, RequestJournal journal)
    {
        var (query, error) = ParseQuery(request.Query);
        if (error is not null)
        {
            return AdminEndpoints.Problem(error);
        }

        var entries = journal.Query(query!);
        var nextAfter = entries.Count > 0 ? entries[^1].Sequence : query!.After ?? 0;
        return TypedResults.Ok(new JournalPage(entries, nextAfter, journal.Size));
    }

    internal static IResult Clear(HttpRequest request, RequestJournal journal)
    {
        journal.Clear(request.Query["client_id"].FirstOrDefault() is { Length: > 0 } clientId ? clientId : null);
        return TypedResults.NoContent();
    }

    internal static (JournalQuery? Query, AdminError? Error) ParseQuery(IQueryCollection q)
    {
        var clientId = q["client_id"].FirstOrDefault() is { Length: > 0 } c ? c : null;
        var action = q["action"].FirstOrDefault() is { Length: > 0 } a ? a : null;

        int? status = null;
        if (q["status"].FirstOrDefault() is { Length: > 0 } s)
        {
            if (!int.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out var value))
            {
                return (null, AdminError.Invalid("'status' must be a Withings status, e.g. 101 or 601."));
            }

            status = value;
        }

        DateTimeOffset? since = null;
        if (q["since"].FirstOrDefault() is { Length: > 0 } t)
        {
            if (!DateTimeOffset.TryParse(t, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at))
            {
                return (null, AdminError.Invalid("'since' must be an ISO 8601 time, e.g. 2026-11-24T09:00:00Z."));
            }

            since = at;
        }

        long? after = null;
        if (q["after"].FirstOrDefault() is { Length: > 0 } f)
        {
            if (!long.TryParse(f, NumberStyles.None, CultureInfo.InvariantCulture, out var value))
            {
                return (null, AdminError.Invalid("'after' must be the sequence of an entry (the next_after of the previous read)."));
            }

            after = value;
        }

        var limit = DefaultLimit;
        if (q["limit"].FirstOrDefault() is { Length: > 0 } l
            && (!int.TryParse(l, NumberStyles.None, CultureInfo.InvariantCulture, out limit) || limit < 1 || limit > RequestJournal.MaxPage))
        {
            return (null, AdminError.Invalid($"'limit' must be a whole number from 1 to {RequestJournal.MaxPage}."));
        }

        return (new JournalQuery(clientId, action, status, since, after, limit), null);
    }
}
