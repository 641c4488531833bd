using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using System.Xml;
using DeviceFeatures.Protocol.Admin;
using Spectre.Console;

namespace DeviceFeatures.Cli.Commands;

/// <summary>
/// <c>emulator ...</c>: the state and clock of a local server used as a partner's Withings in tests (the admin key,
/// and a server whose emulator is on: Development, or <c>Emulator:Enabled=true</c>).
/// </summary>
internal static class EmulatorCommands
{
    public static Command Create(CliHost host) => new("emulator", "Reset, save and restore a local server's state, and move its clock (needs the admin key)")
    {
        Snapshot(host),
        Restore(host),
        Reset(host),
        Clock(host),
    };

    private static Command Snapshot(CliHost host)
    {
        var output = new Option<FileInfo?>("--out") { Description = "Write the snapshot to this file [default: standard output]" }
            .Reads("a file path", OptionValues.TryFile);
        return new Command("snapshot", "Save the whole state (partners with their secrets in clear, users, devices, choices) as JSON") { output }
            .Runs(host, async (context, parse, ct) =>
            {
                var snapshot = await context.CreateAdminClient().GetSnapshotAsync(ct);
                var text = JsonSerializer.Serialize(snapshot, Indented.EmulatorSnapshot);
                if (parse.GetValue(output) is { } file)
                {
                    await WritePrivateAsync(file.FullName, text + Environment.NewLine, ct);
                    context.Diagnostic($"Saved {Describe(snapshot)} to {file.FullName}.");
                }
                else
                {
                    await host.Out.WriteLineAsync(text);
                }

                return ExitCodes.Success;
            });
    }

    private static Command Restore(CliHost host)
    {
        var file = new Argument<FileInfo>("file") { Description = "A snapshot (emulator snapshot --out) or a fixture of the same shape" };
        return new Command("restore", "Replace the whole state with a snapshot, in one transaction (an invalid file changes nothing)") { file }
            .Runs(host, async (context, parse, ct) =>
            {
                var input = parse.GetValue(file)!;
                if (!input.Exists)
                {
                    throw new CliException(ExitCodes.Usage, $"The file {input.FullName} does not exist.");
                }

                EmulatorSnapshot snapshot;
                try
                {
                    await using var stream = input.OpenRead();
                    snapshot = await JsonSerializer.DeserializeAsync(stream, AdminJsonContext.Default.EmulatorSnapshot, ct)
                        ?? throw new CliException(ExitCodes.Usage, $"{input.FullName} holds no snapshot.");
                }
                catch (JsonException ex)
                {
                    throw new CliException(ExitCodes.Usage, $"{input.FullName} is not a snapshot: {ex.Message}");
                }

                var result = await context.CreateAdminClient().RestoreSnapshotAsync(snapshot, ct);
                if (context.Json)
                {
                    context.WriteJson(result);
                }
                else
                {
                    context.Console.WriteLine($"Restored {Describe(result.Restored)}.");
                }

                return ExitCodes.Success;
            });
    }

    private static Command Reset(CliHost host) =>
        new Command("reset", "Remove everything, or with --client-id one partner's users and devices (the partner stays)")
            .Runs(host, async (context, parse, ct) =>
            {
                var clientId = parse.GetValue(GlobalOptions.ClientId);
                var result = await context.CreateAdminClient().ResetEmulatorAsync(clientId, ct);
                if (context.Json)
                {
                    context.WriteJson(result);
                }
                else
                {
                    context.Console.WriteLine($"Removed {Describe(result.Removed)}{(clientId is null ? "" : " of " + clientId)}.");
                }

                return ExitCodes.Success;
            });

    private static Command Clock(CliHost host)
    {
        var advance = new Option<TimeSpan?>("--advance")
        {
            Description = "Move the clock forward by an ISO 8601 duration (PT10M, P30D) or a number of seconds",
        }.Reads("a duration such as PT10M or P30D, or seconds", OptionValues.Optional<TimeSpan>(TryAdvance));
        return new Command("clock", "Show the server's clock, or move it forward (nonces, quota windows and terminations expire)") { advance }
            .Runs(host, async (context, parse, ct) =>
            {
                var admin = context.CreateAdminClient();
                var clock = parse.GetValue(advance) is { } amount
                    ? await admin.AdvanceClockAsync(amount, ct)
                    : await admin.GetClockAsync(ct);
                if (context.Json)
                {
                    context.WriteJson(clock);
                }
                else
                {
                    context.Console.WriteLine($"now:    {clock.Now.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss'Z'", CultureInfo.InvariantCulture)}");
                    context.Console.WriteLine($"offset: {TimeSpan.FromSeconds(clock.OffsetSeconds).ToString("c", CultureInfo.InvariantCulture)}");
                }

                return ExitCodes.Success;
            });
    }

    /// <summary>
    /// Writes a file that holds secrets (a snapshot has every partner's secret in clear) readable by its owner only on
    /// Unix: created with mode 0600, and an existing file narrowed to it before anything is written.
    /// </summary>
    internal static async Task WritePrivateAsync(string path, string text, CancellationToken ct)
    {
        const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write, Share = FileShare.None };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = OwnerOnly;
            if (File.Exists(path))
            {
                File.SetUnixFileMode(path, OwnerOnly);
            }
        }

        await using var stream = new FileStream(path, options);
        await using var writer = new StreamWriter(stream, new System.Text.UTF8Encoding(encoderShouldEmitUTF8Identifier: false));
        await writer.WriteAsync(text.AsMemory(), ct);
    }

    /// <summary>An ISO 8601 duration or a bare number of seconds; never negative.</summary>
    internal static bool TryAdvance(string text, out TimeSpan value)
    {
        value = default;
        text = text.Trim();
        if (double.TryParse(text, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var seconds))
        {
            if (seconds > TimeSpan.FromDays(36_500).TotalSeconds)
            {
                return false;
            }

            value = TimeSpan.FromSeconds(seconds);
            return true;
        }

        try
        {
            // The same bound as a number of seconds: the server refuses more than a century ahead anyway.
            value = XmlConvert.ToTimeSpan(text);
            return value >= TimeSpan.Zero && value <= TimeSpan.FromDays(36_500);
        }
        catch (Exception ex) when (ex is FormatException or OverflowException)
        {
            return false;
        }
    }

    private static string Describe(EmulatorSnapshot s) =>
        $"{s.Partners?.Count ?? 0} partner(s), {s.Users?.Count ?? 0} user(s), {s.Devices?.Count ?? 0} device(s)";

    private static string Describe(EmulatorStateCounts c) =>
        $"{c.Partners} partner(s), {c.Users} user(s), {c.Devices} device(s), {c.Choices} choice(s)";

    /// <summary>The admin contract, indented: a snapshot is a file people read and keep in version control.</summary>
    private static readonly AdminJsonContext Indented = new(new JsonSerializerOptions(AdminJsonContext.Default.Options) { WriteIndented = true });
}
