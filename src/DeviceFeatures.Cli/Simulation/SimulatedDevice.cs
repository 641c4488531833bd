using System.Diagnostics;
using DeviceFeatures.Client;
using DeviceFeatures.Client.Devices;
using DeviceFeatures.Protocol.DeviceApi;

namespace DeviceFeatures.Cli.Simulation;

/// <summary>How a simulated device behaves.</summary>
/// <param name="Wait">How long each long poll may wait on the server.</param>
/// <param name="Fail">Features the device reports as failed, whatever they are set to.</param>
/// <param name="OfflineFor">After each configuration that changed something, how long the device stops polling.</param>
/// <param name="Firmware">The firmware it reports.</param>
internal sealed record DeviceBehaviour(TimeSpan Wait, IReadOnlySet<string> Fail, TimeSpan OfflineFor, string? Firmware)
{
    public const string FailureReason = "simulated failure (--fail)";
}

/// <summary>A feature whose state differs between two configurations (null before: the first pull).</summary>
internal sealed record FeatureChange(string FeatureName, bool? Before, bool After);

/// <summary>
/// One device of the device API in a loop: long poll, apply what arrived, report it (applied, or failed with a reason
/// for the features it is told to fail), and again. Refusals that a new request may overcome (a used nonce, a
/// suspended partner, too many waiters, a busy database, no answer) are counted and retried with back-off; a wrong
/// secret ends the loop, since no retry can fix it.
/// </summary>
internal sealed class SimulatedDevice(DeviceApiClient client, DeviceBehaviour behaviour, AnswerTally tally, TimeProvider time)
{
    private static readonly TimeSpan FirstBackoff = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan MaxBackoff = TimeSpan.FromSeconds(30);
    private readonly Lock _lock = new();
    private DeviceConfiguration? _current;

    public string MacAddress => client.MacAddress;

    /// <summary>The configuration the device runs; null before its first pull.</summary>
    public DeviceConfiguration? Current
    {
        get
        {
            lock (_lock)
            {
                return _current;
            }
        }
    }

    /// <summary>A configuration arrived (with the <see cref="Stopwatch"/> timestamp of its arrival), before it is reported.</summary>
    public Action<SimulatedDevice, DeviceConfiguration, IReadOnlyList<FeatureChange>, long>? Received { get; init; }

    /// <summary>The report of a configuration was answered.</summary>
    public Action<SimulatedDevice, DeviceReport, DeviceReportReceipt>? Reported { get; init; }

    /// <summary>The device goes offline for <see cref="DeviceBehaviour.OfflineFor"/>.</summary>
    public Action<SimulatedDevice>? WentOffline { get; init; }

    /// <summary>A request failed and will be tried again after the back-off.</summary>
    public Action<SimulatedDevice, string, TimeSpan>? Retrying { get; init; }

    public long Pulls { get; private set; }

    public long ChangesApplied { get; private set; }

    public long Reports { get; private set; }

    public long FailuresReported { get; private set; }

    /// <summary>Runs until <paramref name="cancellationToken"/> is cancelled (then returns) or the secret is refused (then throws).</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        var backoff = FirstBackoff;
        DeviceReport? unreported = null;
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                if (unreported is not null)
                {
                    await ReportAsync(unreported, cancellationToken);
                    unreported = null;
                }

                var known = Current;
                var result = await PullAsync(known, cancellationToken);
                backoff = FirstBackoff;
                if (result.IsNotModified)
                {
                    continue;
                }

                var arrived = Stopwatch.GetTimestamp();
                var configuration = result.Configuration!;
                var changes = Diff(known, configuration);
                lock (_lock)
                {
                    _current = configuration;
                }

                ChangesApplied += known is null ? 0 : changes.Count;
                Received?.Invoke(this, configuration, changes, arrived);
                unreported = BuildReport(configuration, known);
                await ReportAsync(unreported, cancellationToken);
                unreported = null;
                if (behaviour.OfflineFor > TimeSpan.Zero && changes.Count > 0)
                {
                    WentOffline?.Invoke(this);
                    await Task.Delay(behaviour.OfflineFor, time, cancellationToken);
                }
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (DeviceAuthenticationException ex) when (ex.Code is DeviceProblemCodes.SignatureInvalid or DeviceProblemCodes.AuthenticationMissing)
            {
                throw;
            }
            catch (DeviceFeaturesException ex) when (ex is DeviceApiException or DeviceFeaturesTransportException)
            {
                var wait = backoff;
                backoff = TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, MaxBackoff.Ticks));
                Retrying?.Invoke(this, ex.Message, wait);
                try
                {
                    await Task.Delay(wait, time, cancellationToken);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }

    private async Task<DeviceConfigurationResult> PullAsync(DeviceConfiguration? known, CancellationToken cancellationToken)
    {
        Pulls++;
        try
        {
            var result = await client.GetConfigurationAsync(known?.Version, known is null ? null : behaviour.Wait, cancellationToken);
            tally.Add(AnswerTally.Pull(result.IsNotModified ? 304 : 200));
            return result;
        }
        catch (DeviceApiException ex)
        {
            tally.Add(AnswerTally.Pull(ex.HttpStatus, ex.Code));
            throw;
        }
        catch (DeviceFeaturesTransportException)
        {
            tally.Add("GET configuration: no answer");
            throw;
        }
    }

    private async Task ReportAsync(DeviceReport report, CancellationToken cancellationToken)
    {
        DeviceReportReceipt receipt;
        try
        {
            receipt = await client.ReportAsync(report, cancellationToken);
            tally.Add(AnswerTally.Report(200));
        }
        catch (DeviceApiException ex)
        {
            tally.Add(AnswerTally.Report(ex.HttpStatus, ex.Code));
            throw;
        }
        catch (DeviceFeaturesTransportException)
        {
            tally.Add("POST report: no answer");
            throw;
        }

        Reports++;
        FailuresReported += report.Features!.Count(f => f.Applied == false);
        Reported?.Invoke(this, report, receipt);
    }

    /// <summary>
    /// Every feature of the configuration: applied, unless the device is told to fail it, with the state it runs: the
    /// configured one when applied, the one it ran before when it failed (unknown before its first configuration).
    /// </summary>
    internal DeviceReport BuildReport(DeviceConfiguration configuration, DeviceConfiguration? before)
    {
        var previous = before?.Features.ToDictionary(f => f.FeatureName, f => f.Active, StringComparer.Ordinal);
        return new(configuration.Version, behaviour.Firmware, configuration.Features
            .Select(f => behaviour.Fail.Contains(f.FeatureName)
                ? new DeviceFeatureReport(f.FeatureName, false, DeviceBehaviour.FailureReason,
                    previous is not null && previous.TryGetValue(f.FeatureName, out var ran) ? ran : null)
                : new DeviceFeatureReport(f.FeatureName, true, Active: f.Active))
            .ToArray());
    }

    internal static IReadOnlyList<FeatureChange> Diff(DeviceConfiguration? before, DeviceConfiguration after)
    {
        var previous = before?.Features.ToDictionary(f => f.FeatureName, f => f.Active, StringComparer.Ordinal);
        var changes = new List<FeatureChange>();
        foreach (var feature in after.Features)
        {
            bool? was = previous is not null && previous.TryGetValue(feature.FeatureName, out var active) ? active : null;
            if (was != feature.Active)
            {
                changes.Add(new FeatureChange(feature.FeatureName, was, feature.Active));
            }
        }

        return changes;
    }
}
