using System.CommandLine;
using System.Globalization;
using DeviceFeatures.Client.Admin;
using DeviceFeatures.Protocol.Admin;
using Spectre.Console;

namespace DeviceFeatures.Cli.Commands;

/// <summary><c>faults ...</c> and <c>journal</c>: the emulator's fault rules, and the request journal of a server.</summary>
internal static class FaultCommands
{
    public static Command Faults(CliHost host)
    {
        var service = new Option<string?>("--service") { Description = "Only this /v2 web service: signature, device, user, oauth2" };
        var action = new Option<string?>("--action") { Description = "Only this action, e.g. enablefeature" };
        var probability = new Option<double?>("--probability") { Description = "The chance (0 to 1) that a matching request gets the fault [default 1]" }
            .Reads("a number from 0 to 1, e.g. 0.5", OptionValues.Optional<double>(TryProbability));
        var latency = new Option<int?>("--latency-ms") { Description = "Wait this long before answering; alone, the request then runs as usual" }
            .Reads("milliseconds from 1 to 60000", OptionValues.Optional(OptionValues.WholeNumber(1, 60_000)));
        var status = new Option<int?>("--status") { Description = "Answer this Withings status in the envelope, e.g. 601, 522, 2554" }
            .Reads("a Withings status, e.g. 601", OptionValues.Optional(OptionValues.WholeNumber(1, 99_999)));
        var wait = new Option<int?>("--wait-seconds") { Description = "With --status 601: the wait_seconds of the answer" }
            .Reads("seconds from 0 to 86400", OptionValues.Optional(OptionValues.WholeNumber(0, 86_400)));
        var httpStatus = new Option<int?>("--http-status") { Description = "Answer this HTTP status (400 to 599) with no envelope" }
            .Reads("an HTTP status from 400 to 599", OptionValues.Optional(OptionValues.WholeNumber(400, 599)));
        var drop = new Option<bool>("--drop") { Description = "Abort the connection instead of answering" }.Flag();
        var slow = new Option<int?>("--slow-body-ms") { Description = "Let the request run, and write its answer's body slowly: the rest after this many ms" }
            .Reads("milliseconds from 1 to 60000", OptionValues.Optional(OptionValues.WholeNumber(1, 60_000)));
        var count = new Option<int?>("--count") { Description = "Stop after this many injected answers" }
            .Reads("a whole number above 0", OptionValues.Optional(OptionValues.WholeNumber(1, int.MaxValue)));
        var until = new Option<DateTimeOffset?>("--until") { Description = "Stop at this time of the server's clock (ISO 8601; UTC when no offset is given)" }
            .Reads("a time (ISO 8601, e.g. 2026-11-24T09:00:00Z)", OptionValues.Optional<DateTimeOffset>(OptionValues.TryTime));
        var seed = new Option<int?>("--seed") { Description = "Seed of the rule's draws: the same rules and requests give the same answers [default 0]" }
            .Reads("a whole number", OptionValues.Optional(OptionValues.WholeNumber(int.MinValue, int.MaxValue)));

        var add = new Command("add", "Add a fault rule (filter with --client-id, --service, --action); answer one of --status, --http-status, --drop, --slow-body-ms")
        {
            service, action, probability, latency, status, wait, httpStatus, drop, slow, count, until, seed,
        }.Runs(host, async (context, parse, ct) =>
        {
            var answer = new FaultAnswer(parse.GetValue(status), parse.GetValue(wait), parse.GetValue(httpStatus), parse.GetValue(drop) ? true : null, parse.GetValue(slow));
            var hasAnswer = answer.Status is not null || answer.WaitSeconds is not null || answer.HttpStatus is not null || answer.Drop is not null || answer.SlowBodyMs is not null;
            var limit = parse.GetValue(count) is null && parse.GetValue(until) is null ? null : new FaultLimit(parse.GetValue(count), parse.GetValue(until));
            var rule = await context.CreateAdminClient().AddFaultAsync(new FaultRuleRequest(
                parse.GetValue(GlobalOptions.ClientId), parse.GetValue(service), parse.GetValue(action), parse.GetValue(probability),
                parse.GetValue(latency), hasAnswer ? answer : null, limit, parse.GetValue(seed)), ct);
            if (context.Json)
            {
                context.WriteJson(rule);
            }
            else
            {
                context.Console.WriteLine($"{rule.Id}: {Describe(rule)}");
            }

            return ExitCodes.Success;
        });

        var list = new Command("list", "The fault rules, in the order they are tried, with how often each matched and injected").Runs(host, async (context, parse, ct) =>
        {
            var rules = await context.CreateAdminClient().ListFaultsAsync(ct);
            if (context.Json)
            {
                context.WriteJson(rules);
                return ExitCodes.Success;
            }

            var table = new Table().AddColumns("id", "rule", "matched", "injected", "active");
            foreach (var rule in rules)
            {
                table.AddRow(rule.Id, Markup.Escape(Describe(rule)), rule.Matched.ToString(CultureInfo.InvariantCulture),
                    rule.Injected.ToString(CultureInfo.InvariantCulture), rule.Active ? "yes" : "no");
            }

            context.Console.Write(table);
            return ExitCodes.Success;
        });

        var id = new Argument<string?>("id") { Description = "Delete only this rule (faults list shows the ids)", Arity = ArgumentArity.ZeroOrOne };
        var clear = new Command("clear", "Delete every fault rule, or the one given") { id }.Runs(host, async (context, parse, ct) =>
        {
            var admin = context.CreateAdminClient();
            if (parse.GetValue(id) is { Length: > 0 } one)
            {
                await admin.DeleteFaultAsync(one, ct);
                context.Diagnostic($"Deleted fault rule {one}.");
            }
            else
            {
                await admin.ClearFaultsAsync(ct);
                context.Diagnostic("Deleted every fault rule.");
            }

            return ExitCodes.Success;
        });

        return new Command("faults", "Fault injection on a DeviceFeatures server in emulator mode (Emulator:Enabled): add, list, clear") { add, list, clear };
    }

    public static Command Journal(CliHost host)
    {
        var action = new Option<string?>("--action") { Description = "Only this action, e.g. enablefeature" };
        var status = new Option<int?>("--status") { Description = "Only answers with this Withings status, e.g. 101 for refused signatures" }
            .Reads("a Withings status, e.g. 101", OptionValues.Optional(OptionValues.WholeNumber(0, 99_999)));
        var since = new Option<DateTimeOffset?>("--since") { Description = "Only requests at or after this time (ISO 8601; UTC when no offset is given)" }
            .Reads("a time (ISO 8601, e.g. 2026-11-24T09:00:00Z)", OptionValues.Optional<DateTimeOffset>(OptionValues.TryTime));
        var limit = new Option<int?>("--limit") { Description = "At most this many of the latest entries [default 100]" }
            .Reads("a whole number from 1 to 1000", OptionValues.Optional(OptionValues.WholeNumber(1, 1000)));
        var follow = new Option<bool>("--follow", "-f") { Description = "Keep printing new requests until Ctrl+C" }.Flag();

        var clearId = new Command("clear", "Forget the journal's entries (only one partner's with --client-id)").Runs(host, async (context, parse, ct) =>
        {
            var clientId = parse.GetValue(GlobalOptions.ClientId);
            await context.CreateAdminClient().ClearJournalAsync(clientId, ct);
            context.Diagnostic(clientId is null ? "Cleared the journal." : $"Cleared the journal of {clientId}.");
            return ExitCodes.Success;
        });

        var journal = new Command("journal", "The last wire requests of each partner, redacted, with refused signatures explained (filter with --client-id)")
        {
            action, status, since, limit, follow, clearId,
        };
        return journal.Runs(host, async (context, parse, ct) =>
        {
            var admin = context.CreateAdminClient();
            var filter = new JournalFilter(parse.GetValue(GlobalOptions.ClientId), parse.GetValue(action), parse.GetValue(status), parse.GetValue(since));
            var page = await admin.GetJournalAsync(filter, null, parse.GetValue(limit), ct);
            if (page.Size == 0)
            {
                context.Diagnostic("The journal is off on this server (Emulator:JournalSize=0).");
            }

            foreach (var entry in page.Entries)
            {
                Write(context, entry);
            }

            if (!parse.GetValue(follow))
            {
                return ExitCodes.Success;
            }

            // Following ends with Ctrl+C, whatever it interrupts: that is success, not cancellation. Each poll asks only
            // for what came after the last entry seen, at most a page.
            var after = page.NextAfter;
            try
            {
                while (true)
                {
                    await Task.Delay(context.Host.FollowInterval, context.Host.Time, ct);
                    var next = await admin.GetJournalAsync(filter, after, RequestJournalPage, ct);
                    foreach (var entry in next.Entries)
                    {
                        Write(context, entry);
                    }

                    after = next.NextAfter;
                }
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
            }

            return ExitCodes.Success;
        });
    }

    private const int RequestJournalPage = 1000;

    private static void Write(CliContext context, JournalEntry entry)
    {
        if (context.Json)
        {
            context.Host.Out.WriteLine(CliContext.ToJson(entry));
            return;
        }

        var outcome = entry.Status is { } status ? $"status {status}" : entry.HttpStatus is { } http ? $"HTTP {http}, no envelope" : "connection dropped";
        var injected = entry.Injected ? $" [injected by {entry.FaultId}]" : "";
        var error = entry.Error is null ? "" : $": {entry.Error}";
        context.Host.Out.WriteLine(
            $"{entry.Time.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss'Z'", CultureInfo.InvariantCulture)} #{entry.Sequence} {entry.ClientId ?? "-"} " +
            $"{entry.Service} {entry.Action ?? "-"} -> {outcome}{injected}{error}");
        if (entry.SignatureExplanation is { } why)
        {
            context.Host.Out.WriteLine($"    sign exactly: {why.ExpectedString}");
            context.Host.Out.WriteLine($"    mistake: {why.Mistake}" + (why.Differing.Count == 0 ? "" : $" (differs: {string.Join(", ", why.Differing)})"));
            if (why.SignedString is { } signed)
            {
                context.Host.Out.WriteLine($"    you signed: {signed.Replace("\r", "\\r", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal)}");
            }
        }
    }

    private static string Describe(FaultRule rule)
    {
        var what = string.Join(' ', new[]
        {
            rule.ClientId is null ? null : $"partner={rule.ClientId}",
            rule.Service is null ? null : $"service={rule.Service}",
            rule.Action is null ? null : $"action={rule.Action}",
        }.Where(p => p is not null));
        var answer = rule.Answer switch
        {
            { Status: { } s, WaitSeconds: { } w } => $"status {s} (wait_seconds {w})",
            { Status: { } s } => $"status {s}",
            { HttpStatus: { } h } => $"HTTP {h} without an envelope",
            { Drop: true } => "connection dropped",
            { SlowBodyMs: { } ms } => $"body slowed by {ms} ms",
            _ => "the real answer",
        };
        var parts = new List<string> { (what.Length == 0 ? "every request" : what) + " -> " + answer };
        if (rule.LatencyMs is { } latency)
        {
            parts.Add($"after {latency} ms");
        }

        if (rule.Probability < 1)
        {
            parts.Add($"probability {rule.Probability.ToString(CultureInfo.InvariantCulture)} (seed {rule.Seed.ToString(CultureInfo.InvariantCulture)})");
        }

        if (rule.Limit?.Count is { } count)
        {
            parts.Add($"{count} time(s) at most");
        }

        if (rule.Limit?.Until is { } until)
        {
            parts.Add($"until {until.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss'Z'", CultureInfo.InvariantCulture)}");
        }

        return string.Join(", ", parts);
    }

    private static bool TryProbability(string text, out double value) =>
        double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out value) && value is >= 0 and <= 1;
}
