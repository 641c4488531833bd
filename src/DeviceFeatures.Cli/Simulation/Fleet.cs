using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using DeviceFeatures.Client;
using DeviceFeatures.Client.Admin;
using DeviceFeatures.Client.Devices;
using DeviceFeatures.Protocol.Admin;
using DeviceFeatures.Protocol.DeviceApi;

namespace DeviceFeatures.Cli.Simulation;

/// <summary>What a fleet run does; every loop is bounded by these.</summary>
internal sealed record FleetSettings
{
    public const int MaxCount = 20_000;
    public const string Feature = "feature_eyes_closed_mode";

    public required int Count { get; init; }
    public required TimeSpan Duration { get; init; }

    /// <summary>Changes per second, made through the partner wire API.</summary>
    public required double ChangeRate { get; init; }
    public TimeSpan Wait { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Devices started per second, so that thousands of first pulls do not arrive in one instant.</summary>
    public int StartRate { get; init; } = 1000;

    /// <summary>Devices between their start and their first report at any one time.</summary>
    public int StartingAtOnce { get; init; } = 200;

    /// <summary>After the changes stop, how long the run still waits for the last ones to arrive.</summary>
    public TimeSpan Grace { get; init; } = TimeSpan.FromSeconds(5);
}

/// <summary>The devices of a fleet, as provisioned: a partner, and per device its MAC address, secret and user.</summary>
internal sealed record FleetDevices(CreatedPartner Partner, IReadOnlyList<(string Mac, string Secret, int UserId)> Devices, string MacPrefix);

/// <summary>What a fleet run measured.</summary>
internal sealed record FleetResult(
    int Devices,
    int ChangesMade,
    int ChangesRefused,
    int ChangesSkipped,
    double[] ArrivalMilliseconds,
    int NotArrived,
    TimeSpan ChangePhase,
    IReadOnlyList<KeyValuePair<string, long>> Answers,
    long DeviceRequests)
    // DeviceRequests: those answered while the changes were made (the first pulls and reports are not in it).
{
    public int Arrived => ArrivalMilliseconds.Length;

    /// <summary>Nearest rank: the smallest value with at least <paramref name="p"/> of the values at or below it.</summary>
    public double Percentile(double p) => Percentiles.Of(ArrivalMilliseconds, p);

    public double Max => ArrivalMilliseconds.Length == 0 ? double.NaN : ArrivalMilliseconds.Max();

    public double DeviceRequestsPerSecond => ChangePhase > TimeSpan.Zero ? DeviceRequests / ChangePhase.TotalSeconds : 0;
}

internal static class Percentiles
{
    /// <summary>Nearest rank over unsorted values; NaN when there are none.</summary>
    public static double Of(IReadOnlyCollection<double> values, double p)
    {
        if (values.Count == 0)
        {
            return double.NaN;
        }

        var sorted = values.Order().ToArray();
        var rank = (int)Math.Ceiling(p * sorted.Length);
        return sorted[Math.Clamp(rank - 1, 0, sorted.Length - 1)];
    }
}

/// <summary>
/// N simulated devices against one server, and changes made to them at a steady rate through the partner wire API.
/// Each change toggles <see cref="FleetSettings.Feature"/> (off by default) for the user of the next device in turn,
/// and its arrival is measured from the moment the change's answer came back to the moment that device received a
/// configuration with the new value (0 when it arrived before the answer did).
/// </summary>
internal sealed class Fleet(Uri baseAddress, Func<HttpClient> createHttpClient, TimeProvider time, Action<string> progress)
{
    private const int ProvisioningParallelism = 16;

    /// <summary>
    /// Creates a partner (with no quota of signed requests) and <paramref name="count"/> Body Pro 2 (EU) devices in the inventory, each with a MAC address
    /// under a locally administered prefix <c>02:df:xx:xx</c> chosen at random for this run, its secret, and a user
    /// linked to it. What it creates stays on the server (see docs/cli.md).
    /// </summary>
    public async Task<FleetDevices> ProvisionAsync(DeviceFeaturesAdminClient admin, int count, CancellationToken cancellationToken)
    {
        if (count is < 1 or > 65_536)
        {
            throw new ArgumentOutOfRangeException(nameof(count), "A fleet has 1 to 65,536 devices.");
        }

        var stamp = time.GetUtcNow().UtcDateTime.ToString("yyyyMMdd-HHmmss", CultureInfo.InvariantCulture);
        var partner = await admin.CreatePartnerAsync($"devfeat fleet {stamp}", cancellationToken);

        // Unlimited: the server's default quota of signed requests would otherwise set the change rate, not --change-rate.
        await admin.SetRateLimitAsync(partner.ClientId, 0, cancellationToken);
        var run = RandomNumberGenerator.GetBytes(2);
        var prefix = string.Create(CultureInfo.InvariantCulture, $"02:df:{run[0]:x2}:{run[1]:x2}");
        progress($"partner {partner.ClientId} created; importing {count:N0} devices {prefix}:xx:xx");
        var macs = Enumerable.Range(0, count).Select(i => string.Create(CultureInfo.InvariantCulture, $"{prefix}:{(i >> 8) & 0xff:x2}:{i & 0xff:x2}")).ToArray();
        var secrets = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var chunk in macs.Chunk(1000))
        {
            var answer = await admin.ImportDevicesAsync(chunk.Select(m => new DeviceImportRow(m, 17, "EU", "sim-1.0", partner.ClientId)), cancellationToken);
            foreach (var result in answer.Results)
            {
                if (result.Outcome != DeviceImportOutcomes.Imported || result.DeviceSecret is null)
                {
                    throw new CliException(ExitCodes.Failed, $"could not import {result.MacAddress}: {result.Outcome} {result.Code} {result.Reason}");
                }

                secrets[result.MacAddress!] = result.DeviceSecret;
            }
        }

        progress($"linking {count:N0} users");
        var users = new int[count];
        var done = 0;
        await Parallel.ForEachAsync(Enumerable.Range(0, count),
            new ParallelOptions { MaxDegreeOfParallelism = ProvisioningParallelism, CancellationToken = cancellationToken },
            async (i, ct) =>
            {
                users[i] = await admin.CreateUserAsync(partner.ClientId, [new DeviceLink(macs[i], 17, "EU")], ct);
                if (Interlocked.Increment(ref done) % 2000 == 0)
                {
                    progress($"  {done:N0} users");
                }
            });

        return new FleetDevices(partner, macs.Select((m, i) => (m, secrets[m], users[i])).ToArray(), prefix);
    }

    public async Task<FleetResult> RunAsync(FleetDevices fleet, FleetSettings settings, Action? allWaiting, CancellationToken cancellationToken)
    {
        var tally = new AnswerTally();
        var http = createHttpClient();
        var behaviour = new DeviceBehaviour(settings.Wait, new HashSet<string>(StringComparer.Ordinal), TimeSpan.Zero, "sim-1.0");
        var expectations = new Expectation?[fleet.Devices.Count];
        var arrivals = new List<double>();
        var ready = 0;
        var allReady = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        void OnReceived(int index, DeviceConfiguration configuration, long arrived)
        {
            var active = configuration.Features.FirstOrDefault(f => f.FeatureName == FleetSettings.Feature)?.Active;
            lock (expectations)
            {
                if (expectations[index] is { } e && e.Value == active)
                {
                    expectations[index] = null;
                    arrivals.Add(Math.Max(0, Stopwatch.GetElapsedTime(e.AnsweredAt, arrived).TotalMilliseconds));
                }
            }
        }

        var devices = fleet.Devices.Select((d, index) => new SimulatedDevice(new DeviceApiClient(http, baseAddress, d.Mac, d.Secret, time), behaviour, tally, time)
        {
            Received = (_, configuration, _, arrived) => OnReceived(index, configuration, arrived),
            Reported = (device, _, _) =>
            {
                if (device.Reports == 1 && Interlocked.Increment(ref ready) == fleet.Devices.Count)
                {
                    allReady.TrySetResult();
                }
            },
        }).ToArray();

        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var running = new List<Task>(devices.Length);
        progress($"starting {devices.Length:N0} devices");
        foreach (var chunk in devices.Chunk(Math.Max(1, settings.StartRate / 10)))
        {
            // At most StartingAtOnce devices between their start and their first report: a server that answers more
            // slowly (PostgreSQL here, with its pool of connections) is not buried under thousands of first pulls.
            while (running.Count - Volatile.Read(ref ready) >= settings.StartingAtOnce && running.Any(t => !t.IsCompleted))
            {
                await Task.Delay(TimeSpan.FromMilliseconds(20), time, cancellationToken);
            }

            running.AddRange(chunk.Select(d => Task.Run(() => d.RunAsync(stop.Token), CancellationToken.None)));
            await Task.Delay(TimeSpan.FromMilliseconds(100), time, cancellationToken);
        }

        // Every device has pulled and reported its first configuration: from now on they all wait in long polls. A
        // slow server is given time as long as devices keep getting ready; 30 s without one more ends the run.
        var firstFailure = Task.WhenAny(running);
        var lastReady = -1;
        var lastProgress = Stopwatch.GetTimestamp();
        while (!allReady.Task.IsCompleted)
        {
            var settled = await Task.WhenAny(allReady.Task, firstFailure, Task.Delay(TimeSpan.FromSeconds(2), time, cancellationToken));
            if (settled == firstFailure && firstFailure.Result.IsFaulted)
            {
                await stop.CancelAsync();
                await firstFailure.Result;
            }

            var now = Volatile.Read(ref ready);
            if (now != lastReady)
            {
                lastReady = now;
                lastProgress = Stopwatch.GetTimestamp();
                if (!allReady.Task.IsCompleted && devices.Length >= 1000)
                {
                    progress($"  {now:N0} of {devices.Length:N0} devices have their first configuration");
                }
            }
            else if (Stopwatch.GetElapsedTime(lastProgress) > TimeSpan.FromSeconds(30))
            {
                await stop.CancelAsync();
                throw new CliException(ExitCodes.Unavailable, $"only {now:N0} of {devices.Length:N0} devices got their first configuration (none more for 30 s)");
            }
        }

        progress($"{devices.Length:N0} devices waiting; changing {FleetSettings.Feature} {settings.ChangeRate:0.##} times a second for {settings.Duration.TotalSeconds:0.#} s");
        allWaiting?.Invoke();
        var partner = new DeviceFeaturesClient(createHttpClient(), new DeviceFeaturesClientOptions
        {
            BaseAddress = baseAddress,
            ClientId = fleet.Partner.ClientId,
            ClientSecret = fleet.Partner.ClientSecret,
        }, time);
        var desired = new bool[devices.Length];
        int made = 0, refused = 0, skipped = 0, next = 0;
        var inFlight = new List<Task>();
        var requestsBefore = tally.DeviceRequests;
        var started = Stopwatch.GetTimestamp();
        using (var timer = new PeriodicTimer(TimeSpan.FromSeconds(1 / settings.ChangeRate), time))
        {
            while (Stopwatch.GetElapsedTime(started) < settings.Duration && await timer.WaitForNextTickAsync(cancellationToken))
            {
                var index = next++ % devices.Length;
                lock (expectations)
                {
                    if (expectations[index] is not null)
                    {
                        // Its previous change has not arrived yet: a second one would blur what is measured.
                        skipped++;
                        continue;
                    }
                }

                inFlight.RemoveAll(t => t.IsCompleted);
                inFlight.Add(ChangeAsync(index));
            }
        }

        await Task.WhenAll(inFlight);
        var phase = Stopwatch.GetElapsedTime(started);
        var requestsDuring = tally.DeviceRequests - requestsBefore;
        var graceEnd = Stopwatch.GetTimestamp() + (long)(settings.Grace.TotalSeconds * Stopwatch.Frequency);
        while (Stopwatch.GetTimestamp() < graceEnd && Pending() > 0)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(50), time, cancellationToken);
        }

        await stop.CancelAsync();
        await Task.WhenAll(running);
        double[] measured;
        lock (expectations)
        {
            measured = arrivals.ToArray();
        }

        return new FleetResult(devices.Length, made, refused, skipped, measured, Pending(), phase, tally.Counts, requestsDuring);

        int Pending()
        {
            lock (expectations)
            {
                return expectations.Count(e => e is not null);
            }
        }

        async Task ChangeAsync(int index)
        {
            var value = !desired[index];
            var userId = fleet.Devices[index].UserId;
            try
            {
                if (value)
                {
                    await partner.EnableFeatureAsync(userId, DeviceModel.BodyPro2, FeatureName.EyesClosedMode, cancellationToken);
                }
                else
                {
                    await partner.DisableFeatureAsync(userId, DeviceModel.BodyPro2, FeatureName.EyesClosedMode, cancellationToken);
                }
            }
            catch (WithingsRefusalException ex)
            {
                tally.Add($"{(value ? "enablefeature" : "disablefeature")} status {ex.Status.ToString(CultureInfo.InvariantCulture)}");
                Interlocked.Increment(ref refused);
                return;
            }
            catch (DeviceFeaturesTransportException)
            {
                tally.Add($"{(value ? "enablefeature" : "disablefeature")}: no answer");
                Interlocked.Increment(ref refused);
                return;
            }

            var answered = Stopwatch.GetTimestamp();
            tally.Add($"{(value ? "enablefeature" : "disablefeature")} status 0");
            Interlocked.Increment(ref made);
            desired[index] = value;
            lock (expectations)
            {
                // The device may have received the change before its answer came back to us.
                var current = devices[index].Current?.Features.FirstOrDefault(f => f.FeatureName == FleetSettings.Feature)?.Active;
                if (current == value)
                {
                    arrivals.Add(0);
                }
                else
                {
                    expectations[index] = new Expectation(value, answered);
                }
            }
        }
    }

    private sealed record Expectation(bool Value, long AnsweredAt);
}
