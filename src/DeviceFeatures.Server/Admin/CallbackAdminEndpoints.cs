using System.Globalization;
using DeviceFeatures.Protocol.Admin;
using DeviceFeatures.Server.OpenApi;
using Microsoft.AspNetCore.Mvc;
using Microsoft.OpenApi;

namespace DeviceFeatures.Server.Admin;

/// <summary>The admin API's routes for partners' callback URLs and their change events.</summary>
internal static class CallbackAdminEndpoints
{
    public static void Map(RouteGroupBuilder api, RouteGroupBuilder partners)
    {
        partners.MapPut("/{clientId}/callback", SetCallbackAsync).Produces<Partner>();
        partners.MapDelete("/{clientId}/callback", ClearCallbackAsync).Produces<Partner>();

        var events = api.MapGroup("/events");
        events.MapGet("/", ListEventsAsync).Produces<ChangeEventPage>().WithQuery(
            ("client_id", JsonSchemaType.String, "Only this partner's events."),
            ("state", JsonSchemaType.String, "Only events in this delivery state."),
            ("after", JsonSchemaType.String, "The next_after of the previous page."),
            ("limit", JsonSchemaType.Integer, $"At most this many events, 1 to {AdminService.MaxEventPage} (100 by default)."));
        events.MapPost("/{eventId}/replay", ReplayAsync).Produces<ChangeEvent>();
    }

    internal static async Task<IResult> SetCallbackAsync(
        string clientId, [FromBody] CallbackRequest? request, AdminService admin, HttpContext context, CancellationToken ct)
    {
        if (string.IsNullOrWhiteSpace(request?.Url))
        {
            return AdminEndpoints.Problem(AdminError.Invalid("The body must be {\"url\": \"https://...\"}; DELETE clears the callback URL."));
        }

        return Answer(await admin.SetCallbackAsync(clientId, request.Url, AuditOrigin.Admin(context.TraceIdentifier), ct));
    }

    internal static async Task<IResult> ClearCallbackAsync(string clientId, AdminService admin, HttpContext context, CancellationToken ct) =>
        Answer(await admin.SetCallbackAsync(clientId, null, AuditOrigin.Admin(context.TraceIdentifier), ct));

    internal static async Task<IResult> ListEventsAsync(HttpRequest request, AdminService admin, CancellationToken ct)
    {
        var q = request.Query;
        var limit = 100;
        if (q["limit"].FirstOrDefault() is { Length: > 0 } l && !int.TryParse(l, NumberStyles.None, CultureInfo.InvariantCulture, out limit))
        {
            return AdminEndpoints.Problem(AdminError.Invalid($"'limit' must be a whole number from 1 to {AdminService.MaxEventPage}."));
        }

        return Answer(await admin.ListEventsAsync(
            q["client_id"].FirstOrDefault() is { Length: > 0 } c ? c : null,
            q["state"].FirstOrDefault() is { Length: > 0 } s ? s : null,
            q["after"].FirstOrDefault() is { Length: > 0 } a ? a : null,
            limit, ct));
    }

    internal static async Task<IResult> ReplayAsync(string eventId, AdminService admin, HttpContext context, CancellationToken ct) =>
        Answer(await admin.ReplayEventAsync(eventId, AuditOrigin.Admin(context.TraceIdentifier), ct));

    private static IResult Answer<T>((T? Value, AdminError? Error) outcome) =>
        outcome.Error is not null ? AdminEndpoints.Problem(outcome.Error) : TypedResults.Ok(outcome.Value);
}
