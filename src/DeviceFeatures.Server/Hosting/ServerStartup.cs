namespace DeviceFeatures.Server.Hosting;

/// <summary>One capability's part of the start-up: load its configuration or keys, migrate, seed.</summary>
internal interface IStartupStep
{
    Task RunAsync(CancellationToken cancellationToken);
}

/// <summary>One capability's part of the moment the server listens: what it prints for the person who started it.</summary>
internal interface IStartedStep
{
    Task RunAsync(CancellationToken cancellationToken);
}

internal static class StartupStepRegistration
{
    /// <summary>Steps run in the order they are added, so a capability added later may use what earlier ones loaded.</summary>
    public static IServiceCollection AddStartupStep<TStep>(this IServiceCollection services)
        where TStep : class, IStartupStep
    {
        services.AddSingleton<IStartupStep, TStep>();
        return services;
    }

    public static IServiceCollection AddStartedStep<TStep>(this IServiceCollection services)
        where TStep : class, IStartedStep
    {
        services.AddSingleton<IStartedStep, TStep>();
        return services;
    }
}

/// <summary>
/// Runs every capability's start-up step once, in order, before the server accepts requests, then their "started"
/// steps once it listens. The host runs the steps itself before it starts (so that a failure is reported before
/// anything is printed); otherwise, as in the testing package, the hosted service runs them.
/// </summary>
internal sealed class ServerStartup(IEnumerable<IStartupStep> steps, IEnumerable<IStartedStep> started) : IHostedLifecycleService
{
    private readonly Lock _lock = new();
    private Task? _run;

    public Task RunStepsAsync(CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            return _run ??= RunAllAsync(cancellationToken);
        }
    }

    private async Task RunAllAsync(CancellationToken cancellationToken)
    {
        foreach (var step in steps)
        {
            await step.RunAsync(cancellationToken);
        }
    }

    public Task StartingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartAsync(CancellationToken cancellationToken) => RunStepsAsync(cancellationToken);

    public async Task StartedAsync(CancellationToken cancellationToken)
    {
        foreach (var step in started)
        {
            await step.RunAsync(cancellationToken);
        }
    }

    public Task StoppingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
