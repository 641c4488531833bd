using DeviceFeatures.Protocol.Admin;
using DeviceFeatures.Server.OperatorConsole;
using Microsoft.AspNetCore.Mvc;

namespace DeviceFeatures.Server.Admin;

/// <summary>
/// <c>/admin/api/operators/...</c>: the console's accounts, read and changed with the admin key (creation is in
/// <see cref="AdminEndpoints"/>). The console's Operators page runs the same <see cref="OperatorAccounts"/> methods.
/// </summary>
internal static class OperatorAdminEndpoints
{
    public static void Map(RouteGroupBuilder operators)
    {
        operators.MapGet("/", ListAsync).Produces<OperatorList>();
        operators.MapGet("/{name}", GetAsync).Produces<OperatorAccount>();
        operators.MapPatch("/{name}", UpdateAsync).Produces<OperatorAccount>();
        operators.MapPost("/{name}/unlock", UnlockAsync).Produces<OperatorAccount>();
        operators.MapPost("/{name}/reset-password", ResetPasswordAsync).Produces<OperatorPassword>();
        operators.MapDelete("/{name}", DeleteAsync).Produces(StatusCodes.Status204NoContent);
    }

    internal static async Task<IResult> ListAsync(OperatorAccounts accounts, CancellationToken ct) =>
        TypedResults.Ok(new OperatorList((await accounts.ListAsync(ct)).Select(OperatorAccounts.ToResponse).ToArray()));

    internal static async Task<IResult> GetAsync(string name, OperatorAccounts accounts, CancellationToken ct) =>
        Answer(await accounts.GetAsync(name, ct));

    internal static async Task<IResult> UpdateAsync(
        string name, UpdateOperatorRequest? request, OperatorAccounts accounts, HttpContext context, CancellationToken ct) =>
        Answer(await accounts.UpdateAsync(name, request?.Role, request?.Disabled, AuditOrigin.Admin(context.TraceIdentifier), ct));

    internal static async Task<IResult> UnlockAsync(string name, OperatorAccounts accounts, HttpContext context, CancellationToken ct) =>
        Answer(await accounts.UnlockAsync(name, AuditOrigin.Admin(context.TraceIdentifier), ct));

    internal static async Task<IResult> ResetPasswordAsync(
        string name, [FromBody] ResetPasswordRequest? request, OperatorAccounts accounts, HttpContext context, CancellationToken ct)
    {
        var (password, error) = await accounts.ResetPasswordAsync(name, request?.Password, AuditOrigin.Admin(context.TraceIdentifier), ct);
        return error is not null ? AdminEndpoints.Problem(error) : TypedResults.Ok(password);
    }

    internal static async Task<IResult> DeleteAsync(string name, OperatorAccounts accounts, HttpContext context, CancellationToken ct) =>
        await accounts.DeleteAsync(name, AuditOrigin.Admin(context.TraceIdentifier), ct) is { } error ? AdminEndpoints.Problem(error) : TypedResults.NoContent();

    private static IResult Answer((OperatorRow? Row, AdminError? Error) outcome) =>
        outcome.Error is not null ? AdminEndpoints.Problem(outcome.Error) : TypedResults.Ok(OperatorAccounts.ToResponse(outcome.Row!));
}
