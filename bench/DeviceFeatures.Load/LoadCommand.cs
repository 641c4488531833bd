using System.CommandLine;

namespace DeviceFeatures.Load;

/// <summary>The command line of the load tool. Progress goes to standard error, the report to standard output.</summary>
internal static class LoadCommand
{
    public const int Ok = 0;
    public const int RequestErrors = 1;
    public const int Usage = 2;
    public const int SetupFailed = 3;
    public const int Cancelled = 130;

    public static async Task<int> RunAsync(string[] args, CancellationToken cancellationToken)
    {
        var connections = new Option<string>("--connections") { Description = "Connection counts; every workload runs at each", DefaultValueFactory = _ => "1,8,32,128" };
        var duration = new Option<string>("--duration") { Description = "Measured time per workload and connection count (10s, 500ms, 1m)", DefaultValueFactory = _ => "10s" };
        var warmup = new Option<string>("--warmup") { Description = "Unmeasured time before each measurement", DefaultValueFactory = _ => "3s" };
        var workloads = new Option<string>("--workloads") { Description = "Which workloads to run: a health, b getnonce, c enable/disable flow, d getfeatures flow, e WireMock flow", DefaultValueFactory = _ => "a,b,c,d,e" };
        var database = new Option<string>("--database") { Description = "The server's storage", DefaultValueFactory = _ => "sqlite" };
        database.AcceptOnlyFromAmong("sqlite", "postgres");
        var postgres = new Option<string?>("--postgres") { Description = "With --database postgres: a connection string to a server where the tool may create (and drop) a throwaway database" };
        var seeded = new Option<string?>("--seeded") { Description = "A pre-seeded database used as it is (SQLite: a file path; PostgreSQL: a database name on the --postgres server); needs --client-id, --client-secret and --user-ids. The run adds choices, audit events and used nonces to it" };
        var clientId = new Option<string?>("--client-id") { Description = "With --seeded: the partner whose users are driven" };
        var clientSecret = new Option<string?>("--client-secret") { Description = "With --seeded: that partner's secret" };
        var userIds = new Option<string?>("--user-ids") { Description = "With --seeded: that partner's user ids, as FIRST-LAST (e.g. 1-1000000)" };
        var users = new Option<int>("--users") { Description = "Users to create in a throwaway database", DefaultValueFactory = _ => 10_000 };
        var rounds = new Option<int>("--rounds") { Description = "Repeat the workload sequence this many times at each connection count and report medians (steadier on a busy machine)", DefaultValueFactory = _ => 1 };
        var pgbench = new Option<string>("--pgbench")
        {
            Description = "With --database postgres: where pgbench runs the equivalent transaction on the same database after each round (target: at --target-connections; all: at every connection count; none)",
            DefaultValueFactory = _ => "target",
        };
        pgbench.AcceptOnlyFromAmong("target", "all", "none");
        var target = new Option<int>("--target-connections") { Description = "The connection count the targets are judged at", DefaultValueFactory = _ => 32 };
        var output = new Option<string>("--output") { Description = "The Markdown file the report is written into (between its load-report markers); 'none' to only print it", DefaultValueFactory = _ => "docs/benchmarks.md" };
        var noBuild = new Option<bool>("--no-build") { Description = "Use the server as last built in Release instead of building it first" };
        var keep = new Option<bool>("--keep-database") { Description = "Keep the throwaway database after the run (its path or name is printed)" };
        var scenario = new Option<string>("--scenario") { Description = "wire: the workloads a-e; sync: devices waiting in long polls while changes are made (docs/benchmarks.md)", DefaultValueFactory = _ => "wire" };
        scenario.AcceptOnlyFromAmong("wire", "sync");
        var devices = new Option<int>("--devices") { Description = "sync: simulated devices, each holding a long poll (one socket here and one in the server)", DefaultValueFactory = _ => 10_000 };
        var changeRate = new Option<double>("--change-rate") { Description = "sync: changes per second through the wire API", DefaultValueFactory = _ => 10 };
        var wait = new Option<int>("--wait") { Description = "sync: seconds each long poll may wait (1-60)", DefaultValueFactory = _ => 60 };

        var root = new RootCommand("""
            Load test of the DeviceFeatures server: starts it in Release on a loopback port with a throwaway database,
            creates a partner and its users, then measures (a) /health/live, (b) getnonce, (c) the getnonce +
            enable/disablefeature flow, (d) the getnonce + getfeatures flow and (e) the same flow against WireMock.Net,
            all in one run, and reports rates, latencies, errors, the server's peak memory, ratios and targets.
            With --scenario sync: N simulated devices wait in long polls while changes are made through the wire API at a
            steady rate; reports change-to-device latency, the server's memory while they wait, and the targets.
            Exit codes: 0 done, 1 some requests failed, 2 usage, 3 setup failed, 130 cancelled.
            """)
        {
            connections, duration, warmup, rounds, workloads, database, postgres, pgbench, seeded, clientId, clientSecret, userIds, users, target, output, noBuild, keep,
            scenario, devices, changeRate, wait,
        };

        root.SetAction(async (parse, ct) =>
        {
            if (parse.GetValue(scenario) == "sync")
            {
                return await RunSyncAsync(parse, duration, database, postgres, output, noBuild, keep, devices, changeRate, wait, args, ct);
            }

            var problems = new List<string>();
            if (!SettingParsers.TryParseConnections(parse.GetValue(connections)!, out var connectionList))
            {
                problems.Add($"--connections must list whole numbers from 1 to {LoadLimits.MaxConnections}, e.g. 1,8,32,128");
            }

            if (!SettingParsers.TryParseDuration(parse.GetValue(duration)!, out var durationValue) || durationValue <= TimeSpan.Zero || durationValue > LoadLimits.MaxPhase)
            {
                problems.Add($"--duration must be a time such as 10s, 500ms or 1m, above 0 and at most {LoadLimits.MaxPhase.TotalMinutes:0} minutes");
            }

            if (!SettingParsers.TryParseDuration(parse.GetValue(warmup)!, out var warmupValue) || warmupValue < TimeSpan.Zero || warmupValue > LoadLimits.MaxPhase)
            {
                problems.Add("--warmup must be a time such as 3s or 0s");
            }

            if (!Workload.TryParseList(parse.GetValue(workloads)!, out var workloadList))
            {
                problems.Add("--workloads must list letters among a, b, c, d, e");
            }

            var kind = parse.GetValue(database) == "postgres" ? DatabaseKind.Postgres : DatabaseKind.Sqlite;
            if (kind == DatabaseKind.Postgres && string.IsNullOrWhiteSpace(parse.GetValue(postgres)))
            {
                problems.Add("--database postgres needs --postgres \"<connection string>\"");
            }

            UserRange? range = null;
            if (parse.GetValue(seeded) is not null)
            {
                if (string.IsNullOrEmpty(parse.GetValue(clientId)) || string.IsNullOrEmpty(parse.GetValue(clientSecret)))
                {
                    problems.Add("--seeded needs --client-id and --client-secret of a partner in that database");
                }

                if (parse.GetValue(userIds) is not { } ids || !UserRange.TryParse(ids, out var parsed))
                {
                    problems.Add("--seeded needs --user-ids FIRST-LAST, the ids of that partner's users");
                }
                else
                {
                    range = parsed;
                }

                if (kind == DatabaseKind.Sqlite && !File.Exists(parse.GetValue(seeded)))
                {
                    problems.Add($"--seeded: no file at {parse.GetValue(seeded)}");
                }
            }

            var userCount = parse.GetValue(users);
            if (userCount < 1 || userCount > LoadLimits.MaxUsers)
            {
                problems.Add($"--users must be from 1 to {LoadLimits.MaxUsers:N0}");
            }

            var roundCount = parse.GetValue(rounds);
            if (roundCount < 1 || roundCount > LoadLimits.MaxRounds)
            {
                problems.Add($"--rounds must be from 1 to {LoadLimits.MaxRounds}");
            }

            if (problems.Count > 0)
            {
                foreach (var problem in problems)
                {
                    await Console.Error.WriteLineAsync($"error: {problem}");
                }

                return Usage;
            }

            var outputPath = parse.GetValue(output)!;
            var settings = new LoadSettings
            {
                Connections = connectionList,
                Duration = durationValue,
                Warmup = warmupValue,
                Workloads = workloadList,
                Database = kind,
                Postgres = parse.GetValue(postgres),
                Seeded = parse.GetValue(seeded),
                ClientId = parse.GetValue(clientId),
                ClientSecret = parse.GetValue(clientSecret),
                SeededUsers = range,
                Users = userCount,
                TargetConnections = parse.GetValue(target),
                Anchor = parse.GetValue(pgbench) switch { "all" => AnchorScope.All, "none" => AnchorScope.None, _ => AnchorScope.Target },
                Rounds = roundCount,
                Output = outputPath.Equals("none", StringComparison.OrdinalIgnoreCase) ? null : outputPath,
                NoBuild = parse.GetValue(noBuild),
                KeepDatabase = parse.GetValue(keep),
                CommandLine = "dotnet run -c Release --project bench/DeviceFeatures.Load" + (args.Length > 0 ? " -- " + SettingParsers.Redact(args) : ""),
            };

            try
            {
                return await LoadSession.RunAsync(settings, ct);
            }
            catch (LoadException ex)
            {
                await Console.Error.WriteLineAsync($"error: {ex.Message}");
                return SetupFailed;
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                await Console.Error.WriteLineAsync("cancelled");
                return Cancelled;
            }
        });

        var parseResult = root.Parse(args);
        if (parseResult.Errors.Count > 0)
        {
            foreach (var error in parseResult.Errors)
            {
                await Console.Error.WriteLineAsync($"error: {error.Message}");
            }

            return Usage;
        }

        return await parseResult.InvokeAsync(new InvocationConfiguration(), cancellationToken);
    }

    private static async Task<int> RunSyncAsync(
        ParseResult parse, Option<string> duration, Option<string> database, Option<string?> postgres, Option<string> output, Option<bool> noBuild,
        Option<bool> keep, Option<int> devices, Option<double> changeRate, Option<int> wait, string[] args, CancellationToken ct)
    {
        // The wire scenario's 10 s default is too short to see a long poll expire: the sync scenario's is 60 s.
        var durationText = parse.GetResult(duration) is { Implicit: false } ? parse.GetValue(duration)! : "60s";
        var problems = new List<string>();
        if (!SettingParsers.TryParseDuration(durationText, out var length))
        {
            problems.Add("--duration must be a time such as 60s or 2m");
        }

        var kind = parse.GetValue(database) == "postgres" ? DatabaseKind.Postgres : DatabaseKind.Sqlite;
        if (kind == DatabaseKind.Postgres && string.IsNullOrWhiteSpace(parse.GetValue(postgres)))
        {
            problems.Add("--database postgres needs --postgres \"<connection string>\"");
        }

        problems.AddRange(SyncSettings.Problems(parse.GetValue(devices), parse.GetValue(changeRate), length, parse.GetValue(wait)));
        if (problems.Count > 0)
        {
            foreach (var problem in problems)
            {
                await Console.Error.WriteLineAsync($"error: {problem}");
            }

            return Usage;
        }

        var outputPath = parse.GetValue(output)!;
        var settings = new SyncSettings
        {
            Devices = parse.GetValue(devices),
            ChangeRate = parse.GetValue(changeRate),
            Duration = length,
            WaitSeconds = parse.GetValue(wait),
            Database = kind,
            Postgres = parse.GetValue(postgres),
            Output = outputPath.Equals("none", StringComparison.OrdinalIgnoreCase) ? null : outputPath,
            NoBuild = parse.GetValue(noBuild),
            KeepDatabase = parse.GetValue(keep),
            CommandLine = "dotnet run -c Release --project bench/DeviceFeatures.Load -- " + SettingParsers.Redact(args),
        };

        try
        {
            return await SyncScenario.RunAsync(settings, ct);
        }
        catch (LoadException ex)
        {
            await Console.Error.WriteLineAsync($"error: {ex.Message}");
            return SetupFailed;
        }
        catch (DeviceFeatures.Cli.CliException ex)
        {
            await Console.Error.WriteLineAsync($"error: {ex.Message}");
            return SetupFailed;
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            await Console.Error.WriteLineAsync("cancelled");
            return Cancelled;
        }
    }
}
