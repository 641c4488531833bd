using System.CommandLine;
using System.Globalization;
using DeviceFeatures.Cli.Simulation;
using DeviceFeatures.Client.Devices;
using DeviceFeatures.Protocol.DeviceApi;
using Spectre.Console;

namespace DeviceFeatures.Cli.Commands;

/// <summary><c>device simulate</c> and <c>device fleet</c>: devices of the device API, simulated (docs/cli.md).</summary>
internal static class SimulateCommands
{
    public static Command Create(CliHost host) => new("device", "Act as devices of the device API: one simulated device, or a fleet that measures how fast changes arrive")
    {
        Simulate(host),
        Fleet(host),
    };

    private static Option<TimeSpan> DurationOption(string name, string description, string expected) =>
        new Option<TimeSpan>(name) { Description = description }.Reads(expected, OptionValues.TryDuration);

    private static Option<int> WaitOption() => new Option<int>("--wait")
    {
        Description = "Seconds each long poll may wait on the server (1-60)",
        DefaultValueFactory = _ => 30,
    }.Reads("a number of seconds from 1 to 60", OptionValues.WholeNumber(1, 60));

    private static Command Simulate(CliHost host)
    {
        var mac = new Option<string>("--mac") { Description = "The device's MAC address, as in the inventory", Required = true };
        var secret = new Option<string>("--secret")
        {
            Description = "The device's secret (the import report's device_secret, or 'admin devices rotate-credential') [env DEVFEAT_DEVICE_SECRET]",
        };
        var server = new Option<string?>("--server") { Description = "The server's address [default: --endpoint, DEVFEAT_ENDPOINT, the profile, http://127.0.0.1:5080]" };
        var fail = new Option<string[]>("--fail")
        {
            Description = "Report this feature as failed (repeat for several), e.g. --fail eyes_closed_mode",
            AllowMultipleArgumentsPerToken = false,
        };
        var offline = DurationOption("--offline-for", "After each configuration that changed something (the first included), stop polling this long (e.g. 30s)", "a duration such as 30s, 2m or 500ms");
        var firmware = new Option<string?>("--firmware") { Description = "The firmware the device reports", DefaultValueFactory = _ => "sim-1.0" };
        var wait = WaitOption();
        var duration = DurationOption("--duration", "Stop after this long (default: until Ctrl+C)", "a duration such as 30s, 2m or 1h");
        return new Command("simulate", "Run one device: long poll, apply (print what changed), report applied or failed, again; Ctrl+C or --duration ends it with a summary")
        {
            mac, secret, server, fail, offline, firmware, wait, duration,
        }.Runs(host, async (context, parse, ct) =>
        {
            var deviceSecret = parse.GetValue(secret) is { Length: > 0 } s ? s
                : host.Environment("DEVFEAT_DEVICE_SECRET") is { Length: > 0 } e ? e
                : throw new CliException(ExitCodes.NotConfigured, "No device secret: pass --secret or set DEVFEAT_DEVICE_SECRET.");
            var baseAddress = parse.GetValue(server) is { Length: > 0 } url ? CliContext.ResolveEndpoint(url) : context.Endpoint;
            var failing = new HashSet<string>((parse.GetValue(fail) ?? []).Select(f => Arguments.ParseFeature(f).Value), StringComparer.Ordinal);
            var behaviour = new DeviceBehaviour(TimeSpan.FromSeconds(parse.GetValue(wait)), failing, parse.GetValue(offline), parse.GetValue(firmware));
            var tally = new AnswerTally();
            var client = new DeviceApiClient(host.CreateHttpClient(), baseAddress, parse.GetValue(mac)!, deviceSecret, host.Time);
            string Now() => host.Time.GetUtcNow().UtcDateTime.ToString("HH:mm:ss", CultureInfo.InvariantCulture);
            var device = new SimulatedDevice(client, behaviour, tally, host.Time)
            {
                Received = (d, configuration, changes, _) =>
                {
                    if (context.Json)
                    {
                        return;
                    }

                    var unknown = failing.Where(f => configuration.Features.All(x => x.FeatureName != f)).ToArray();
                    if (d.Pulls == 1 && unknown.Length > 0)
                    {
                        context.Diagnostic($"warning: --fail {string.Join(", ", unknown)}: not a feature of model {configuration.Model}");
                    }

                    var first = changes.Count > 0 && changes.All(c => c.Before is null);
                    context.Console.WriteLine(first
                        ? $"{Now()} version {configuration.Version}: {Describe(configuration)}"
                        : $"{Now()} version {configuration.Version}: {(changes.Count == 0 ? "no feature changed" : string.Join(", ", changes.Select(c => $"{c.FeatureName} {OnOff(c.Before)} -> {OnOff(c.After)}")))}");
                },
                Reported = (_, report, receipt) =>
                {
                    if (context.Json)
                    {
                        return;
                    }

                    var failed = report.Features!.Where(f => f.Applied == false).Select(f => f.FeatureName).ToArray();
                    context.Console.WriteLine($"{Now()} reported version {report.Version}: {report.Features!.Count - failed.Length} applied, {failed.Length} failed" +
                        (failed.Length > 0 ? $" ({string.Join(", ", failed)}: {DeviceBehaviour.FailureReason})" : "") +
                        (receipt.Recorded ? "" : $" (not recorded: the server holds version {receipt.Version})"));
                },
                WentOffline = _ => context.Diagnostic($"{Now()} offline for {behaviour.OfflineFor.TotalSeconds:0.###} s"),
                Retrying = (_, problem, after) => context.Diagnostic($"{Now()} {problem}; trying again in {after.TotalSeconds:0} s"),
            };

            using var limit = CancellationTokenSource.CreateLinkedTokenSource(ct);
            if (parse.GetValue(duration) is { } d && d > TimeSpan.Zero)
            {
                limit.CancelAfter(d);
            }

            var started = host.Time.GetTimestamp();
            await device.RunAsync(limit.Token);
            var elapsed = host.Time.GetElapsedTime(started);
            var summary = new
            {
                mac_address = client.MacAddress,
                seconds = Math.Round(elapsed.TotalSeconds, 1),
                version = device.Current?.Version,
                pulls = device.Pulls,
                changes_applied = device.ChangesApplied,
                reports = device.Reports,
                failures_reported = device.FailuresReported,
                answers = tally.Counts.ToDictionary(c => c.Key, c => c.Value),
            };
            if (context.Json)
            {
                context.WriteJson(summary);
            }
            else
            {
                context.Console.WriteLine($"summary: {summary.seconds:0.#} s, version {summary.version?.ToString(CultureInfo.InvariantCulture) ?? "none"}, " +
                    $"{summary.pulls} pulls, {summary.changes_applied} feature changes applied, {summary.reports} reports ({summary.failures_reported} failed features)");
                foreach (var (kind, count) in tally.Counts)
                {
                    context.Console.WriteLine($"  {kind}: {count}");
                }
            }

            return ct.IsCancellationRequested ? ExitCodes.Cancelled : ExitCodes.Success;
        });
    }

    private static string OnOff(bool? active) => active switch { true => "on", false => "off", null => "none" };

    private static string Describe(DeviceConfiguration configuration) =>
        $"on: {string.Join(", ", configuration.Features.Where(f => f.Active).Select(f => f.FeatureName))}; " +
        $"off: {string.Join(", ", configuration.Features.Where(f => !f.Active).Select(f => f.FeatureName))}";

    private static Command Fleet(CliHost host)
    {
        var count = new Option<int>("--count") { Description = $"Simulated devices (1-{FleetSettings.MaxCount:N0})", Required = true }
            .Reads($"a number of devices from 1 to {FleetSettings.MaxCount:N0}", OptionValues.WholeNumber(1, FleetSettings.MaxCount));
        var duration = DurationOption("--duration", "How long changes are made (e.g. 60s; at most 1h)", "a duration such as 30s or 2m, at most 1h");
        duration.Required = true;
        var rate = new Option<double>("--change-rate")
        {
            Description = "Changes per second, through the partner wire API (0.1-1000)",
            DefaultValueFactory = _ => 2,
        }.Reads("a number of changes per second from 0.1 to 1000", (string text, out double value) =>
            double.TryParse(text, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out value) && value is >= 0.1 and <= 1000);
        var wait = WaitOption();
        return new Command("fleet", """
            Run N simulated devices for a bounded time and measure how long changes take to arrive. Needs the admin key: it
            creates a partner, N Body Pro 2 devices under a random locally administered prefix 02:df:xx:xx and a user
            for each, which stay on the server (see docs/cli.md); then it toggles feature_eyes_closed_mode for one user
            after another, as that partner, at --change-rate, and prints p50, p99 and max of change-to-arrival and the
            server's answers by kind.
            """)
        {
            count, duration, rate, wait,
        }.Runs(host, async (context, parse, ct) =>
        {
            var length = parse.GetValue(duration);
            if (length <= TimeSpan.Zero || length > TimeSpan.FromHours(1))
            {
                throw new CliException(ExitCodes.Usage, "--duration must be above 0 and at most 1h.");
            }

            var admin = context.CreateAdminClient();
            var n = parse.GetValue(count);
            if (FileDescriptors.Problem(n) is { } problem)
            {
                throw new CliException(ExitCodes.Usage, problem);
            }

            var fleet = new Simulation.Fleet(context.Endpoint, host.CreateHttpClient, host.Time, context.Diagnostic);
            var devices = await fleet.ProvisionAsync(admin, n, ct);
            var result = await fleet.RunAsync(devices, new FleetSettings
            {
                Count = n,
                Duration = length,
                ChangeRate = parse.GetValue(rate),
                Wait = TimeSpan.FromSeconds(parse.GetValue(wait)),
            }, null, ct);

            if (context.Json)
            {
                context.WriteJson(new
                {
                    client_id = devices.Partner.ClientId,
                    mac_prefix = devices.MacPrefix,
                    devices = result.Devices,
                    changes = result.ChangesMade,
                    changes_refused = result.ChangesRefused,
                    changes_skipped = result.ChangesSkipped,
                    change_seconds = Math.Round(result.ChangePhase.TotalSeconds, 1),
                    arrived = result.Arrived,
                    not_arrived = result.NotArrived,
                    p50_ms = Round(result.Percentile(0.50)),
                    p99_ms = Round(result.Percentile(0.99)),
                    max_ms = Round(result.Max),
                    device_requests_per_second = Math.Round(result.DeviceRequestsPerSecond, 1),
                    answers = result.Answers.ToDictionary(c => c.Key, c => c.Value),
                });
            }
            else
            {
                context.Console.WriteLine($"devices {result.Devices} (partner {devices.Partner.ClientId}, MAC addresses {devices.MacPrefix}:xx:xx)");
                context.Console.WriteLine($"changes {result.ChangesMade} made in {result.ChangePhase.TotalSeconds:0.0} s, {result.ChangesRefused} refused, {result.ChangesSkipped} skipped (the device's previous change had not arrived)");
                context.Console.WriteLine($"arrived {result.Arrived}, not arrived {result.NotArrived}");
                context.Console.WriteLine($"change to arrival: p50 {Ms(result.Percentile(0.50))} ms, p99 {Ms(result.Percentile(0.99))} ms, max {Ms(result.Max)} ms");
                context.Console.WriteLine($"device requests {result.DeviceRequestsPerSecond:0.#}/s while changes were made");
                var table = new Table().AddColumns("answer", "count");
                foreach (var (kind, c) in result.Answers)
                {
                    table.AddRow(Markup.Escape(kind), c.ToString(CultureInfo.InvariantCulture));
                }

                context.Console.Write(table);
            }

            return result.NotArrived > 0 || result.ChangesRefused > 0 ? ExitCodes.Failed : ExitCodes.Success;
        });
    }

    private static double? Round(double value) => double.IsNaN(value) ? null : Math.Round(value, 1);

    private static string Ms(double value) => double.IsNaN(value) ? "-" : value.ToString("0.0", CultureInfo.InvariantCulture);
}
