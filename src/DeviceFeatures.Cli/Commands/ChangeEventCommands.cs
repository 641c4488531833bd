using System.CommandLine;
using System.Globalization;
using DeviceFeatures.Protocol.Admin;
using Spectre.Console;

namespace DeviceFeatures.Cli.Commands;

/// <summary><c>admin partners callback ...</c> and <c>admin events ...</c>: where change events go, and the events themselves.</summary>
internal static class ChangeEventCommands
{
    public static Command Callback(CliHost host)
    {
        var clientId = new Argument<string>("client-id") { Description = "The partner's client id" };
        var url = new Argument<string>("url") { Description = "An absolute http or https URL, e.g. https://partner.example/devicefeatures/events" };
        var set = new Command("set", "Send the partner's change events to this URL, signed with its client secret") { clientId, url }
            .Runs(host, async (context, parse, ct) =>
            {
                var text = parse.GetValue(url)!;
                if (!Uri.TryCreate(text, UriKind.Absolute, out var uri))
                {
                    throw new CliException(ExitCodes.Usage, $"'{text}' is not an absolute URL, e.g. https://partner.example/devicefeatures/events.");
                }

                var partner = await context.CreateAdminClient().SetCallbackAsync(parse.GetValue(clientId)!, uri, ct);
                Print(context, partner);
                return ExitCodes.Success;
            });

        var clearId = new Argument<string>("client-id") { Description = "The partner's client id" };
        var clear = new Command("clear", "Stop the partner's change events; its pending ones are parked (replay them after setting a URL again)") { clearId }
            .Runs(host, async (context, parse, ct) =>
            {
                var partner = await context.CreateAdminClient().ClearCallbackAsync(parse.GetValue(clearId)!, ct);
                Print(context, partner);
                return ExitCodes.Success;
            });

        return new Command("callback", "The URL a partner's change events are POSTed to") { set, clear };
    }

    public static Command Events(CliHost host)
    {
        var state = new Option<string?>("--state") { Description = "Only events in this state: pending, delivered or parked" };
        state.AcceptOnlyFromAmong(ChangeEventStates.Pending, ChangeEventStates.Delivered, ChangeEventStates.Parked);
        var list = new Command("list", "Change events, oldest first (filter with --client-id and --state)") { state }.Runs(host, async (context, parse, ct) =>
        {
            var admin = context.CreateAdminClient();
            var events = new List<ChangeEvent>();
            string? after = null;
            do
            {
                var page = await admin.ListEventsAsync(parse.GetValue(GlobalOptions.ClientId), parse.GetValue(state), after, 1000, ct);
                events.AddRange(page.Events);
                after = page.NextAfter;
            }
            while (after is not null);

            if (context.Json)
            {
                context.WriteJson(events);
                return ExitCodes.Success;
            }

            var table = new Table().AddColumns("event_id", "type", "partner", "user", "feature", "state", "attempts", "last error", "created");
            foreach (var e in events)
            {
                table.AddRow(e.EventId, e.Type, e.ClientId, e.Userid?.ToString(CultureInfo.InvariantCulture) ?? "", Markup.Escape(e.FeatureName ?? ""),
                    e.State, e.Attempts.ToString(CultureInfo.InvariantCulture), Markup.Escape(e.LastError ?? ""), Time(e.CreatedAt));
            }

            context.Console.Write(table);
            return ExitCodes.Success;
        });

        var eventId = new Argument<string>("event-id") { Description = "The event's id (admin events list)" };
        var replay = new Command("replay", "Send a parked event again: pending, due now, attempts reset") { eventId }.Runs(host, async (context, parse, ct) =>
        {
            var e = await context.CreateAdminClient().ReplayEventAsync(parse.GetValue(eventId)!, ct);
            if (context.Json)
            {
                context.WriteJson(e);
            }
            else
            {
                context.Console.WriteLine($"{e.EventId} ({e.Type}) is {e.State}");
            }

            return ExitCodes.Success;
        });

        return new Command("events", "Change events sent to partners' callback URLs: list, replay the parked ones") { list, replay };
    }

    private static void Print(CliContext context, Partner partner)
    {
        if (context.Json)
        {
            context.WriteJson(partner);
        }
        else
        {
            context.Console.WriteLine(partner.CallbackUrl is { } url ? $"{partner.ClientId}: change events go to {url}" : $"{partner.ClientId}: no callback URL");
        }
    }

    private static string Time(DateTimeOffset at) => at.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss'Z'", CultureInfo.InvariantCulture);
}
