using DeviceFeatures.Protocol.Admin;
using DeviceFeatures.Server.Admin;
using DeviceFeatures.Server.Emulator.State;

namespace DeviceFeatures.Server.Emulator;

/// <summary>
/// The emulator's part of the admin API, under <c>/admin/api/emulator</c>, behind the admin key like the rest. Every
/// route answers 403 <c>emulator_disabled</c> while <see cref="EmulatorSwitch.Enabled"/> is false.
/// </summary>
internal static class EmulatorEndpoints
{
    public const string Prefix = "/emulator";

    public static IServiceCollection AddEmulator(this IServiceCollection services)
    {
        services.AddOptions<EmulatorOptions>().BindConfiguration(EmulatorOptions.SectionName)
            .Validate(o => o.JournalSize is null or (>= 0 and <= 100_000), "Emulator:JournalSize must be from 0 to 100000.")
            .ValidateOnStart();
        services.AddSingleton<EmulatorSwitch>();
        services.AddState();
        EmulatorClock.Register(services);
        services.AddSingleton<Faults.FaultRegistry>();
        services.AddSingleton<Journal.RequestJournal>();
        return services;
    }

    /// <summary>Called by <see cref="AdminEndpoints.MapAdminEndpoints"/> with its authorised <c>/admin/api</c> group.</summary>
    public static RouteGroupBuilder MapEmulatorEndpoints(this RouteGroupBuilder api)
    {
        var emulator = api.MapGroup(Prefix).AddEndpointFilter(async (context, next) =>
            context.HttpContext.RequestServices.GetRequiredService<EmulatorSwitch>().Enabled
                ? await next(context).ConfigureAwait(false)
                : AdminEndpoints.Problem(Disabled));
        // Each power maps its routes here, one line each.
        emulator.MapState();
        emulator.MapClock();
        Faults.FaultEndpoints.Map(emulator);
        Journal.JournalEndpoints.Map(api); // outside the gate: the journal redacts, and Emulator:JournalSize alone turns it off
        return api;
    }

    internal static readonly AdminError Disabled = new(
        StatusCodes.Status403Forbidden,
        AdminProblemCodes.EmulatorDisabled,
        $"The emulator's powers are off outside Development; set {EmulatorOptions.SectionName}:Enabled=true to turn them on.");
}
