using System.Text.Json;
using DeviceFeatures.Protocol.Admin;
using DeviceFeatures.Server.Admin;
using DeviceFeatures.Server.Audit;

namespace DeviceFeatures.Server.Emulator.State;

/// <summary><c>GET/PUT /admin/api/emulator/snapshot</c> and <c>POST /admin/api/emulator/reset</c>.</summary>
internal static class EmulatorStateEndpoints
{
    public static RouteGroupBuilder MapState(this RouteGroupBuilder emulator)
    {
        emulator.MapGet("/snapshot", SnapshotAsync);
        emulator.MapPut("/snapshot", RestoreAsync).Accepts<EmulatorSnapshot>("application/json");
        emulator.MapPost("/reset", ResetAsync).Accepts<EmulatorResetRequest>("application/json");
        return emulator;
    }

    internal static async Task<IResult> SnapshotAsync(EmulatorStateService state, CancellationToken ct) =>
        TypedResults.Ok(await state.SnapshotAsync(ct).ConfigureAwait(false));

    internal static async Task<IResult> RestoreAsync(HttpContext context, EmulatorStateService state, CancellationToken ct)
    {
        var (snapshot, error) = await ReadAsync(context, AdminJsonContext.Default.EmulatorSnapshot, ct).ConfigureAwait(false);
        if (error is not null)
        {
            return AdminEndpoints.Problem(AdminError.Invalid(error));
        }

        var (result, refused) = await state.RestoreAsync(snapshot, AuditOrigin.Admin(context.TraceIdentifier), AuditKinds.EmulatorRestored, onlyIntoEmpty: false, ct)
            .ConfigureAwait(false);
        return refused is not null ? AdminEndpoints.Problem(refused) : TypedResults.Ok(result);
    }

    internal static async Task<IResult> ResetAsync(HttpContext context, EmulatorStateService state, CancellationToken ct)
    {
        var (request, error) = await ReadAsync(context, AdminJsonContext.Default.EmulatorResetRequest, ct).ConfigureAwait(false);
        if (error is not null)
        {
            return AdminEndpoints.Problem(AdminError.Invalid(error));
        }

        var clientId = string.IsNullOrWhiteSpace(request?.ClientId) ? null : request.ClientId.Trim();
        var (result, refused) = await state.ResetAsync(clientId, AuditOrigin.Admin(context.TraceIdentifier), ct).ConfigureAwait(false);
        return refused is not null ? AdminEndpoints.Problem(refused) : TypedResults.Ok(result);
    }

    /// <summary>
    /// The body, or null when there is none; a body that is not the document is refused with the JSON path of the
    /// member at fault, which model binding would not give.
    /// </summary>
    private static async Task<(T? Value, string? Error)> ReadAsync<T>(
        HttpContext context, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> type, CancellationToken ct)
        where T : class
    {
        using var buffer = new MemoryStream();
        await context.Request.Body.CopyToAsync(buffer, ct).ConfigureAwait(false);
        if (buffer.Length == 0)
        {
            return (null, null);
        }

        buffer.Position = 0;
        try
        {
            return (await JsonSerializer.DeserializeAsync(buffer, type, ct).ConfigureAwait(false), null);
        }
        catch (JsonException e)
        {
            var path = string.IsNullOrEmpty(e.Path) || e.Path == "$" ? "the body" : e.Path.TrimStart('$', '.');
            return (null, $"{path}: not valid here (line {e.LineNumber + 1}); the body must be JSON in the documented shape.");
        }
    }
}
