using System.Text.Json;
using DeviceFeatures.Protocol.Admin;
using DeviceFeatures.Server.Admin;
using DeviceFeatures.Server.Audit;
using DeviceFeatures.Server.Hosting;
using DeviceFeatures.Server.Partners;
using DeviceFeatures.Server.Storage;
using Microsoft.Extensions.Options;

namespace DeviceFeatures.Server.Emulator.State;

/// <summary>Section <c>Seed</c>: a fixture loaded at start into an empty database.</summary>
internal sealed class SeedOptions
{
    public const string SectionName = "Seed";

    /// <summary>A snapshot document (docs/emulator.md, "State"); loaded when the database has no partner yet.</summary>
    public string? Path { get; set; }
}

/// <summary>
/// Loads <c>Seed:Path</c> when the database has no partner, as one restore, so that a partner's CI starts the server
/// with the partners, users, devices and choices its tests expect. A file that cannot be read or is not a valid
/// document stops the start with its name and the member at fault. A seed file takes the place of the demo partner.
/// Not governed by <c>Emulator:Enabled</c>: whoever sets the path means it.
/// </summary>
internal sealed partial class SeedStep(
    IOptions<SeedOptions> options,
    IFeatureStore store,
    EmulatorStateService state,
    ILogger<SeedStep> logger,
    TextWriter console) : IStartupStep, IStartedStep
{
    private string? _summary;

    async Task IStartupStep.RunAsync(CancellationToken cancellationToken)
    {
        if (options.Value.Path is not { Length: > 0 } path)
        {
            return;
        }

        if (await store.ReadAsync(s => s.CountPartnersAsync(), cancellationToken).ConfigureAwait(false) > 0)
        {
            LogSkipped(path);
            return;
        }

        var full = System.IO.Path.GetFullPath(path);
        EmulatorSnapshot? snapshot;
        try
        {
            await using var file = File.OpenRead(full);
            snapshot = await JsonSerializer.DeserializeAsync(file, AdminJsonContext.Default.EmulatorSnapshot, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw Failure($"Seed:Path {full} cannot be read: {e.Message}", e);
        }
        catch (JsonException e)
        {
            var member = string.IsNullOrEmpty(e.Path) || e.Path == "$" ? "the document" : e.Path.TrimStart('$', '.');
            throw Failure($"Seed:Path {full} is not a valid snapshot document: {member} (line {e.LineNumber + 1}) is not valid there.", e);
        }

        // Checked again inside the restore's transaction, under a lock: another instance may have seeded since.
        var (result, error) = await state.RestoreAsync(snapshot, AuditOrigin.Admin("seed"), AuditKinds.EmulatorSeeded, onlyIntoEmpty: true, cancellationToken)
            .ConfigureAwait(false);
        if (error is not null)
        {
            throw Failure($"Seed:Path {full} is not a valid snapshot document: {error.Detail}");
        }

        if (result is null)
        {
            LogSkipped(path);
            return;
        }

        var counts = result!.Restored;
        LogSeeded(full, counts.Partners, counts.Users, counts.Devices);
        _summary = $"Seeded from {full}: {EmulatorStateService.Describe(counts)}.";
    }

    /// <summary>Printed once the server listens, like the demo's walk-through.</summary>
    async Task IStartedStep.RunAsync(CancellationToken cancellationToken)
    {
        if (Interlocked.Exchange(ref _summary, null) is { } text)
        {
            await console.WriteLineAsync(text).ConfigureAwait(false);
        }
    }

    private static StartupFailureException Failure(string message, Exception? inner = null) =>
        new(message, StartupExitCodes.Configuration, inner);

    [LoggerMessage(Level = LogLevel.Information, Message = "Seeded the database from {Path}: {Partners} partner(s), {Users} user(s), {Devices} device(s).")]
    private partial void LogSeeded(string path, int partners, int users, int devices);

    [LoggerMessage(Level = LogLevel.Information, Message = "Seed:Path {Path} not loaded: the database already has partners.")]
    private partial void LogSkipped(string path);
}

internal static class StateServiceCollectionExtensions
{
    public static IServiceCollection AddState(this IServiceCollection services)
    {
        services.AddOptions<SeedOptions>().BindConfiguration(SeedOptions.SectionName);
        services.AddSingleton<EmulatorStateService>();
        services.AddSingleton(sp => ActivatorUtilities.CreateInstance<SeedStep>(sp, Console.Out));
        services.AddSingleton<IStartupStep>(sp => sp.GetRequiredService<SeedStep>());
        services.AddSingleton<IStartedStep>(sp => sp.GetRequiredService<SeedStep>());
        return services;
    }
}
