using DeviceFeatures.Protocol.Admin;
using DeviceFeatures.Server.Admin;

namespace DeviceFeatures.Server.Emulator.Faults;

/// <summary><c>/admin/api/emulator/faults</c>: the fault rules of this instance (in the emulator's gated group).</summary>
internal static class FaultEndpoints
{
    public static void Map(RouteGroupBuilder emulator)
    {
        var faults = emulator.MapGroup("/faults");
        faults.MapGet("/", List).Produces<FaultRuleList>();
        faults.MapPost("/", Add).Produces<FaultRule>(StatusCodes.Status201Created);
        faults.MapDelete("/", Clear).Produces(StatusCodes.Status204NoContent);
        faults.MapDelete("/{id}", Remove).Produces(StatusCodes.Status204NoContent);
    }

    internal static IResult List(FaultRegistry registry) => TypedResults.Ok(new FaultRuleList(registry.List()));

    internal static IResult Add(FaultRuleRequest? request, FaultRegistry registry)
    {
        var (rule, error) = registry.Add(request);
        return error is not null ? AdminEndpoints.Problem(error) : TypedResults.Created($"/admin/api/emulator/faults/{rule!.Id}", rule);
    }

    internal static IResult Clear(FaultRegistry registry)
    {
        registry.Clear();
        return TypedResults.NoContent();
    }

    internal static IResult Remove(string id, FaultRegistry registry) =>
        registry.Remove(id)
            ? TypedResults.NoContent()
            : AdminEndpoints.Problem(new AdminError(StatusCodes.Status404NotFound, AdminProblemCodes.FaultNotFound, $"No fault rule has id '{id}'."));
}
