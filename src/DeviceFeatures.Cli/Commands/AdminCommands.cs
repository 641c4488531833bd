using System.CommandLine;
using System.Globalization;
using DeviceFeatures.Client.Admin;
using DeviceFeatures.Protocol.Admin;
using Spectre.Console;

namespace DeviceFeatures.Cli.Commands;

/// <summary><c>admin ...</c>: the operators' commands over the admin API.</summary>
internal static class AdminCommands
{
    public static Command Create(CliHost host) => new("admin", "Operate a DeviceFeatures server (needs the admin key)")
    {
        Partners(host),
        Operators(host),
        Users(host),
        DeviceCommands.Create(host),
        Entitlements(host),
        Programme(host),
        State(host),
        ChangeEventCommands.Events(host),
        Audit(host),
    };

    private static Command Operators(CliHost host)
    {
        var name = new Option<string>("--name") { Description = "The operator's sign-in name (lowercase letters, digits, '.', '_' or '-')", Required = true };
        var role = new Option<string>("--role") { Description = "administrator, customer_success or support", Required = true };
        role.AcceptOnlyFromAmong("administrator", "customer_success", "support");
        var passwordFromStdin = new Option<bool>("--password-stdin")
        {
            Description = "Read the password from standard input (at least 12 characters) instead of having one generated",
        }.Flag();
        var create = new Command("create", "Create an operator of the console; a generated password is shown only now")
        {
            name, role, passwordFromStdin,
        }.Runs(host, async (context, parse, ct) =>
        {
            var password = parse.GetValue(passwordFromStdin) ? host.ReadPasswordFromStdin() : null;
            var created = await context.CreateAdminClient().CreateOperatorAsync(parse.GetValue(name)!, parse.GetValue(role)!, password, ct);
            if (context.Json)
            {
                context.WriteJson(created);
            }
            else
            {
                context.Console.WriteLine($"name:     {created.Name}");
                context.Console.WriteLine($"role:     {created.Role}");
                if (created.Password is { } generated)
                {
                    context.Console.WriteLine($"password: {generated}");
                    context.Diagnostic("Keep the password now: it is not shown again. Sign in at <server>/console.");
                }
            }

            return ExitCodes.Success;
        });
        return OperatorCommands.AddTo(new Command("operators", "Accounts of the operator console (/console)") { create }, host);
    }

    private static Command Partners(CliHost host)
    {
        var name = new Argument<string>("name") { Description = "The partner's name" };
        var create = new Command("create", "Create a partner; its client secret is shown only now") { name }.Runs(host, async (context, parse, ct) =>
        {
            var created = await context.CreateAdminClient().CreatePartnerAsync(parse.GetValue(name)!, ct);
            if (context.Json)
            {
                context.WriteJson(created);
            }
            else
            {
                context.Console.WriteLine($"client_id:     {created.ClientId}");
                context.Console.WriteLine($"client_secret: {created.ClientSecret}");
                context.Diagnostic("Keep the secret now: it is not shown again (rotate it if it is lost).");
            }

            return ExitCodes.Success;
        });

        var list = new Command("list", "List partners").Runs(host, async (context, _, ct) =>
        {
            var partners = await context.CreateAdminClient().ListPartnersAsync(ct);
            if (context.Json)
            {
                context.WriteJson(partners);
                return ExitCodes.Success;
            }

            var table = new Table().AddColumns("client_id", "name", "status", "requests/min", "callback", "created");
            foreach (var p in partners)
            {
                table.AddRow(p.ClientId, Markup.Escape(p.Name), p.Status, p.RequestsPerMinute == 0 ? "unlimited" : p.RequestsPerMinute.ToString(CultureInfo.InvariantCulture),
                    Markup.Escape(p.CallbackUrl ?? ""), Time(p.CreatedAt));
            }

            context.Console.Write(table);
            return ExitCodes.Success;
        });

        return new Command("partners", "Partners and their secrets")
        {
            create,
            list,
            RotateSecret(host),
            RateLimit(host),
            ChangeEventCommands.Callback(host),
            PartnerAction(host, "suspend", "Suspend a partner: its requests are refused", async (admin, id, ct) =>
            {
                var partner = await admin.SuspendPartnerAsync(id, ct);
                return (partner, $"{partner.ClientId} is {partner.Status}");
            }),
            PartnerAction(host, "resume", "Resume a suspended partner", async (admin, id, ct) =>
            {
                var partner = await admin.ResumePartnerAsync(id, ct);
                return (partner, $"{partner.ClientId} is {partner.Status}");
            }),
        };
    }

    private static Command RotateSecret(CliHost host)
    {
        var clientId = new Argument<string>("client-id") { Description = "The partner's client id" };
        var overlap = new Option<int?>("--overlap")
        {
            Description = "Seconds the previous secret is still accepted (0: stop it at once) [default: the server's, an hour]",
        }.Reads("a number of seconds (a whole number, e.g. 600, or 0 to stop the previous secret at once)",
            OptionValues.Optional(OptionValues.WholeNumber(0, int.MaxValue)));
        return new Command("rotate-secret", "Give a partner a new client secret; the previous one keeps working for the overlap")
        {
            clientId, overlap,
        }.Runs(host, async (context, parse, ct) =>
        {
            var seconds = parse.GetValue(overlap);
            var secret = await context.CreateAdminClient().RotateSecretAsync(
                parse.GetValue(clientId)!, seconds is { } s ? TimeSpan.FromSeconds(s) : null, ct);
            if (context.Json)
            {
                context.WriteJson(secret);
                return ExitCodes.Success;
            }

            context.Console.WriteLine($"client_secret: {secret.ClientSecret}");
            context.Diagnostic(secret.PreviousSecretExpiresAt is { } until
                ? $"The previous secret is accepted until {Time(until)}."
                : "The previous secret no longer works.");
            return ExitCodes.Success;
        });
    }

    private static Command RateLimit(CliHost host)
    {
        var clientId = new Argument<string>("client-id") { Description = "The partner's client id" };
        var quota = new Argument<string>("requests-per-minute") { Description = "Signed requests per minute, 0 for unlimited, or 'default'" };
        return new Command("rate-limit", "Set a partner's quota of requests per minute") { clientId, quota }.Runs(host, async (context, parse, ct) =>
        {
            var text = parse.GetValue(quota)!;
            int? perMinute = text.Equals("default", StringComparison.OrdinalIgnoreCase) ? null
                : int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n
                : throw new CliException(ExitCodes.Usage, $"'{text}' is not a number of requests per minute, 0 or 'default'.");
            var partner = await context.CreateAdminClient().SetRateLimitAsync(parse.GetValue(clientId)!, perMinute, ct);
            if (context.Json)
            {
                context.WriteJson(partner);
            }
            else
            {
                var limit = partner.RequestsPerMinute == 0 ? "unlimited" : $"{partner.RequestsPerMinute} requests per minute";
                context.Console.WriteLine($"{partner.ClientId}: {limit}{(partner.DefaultRateLimit ? " (the default)" : "")}");
            }

            return ExitCodes.Success;
        });
    }

    private static Command PartnerAction<T>(
        CliHost host, string name, string description, Func<DeviceFeaturesAdminClient, string, CancellationToken, Task<(T Value, string Text)>> action)
    {
        var clientId = new Argument<string>("client-id") { Description = "The partner's client id" };
        return new Command(name, description) { clientId }.Runs(host, async (context, parse, ct) =>
        {
            var (value, text) = await action(context.CreateAdminClient(), parse.GetValue(clientId)!, ct);
            if (context.Json)
            {
                context.WriteJson(value);
            }
            else
            {
                context.Console.WriteLine(text);
            }

            return ExitCodes.Success;
        });
    }

    private static Command Users(CliHost host)
    {
        var devices = new Option<string[]>("--device")
        {
            Description = "A device to link, as MAC:MODEL:MARKET, e.g. 00:24:e4:12:34:56:17:EU (repeatable)",
        };
        var create = new Command("create", "Create a user of the partner named by --client-id, and link devices to it") { devices }
            .Runs(host, async (context, parse, ct) =>
            {
                var clientId = PartnerOf(parse, "admin users create");
                var links = (parse.GetValue(devices) ?? []).Select(ParseDevice).ToArray();
                var userId = await context.CreateAdminClient().CreateUserAsync(clientId, links, ct);
                if (context.Json)
                {
                    context.WriteJson(new { userid = userId });
                }
                else
                {
                    context.Console.WriteLine(userId.ToString(CultureInfo.InvariantCulture));
                }

                return ExitCodes.Success;
            });
        return new Command("users", "Users and their devices") { create };
    }

    /// <summary>On admin commands, <c>--client-id</c> names the partner acted upon, and only the command line counts.</summary>
    private static string PartnerOf(ParseResult parse, string command) =>
        parse.GetValue(GlobalOptions.ClientId) is { Length: > 0 } clientId
            ? clientId
            : throw new CliException(ExitCodes.Usage, $"'{command}' needs --client-id: the partner the user belongs to.");

    internal static DeviceLink ParseDevice(string text)
    {
        // The MAC address has colons itself: the model and the market are the last two fields.
        var parts = text.Split(':');
        if (parts.Length < 3 || parts[^1].Length == 0)
        {
            throw new CliException(ExitCodes.Usage, $"'{text}' is not MAC:MODEL:MARKET, e.g. 00:24:e4:12:34:56:17:EU.");
        }

        return new DeviceLink(string.Join(':', parts[..^2]), Arguments.ParseModel(parts[^2]).Id, parts[^1]);
    }

    private static Command Entitlements(CliHost host)
    {
        Command Change(string name, string description, bool grant)
        {
            var clientId = new Argument<string>("client-id") { Description = "The partner's client id" };
            var feature = Arguments.Feature();
            return new Command(name, description) { clientId, feature }.Runs(host, async (context, parse, ct) =>
            {
                var admin = context.CreateAdminClient();
                var featureName = Arguments.ParseFeature(parse.GetValue(feature)!).Value;
                var partner = parse.GetValue(clientId)!;
                if (grant)
                {
                    var entitlement = await admin.GrantEntitlementAsync(partner, featureName, ct);
                    if (context.Json)
                    {
                        context.WriteJson(entitlement);
                    }
                    else
                    {
                        context.Console.WriteLine($"granted {featureName} to {partner}");
                    }
                }
                else
                {
                    await admin.RevokeEntitlementAsync(partner, featureName, ct);
                    if (context.Json)
                    {
                        context.WriteJson(new { client_id = partner, feature_name = featureName, granted = false });
                    }
                    else
                    {
                        context.Console.WriteLine($"revoked {featureName} from {partner}");
                    }
                }

                return ExitCodes.Success;
            });
        }

        var listClientId = new Argument<string>("client-id") { Description = "The partner's client id" };
        var list = new Command("list", "List a partner's grants") { listClientId }.Runs(host, async (context, parse, ct) =>
        {
            var grants = await context.CreateAdminClient().ListEntitlementsAsync(parse.GetValue(listClientId)!, ct);
            if (context.Json)
            {
                context.WriteJson(grants);
                return ExitCodes.Success;
            }

            var table = new Table().AddColumns("feature", "granted");
            foreach (var g in grants)
            {
                table.AddRow(g.FeatureName, Time(g.GrantedAt));
            }

            context.Console.Write(table);
            return ExitCodes.Success;
        });

        return new Command("entitlements", "Grants of gated features (feature_esc, feature_sleep_rx)")
        {
            Change("grant", "Grant a gated feature to a partner", grant: true),
            Change("revoke", "Revoke a partner's grant", grant: false),
            list,
        };
    }

    private static Command Programme(CliHost host)
    {
        Command Change(string name, string description, bool set)
        {
            var clientId = new Argument<string>("client-id") { Description = "The partner's client id" };
            var feature = Arguments.Feature();
            var value = new Argument<string>("value") { Description = "on or off" };
            value.AcceptOnlyFromAmong("on", "off");
            var model = Arguments.Model();
            var command = new Command(name, description) { clientId, feature, model };
            if (set)
            {
                command.Arguments.Add(value);
            }

            return command.Runs(host, async (context, parse, ct) =>
            {
                var admin = context.CreateAdminClient();
                var featureName = Arguments.ParseFeature(parse.GetValue(feature)!).Value;
                var deviceModel = Arguments.ParseModel(parse.GetValue(model)!);
                var partner = parse.GetValue(clientId)!;
                if (set)
                {
                    var choice = await admin.SetProgrammeChoiceAsync(partner, deviceModel.Id, featureName, parse.GetValue(value) == "on", ct);
                    if (context.Json)
                    {
                        context.WriteJson(choice);
                    }
                    else
                    {
                        context.Console.WriteLine($"{featureName} {(choice.Active ? "on" : "off")} for every {Arguments.Describe(deviceModel)} of {partner}, unless its user chose otherwise");
                    }
                }
                else
                {
                    await admin.ClearProgrammeChoiceAsync(partner, deviceModel.Id, featureName, ct);
                    if (context.Json)
                    {
                        context.WriteJson(new { client_id = partner, model = deviceModel.Id, feature_name = featureName, cleared = true });
                    }
                    else
                    {
                        context.Console.WriteLine($"cleared {featureName} for {Arguments.Describe(deviceModel)} of {partner}: the catalog default applies where no user chose");
                    }
                }

                return ExitCodes.Success;
            });
        }

        var listClientId = new Argument<string>("client-id") { Description = "The partner's client id" };
        var list = new Command("list", "List a partner's programme choices") { listClientId }.Runs(host, async (context, parse, ct) =>
        {
            var choices = await context.CreateAdminClient().ListProgrammeChoicesAsync(parse.GetValue(listClientId)!, ct);
            if (context.Json)
            {
                context.WriteJson(choices);
                return ExitCodes.Success;
            }

            if (choices.Count == 0)
            {
                context.Diagnostic("No programme choice: every feature runs with its default unless a user chose (see 'devfeat catalog').");
                return ExitCodes.Success;
            }

            var table = new Table().AddColumns("model", "feature", "active", "updated");
            foreach (var c in choices)
            {
                table.AddRow(Markup.Escape($"{c.ModelName} ({c.Model})"), c.FeatureName, c.Active ? "on" : "off", Time(c.UpdatedAt));
            }

            context.Console.Write(table);
            return ExitCodes.Success;
        });

        return new Command("programme", "A partner's choices for every device of a model (a user's own choice wins)")
        {
            Change("set", "Turn a feature on or off for every device of a model of a partner", set: true),
            Change("clear", "Clear a partner's choice: back to the catalog default", set: false),
            list,
        };
    }

    private static Command State(CliHost host)
    {
        var user = Arguments.User();
        return new Command("state", "The features each of a user's devices runs with, all rules applied") { user }.Runs(host, async (context, parse, ct) =>
        {
            var state = await context.CreateAdminClient().GetUserFeaturesAsync(parse.GetValue(user), ct);
            if (context.Json)
            {
                context.WriteJson(state);
                return ExitCodes.Success;
            }

            context.Console.WriteLine($"user {state.Userid} of partner {state.ClientId}");
            foreach (var device in state.Devices)
            {
                var table = new Table { Title = new TableTitle(Markup.Escape($"{device.ModelName} ({device.Model}) {device.MacAddress} {device.Market} {device.ProgrammeState}")) }
                    .AddColumns("feature", "active", "source", "restriction", "sync");
                var sync = (device.Sync?.Features ?? []).ToDictionary(f => f.FeatureName, StringComparer.Ordinal);
                foreach (var f in device.Features)
                {
                    table.AddRow(f.FeatureName, f.Active ? "on" : "off", f.Source, Markup.Escape(f.Restriction ?? ""),
                        Markup.Escape(SyncText(sync.GetValueOrDefault(f.FeatureName))));
                }

                context.Console.Write(table);
            }

            foreach (var pending in state.PendingChoices)
            {
                context.Console.WriteLine($"pending (no device of model {pending.Model} linked yet): {pending.FeatureName} {(pending.Active ? "on" : "off")}");
            }

            return ExitCodes.Success;
        });
    }

    /// <summary>The sync column of <c>admin state</c>: the status, and the device's reason when it failed.</summary>
    private static string SyncText(FeatureSyncState? sync) =>
        sync is null ? "" : sync.Status == FeatureSyncStatuses.SyncFailed && sync.Reason is { } reason ? $"{sync.Status}: {reason}" : sync.Status;

    private static Command Audit(CliHost host)
    {
        var user = new Option<int?>("--user", "-u") { Description = "Only this user's events" }
            .Reads(OptionValues.UserId, OptionValues.Optional<int>(OptionValues.TryUserId));
        var since = new Option<DateTimeOffset?>("--since") { Description = "Only events at or after this time (ISO 8601; UTC when no offset is given)" }
            .Reads("a time (ISO 8601, e.g. 2026-11-24T09:00:00Z or 2026-11-24)", OptionValues.Optional<DateTimeOffset>(OptionValues.TryTime));
        var follow = new Option<bool>("--follow", "-f") { Description = "Keep printing new events until Ctrl+C" }.Flag();
        var export = new Option<FileInfo?>("--export") { Description = "Write the events to this file as JSON lines" }
            .Reads("a file path", OptionValues.TryFile);
        var command = new Command("audit", "Who changed what, and when (filter with --client-id, --user, --since)") { user, since, follow, export };
        return command.Runs(host, async (context, parse, ct) =>
        {
            var admin = context.CreateAdminClient();
            var filter = new AuditFilter(parse.GetValue(GlobalOptions.ClientId), parse.GetValue(user), parse.GetValue(since));
            var file = parse.GetValue(export);
            await using var writer = file is null ? null : new StreamWriter(file.FullName, append: false);

            long? after = null;
            var count = 0;
            await foreach (var e in admin.ReadAuditAsync(filter, null, ct))
            {
                Write(context, writer, e);
                after = e.Id;
                count++;
            }

            if (writer is not null)
            {
                await writer.FlushAsync(ct);
                context.Diagnostic($"Exported {count} event(s) to {file!.FullName}.");
            }

            if (!parse.GetValue(follow))
            {
                return ExitCodes.Success;
            }

            // Following ends with Ctrl+C, whatever it interrupts: that is success, not cancellation.
            try
            {
                while (true)
                {
                    await Task.Delay(context.Host.FollowInterval, context.Host.Time, ct);
                    await foreach (var e in admin.ReadAuditAsync(filter, after, ct))
                    {
                        Write(context, writer, e);
                        after = e.Id;
                    }

                    if (writer is not null)
                    {
                        await writer.FlushAsync(ct);
                    }
                }
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
            }

            return ExitCodes.Success;
        });
    }

    private static void Write(CliContext context, StreamWriter? file, AuditEvent e)
    {
        if (file is not null)
        {
            file.WriteLine(CliContext.ToJson(e));
            return;
        }

        if (context.Json)
        {
            context.Host.Out.WriteLine(CliContext.ToJson(e));
            return;
        }

        var change = e.NewValue is null ? "" : $" {Value(e.OldValue)} -> {Value(e.NewValue)}";
        var what = string.Join(' ', new[]
        {
            e.ClientId is null ? null : $"partner={e.ClientId}",
            e.Userid is null ? null : $"user={e.Userid}",
            e.Model is null ? null : $"model={e.Model}",
            e.FeatureName,
        }.Where(s => s is not null));
        context.Host.Out.WriteLine($"{Time(e.OccurredAt)}  #{e.Id}  {e.Kind}  by {e.Actor}  {what}{change}{(e.Detail is null ? "" : $"  ({e.Detail})")}");
    }

    private static string Value(bool? value) => value switch
    {
        true => "on",
        false => "off",
        null => "default",
    };

    private static string Time(DateTimeOffset at) => at.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss'Z'", CultureInfo.InvariantCulture);
}
