using System.CommandLine;
using System.Globalization;
using DeviceFeatures.Client.Admin;
using DeviceFeatures.Protocol.Admin;
using Spectre.Console;

namespace DeviceFeatures.Cli.Commands;

/// <summary>
/// <c>admin operators list|show|set-role|disable|enable|unlock|reset-password|delete</c>: the console's accounts
/// (<c>create</c> is in <see cref="AdminCommands"/>).
/// </summary>
internal static class OperatorCommands
{
    public static Command AddTo(Command operators, CliHost host)
    {
        operators.Subcommands.Add(List(host));
        operators.Subcommands.Add(Change(host, "show", "Show an operator: role, state, lockout", (admin, name, ct) => admin.GetOperatorAsync(name, ct)));
        operators.Subcommands.Add(SetRole(host));
        operators.Subcommands.Add(Change(host, "disable", "Disable an operator: no sign-in, open sessions end (never the last administrator)",
            (admin, name, ct) => admin.DisableOperatorAsync(name, ct)));
        operators.Subcommands.Add(Change(host, "enable", "Enable a disabled operator again", (admin, name, ct) => admin.EnableOperatorAsync(name, ct)));
        operators.Subcommands.Add(Change(host, "unlock", "Clear an operator's lockout after too many wrong passwords",
            (admin, name, ct) => admin.UnlockOperatorAsync(name, ct)));
        operators.Subcommands.Add(ResetPassword(host));
        operators.Subcommands.Add(Delete(host));
        return operators;
    }

    private static Argument<string> NameArgument() => new("name") { Description = "The operator's sign-in name" };

    private static Command List(CliHost host) => new Command("list", "List the operators of the console").Runs(host, async (context, _, ct) =>
    {
        var operators = await context.CreateAdminClient().ListOperatorsAsync(ct);
        if (context.Json)
        {
            context.WriteJson(operators);
            return ExitCodes.Success;
        }

        var table = new Table().AddColumns("name", "role", "state", "created");
        foreach (var o in operators)
        {
            table.AddRow(o.Name, o.Role, State(o, context.Host.Time.GetUtcNow()), Time(o.CreatedAt));
        }

        context.Console.Write(table);
        return ExitCodes.Success;
    });

    private static Command SetRole(CliHost host)
    {
        var name = NameArgument();
        var role = new Argument<string>("role") { Description = "administrator, customer_success or support" };
        role.AcceptOnlyFromAmong("administrator", "customer_success", "support");
        return new Command("set-role", "Give an operator another role; its open sessions end (never demotes the last administrator)") { name, role }
            .Runs(host, async (context, parse, ct) =>
            {
                Write(context, await context.CreateAdminClient().SetOperatorRoleAsync(parse.GetValue(name)!, parse.GetValue(role)!, ct));
                return ExitCodes.Success;
            });
    }

    private static Command Change(CliHost host, string command, string description, Func<DeviceFeaturesAdminClient, string, CancellationToken, Task<OperatorAccount>> action)
    {
        var name = NameArgument();
        return new Command(command, description) { name }.Runs(host, async (context, parse, ct) =>
        {
            Write(context, await action(context.CreateAdminClient(), parse.GetValue(name)!, ct));
            return ExitCodes.Success;
        });
    }

    // --name, like create: the command's other input is a flag, and a flag's stray value must not be read as the name.
    private static Command ResetPassword(CliHost host)
    {
        var name = new Option<string>("--name") { Description = "The operator's sign-in name", Required = true };
        var passwordFromStdin = new Option<bool>("--password-stdin")
        {
            Description = "Read the new password from standard input (at least 12 characters) instead of having one generated",
        }.Flag();
        return new Command("reset-password", "Give an operator a new password (a generated one is shown only now); its sessions end, its lockout is cleared")
        {
            name, passwordFromStdin,
        }.Runs(host, async (context, parse, ct) =>
        {
            var password = parse.GetValue(passwordFromStdin) ? host.ReadPasswordFromStdin() : null;
            var reset = await context.CreateAdminClient().ResetOperatorPasswordAsync(parse.GetValue(name)!, password, ct);
            if (context.Json)
            {
                context.WriteJson(reset);
            }
            else if (reset.Password is { } generated)
            {
                context.Console.WriteLine($"password: {generated}");
                context.Diagnostic("Keep the password now: it is not shown again.");
            }
            else
            {
                context.Diagnostic($"The password of {reset.Name} is changed; its open sessions have ended.");
            }

            return ExitCodes.Success;
        });
    }

    private static Command Delete(CliHost host)
    {
        var name = NameArgument();
        return new Command("delete", "Delete an operator; its open sessions end (never the last administrator)") { name }.Runs(host, async (context, parse, ct) =>
        {
            var operatorName = parse.GetValue(name)!;
            await context.CreateAdminClient().DeleteOperatorAsync(operatorName, ct);
            if (context.Json)
            {
                context.WriteJson(new { name = operatorName, deleted = true });
            }
            else
            {
                context.Console.WriteLine($"deleted {operatorName}");
            }

            return ExitCodes.Success;
        });
    }

    private static void Write(CliContext context, OperatorAccount account)
    {
        if (context.Json)
        {
            context.WriteJson(account);
            return;
        }

        context.Console.WriteLine($"name:    {account.Name}");
        context.Console.WriteLine($"role:    {account.Role}");
        context.Console.WriteLine($"state:   {State(account, context.Host.Time.GetUtcNow())}");
        context.Console.WriteLine($"created: {Time(account.CreatedAt)}");
    }

    private static string State(OperatorAccount account, DateTimeOffset now) =>
        account.Disabled ? "disabled"
        : account.LockedUntil is { } until && until > now ? $"locked until {Time(until)}"
        : "active";

    private static string Time(DateTimeOffset at) => at.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss'Z'", CultureInfo.InvariantCulture);
}
