using System.Globalization;
using System.Security.Cryptography;

namespace DeviceFeatures.Load;

/// <summary>One run: build, start, provision, measure every workload at every connection count, report, clean up.</summary>
internal static class LoadSession
{
    public static async Task<int> RunAsync(LoadSettings settings, CancellationToken cancellationToken)
    {
        var startedAt = TimeProvider.System.GetUtcNow();
        var environment = await RunEnvironment.DetectAsync(cancellationToken).ConfigureAwait(false);
        await environment.EnsureServerBuildAsync(settings.NoBuild, Progress, cancellationToken).ConfigureAwait(false);

        // Throwaway credentials of this run only: a fresh admin key for the server it starts.
        var adminKey = "load-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(24));
        string? throwawayDirectory = null;
        PostgresDatabase? postgres = null;
        string connectionString;
        string databaseDescription;
        if (settings.Database == DatabaseKind.Postgres)
        {
            postgres = settings.Seeded is { } name
                ? PostgresDatabase.Existing(settings.Postgres!, name)
                : await PostgresDatabase.CreateAsync(settings.Postgres!, cancellationToken).ConfigureAwait(false);
            postgres.Keep = settings.KeepDatabase;
            connectionString = postgres.ConnectionString;
            databaseDescription = settings.Seeded is null ? $"PostgreSQL, throwaway database `{postgres.Name}`" : $"PostgreSQL, pre-seeded database `{postgres.Name}`";
            Progress($"PostgreSQL database {postgres.Name}");
        }
        else if (settings.Seeded is { } file)
        {
            connectionString = SqliteConnectionString(Path.GetFullPath(file));
            databaseDescription = $"SQLite, pre-seeded file `{Path.GetFileName(file)}` (WAL, synchronous=FULL)";
        }
        else
        {
            throwawayDirectory = Directory.CreateTempSubdirectory("devicefeatures-load-").FullName;
            connectionString = SqliteConnectionString(Path.Combine(throwawayDirectory, "load.db"));
            databaseDescription = "SQLite, throwaway file on the local disk (ext4), WAL, synchronous=FULL";
            Progress($"SQLite database {Path.Combine(throwawayDirectory, "load.db")}");
        }

        var serverSettings = new List<string>
        {
            $"--Storage:Provider={(settings.Database == DatabaseKind.Postgres ? "postgres" : "sqlite")}",
            $"--Storage:ConnectionString={connectionString}",
            $"--Admin:ApiKey={adminKey}",
            "--Logging:LogLevel:Default=Warning",
            "--Demo:Enabled=false",

            // One partner sends tens of thousands of requests a second here: its quota would turn them into 601s.
            "--RateLimit:Enabled=false",
        };

        var results = new List<PhaseResult>();
        PostgresServerFacts? postgresFacts = null;
        PostgresCpu? databaseCpu = null;
        PostgresAnchor? anchor = null;
        string? anchorUnavailable = null;
        try
        {
            var port = ServerProcess.FreePort();
            Progress($"starting the server on 127.0.0.1:{port}");
            await using var server = await ServerProcess.StartAsync(environment.ServerDll, port, serverSettings, cancellationToken).ConfigureAwait(false);
            Progress($"server pid {server.Pid} is live");
            await using var memory = new MemorySampler(server.Pid);

            var (partner, users) = await ProvisionAsync(settings, server, adminKey, cancellationToken).ConfigureAwait(false);
            if (settings.Seeded is null)
            {
                databaseDescription += $"; {users.Description}";
            }

            // After provisioning, so that pgbench writes into the real schema, for the users the workloads drive.
            if (postgres is not null)
            {
                (postgresFacts, databaseCpu, anchor, anchorUnavailable) = await PrepareAnchorAsync(settings, postgres, partner, users.Range, cancellationToken)
                    .ConfigureAwait(false);
            }

            var serverTarget = new LoadTarget(server.BaseAddress, partner, users.Cursor);
            using var peer = settings.Workloads.Any(w => w.Kind == WorkloadKind.PeerFlow) ? WireMockPeer.Start(ServerProcess.FreePort()) : null;
            var peerTarget = peer is null ? null
                : new LoadTarget(peer.BaseAddress, new PartnerCredentials("wiremock-client", "wiremock-secret"), new UserCursor(settings.Users, i => i + 1));

            // One unmeasured pass over every workload first, so that the first measured phase does not pay for the
            // server's (and the generator's) JIT tiering and connection setup.
            if (settings.Warmup > TimeSpan.Zero)
            {
                Progress($"priming: every workload for {settings.Warmup.TotalSeconds:0.#} s at 8 connections, not measured");
                foreach (var workload in settings.Workloads)
                {
                    var target = workload.Kind == WorkloadKind.PeerFlow ? peerTarget! : serverTarget;
                    await LoadRunner.RunAsync(workload, target, 8, 0, TimeSpan.Zero, settings.Warmup, null, null, null, cancellationToken).ConfigureAwait(false);
                }
            }

            // The workloads of one connection count run back to back (and, with --rounds, again in the same order), so
            // that the phases a ratio compares are close in time on a machine whose load changes.
            foreach (var connections in settings.Connections)
            {
                for (var round = 1; round <= settings.Rounds; round++)
                {
                    foreach (var workload in settings.Workloads)
                    {
                        if (server.HasExited)
                        {
                            throw new LoadException($"the server exited during the run:{Environment.NewLine}{server.Tail}");
                        }

                        var target = workload.Kind == WorkloadKind.PeerFlow ? peerTarget! : serverTarget;
                        var result = await LoadRunner.RunAsync(workload, target, connections, round, settings.Warmup, settings.Duration,
                            workload.Kind == WorkloadKind.PeerFlow ? null : memory, workload.Kind == WorkloadKind.PeerFlow ? null : server.Pid,
                            workload.Kind == WorkloadKind.PeerFlow ? null : databaseCpu, cancellationToken).ConfigureAwait(false);
                        results.Add(result);
                        Progress(Describe(result));
                    }

                    // pgbench right after the round's workloads, on the same cluster and database, while the server idles.
                    if (anchor is not null && (settings.Anchor == AnchorScope.All || connections == settings.TargetConnections))
                    {
                        await anchor.RunRoundAsync(connections, round, settings.Warmup, settings.Duration, Progress, cancellationToken).ConfigureAwait(false);
                    }
                }
            }

            var anchorRun = postgres is null || settings.Anchor == AnchorScope.None ? null
                : anchor is null ? AnchorRun.NotRun(anchorUnavailable ?? "not run")
                : anchor.Run.Results.Count == 0 ? AnchorRun.NotRun($"not run: --target-connections {settings.TargetConnections} is not among --connections")
                : anchor.Run;
            var facts = new RunFacts(startedAt, environment, settings, databaseDescription, memory.OverallPeakKb, memory.HighWaterMarkKb(), postgresFacts, anchorRun);
            var report = Report.Render(facts, results);
            await Console.Out.WriteLineAsync(report).ConfigureAwait(false);
            if (settings.Output is { } output)
            {
                var path = Path.IsPathRooted(output) ? output : Path.Combine(environment.RepositoryRoot, output);
                await Report.WriteSectionAsync(path, Report.SectionName(settings.Database), report, CancellationToken.None).ConfigureAwait(false);
                Progress($"report written to {path}");
            }
        }
        finally
        {
            anchor?.Dispose();
            if (postgres is not null)
            {
                await postgres.DisposeAsync().ConfigureAwait(false);
            }

            if (throwawayDirectory is not null)
            {
                if (settings.KeepDatabase)
                {
                    Progress($"kept {Path.Combine(throwawayDirectory, "load.db")}");
                }
                else
                {
                    Directory.Delete(throwawayDirectory, recursive: true);
                }
            }
        }

        return results.Any(r => r.Errors > 0) ? LoadCommand.RequestErrors : LoadCommand.Ok;
    }

    private static async Task<(PartnerCredentials Partner, (UserCursor Cursor, string Description, UserRange? Range) Users)> ProvisionAsync(
        LoadSettings settings, ServerProcess server, string adminKey, CancellationToken cancellationToken)
    {
        if (settings.Seeded is not null)
        {
            var range = settings.SeededUsers!.Value;
            Progress($"pre-seeded database: users {range.First}-{range.Last} of {settings.ClientId}");
            return (new PartnerCredentials(settings.ClientId!, settings.ClientSecret!),
                (new UserCursor(range.Count, i => range.First + i), $"{range.Count:N0} pre-seeded users", range));
        }

        using var provisioner = new Provisioner(server.BaseAddress, adminKey);
        var partner = await provisioner.CreatePartnerAsync(cancellationToken).ConfigureAwait(false);
        Progress($"partner {partner.ClientId} created; creating {settings.Users:N0} users through the admin API");
        var (ids, elapsed) = await Timed.RunAsync(() => provisioner.CreateUsersAsync(partner.ClientId, settings.Users,
            n => Progress($"  {n:N0} users"), cancellationToken)).ConfigureAwait(false);
        var rate = ids.Length / elapsed.TotalSeconds;
        Progress($"{ids.Length:N0} users in {elapsed.TotalSeconds:0.0} s ({rate:N0}/s)");
        if (settings.KeepDatabase && settings.Database == DatabaseKind.Sqlite && ids.Max() - ids.Min() + 1 == ids.Length)
        {
            // The kept database can be measured again as a pre-seeded one; these credentials exist only in it.
            Progress($"to measure the kept database again: --seeded <its path> --client-id {partner.ClientId} --client-secret {partner.ClientSecret} --user-ids {ids.Min()}-{ids.Max()}");
        }
        var contiguous = ids.Max() - ids.Min() + 1 == ids.Length;
        return (partner, (new UserCursor(ids.Length, i => ids[i]),
            string.Create(CultureInfo.InvariantCulture, $"{ids.Length:N0} users (each with an EU Body Pro 2) created through the admin API in {elapsed.TotalSeconds:0.0} s ({rate:N0} users/s, 32 in flight)"),
            contiguous ? new UserRange(ids.Min(), ids.Max()) : null));
    }

    /// <summary>The cluster's settings, its CPU meter when it runs here, and the pgbench anchor (or why there is none).</summary>
    private static async Task<(PostgresServerFacts Facts, PostgresCpu? Cpu, PostgresAnchor? Anchor, string? Unavailable)> PrepareAnchorAsync(
        LoadSettings settings, PostgresDatabase postgres, PartnerCredentials partner, UserRange? users, CancellationToken cancellationToken)
    {
        PostgresServerFacts facts;
        await using (var connection = new Npgsql.NpgsqlConnection(postgres.ConnectionString))
        {
            await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
            facts = await PostgresServerFacts.ReadAsync(connection, cancellationToken).ConfigureAwait(false);
        }

        Progress($"PostgreSQL {facts.Version}: fsync {facts.Fsync}, synchronous_commit {facts.SynchronousCommit}");
        var cpu = await PostgresCpu.FindAsync(postgres.ConnectionString, cancellationToken).ConfigureAwait(false);
        if (settings.Anchor == AnchorScope.None)
        {
            return (facts, cpu, null, null);
        }

        if (users is not { } range)
        {
            return (facts, cpu, null, "not run: the provisioned user ids are not one range");
        }

        var (anchor, unavailable) = await PostgresAnchor.PrepareAsync(postgres.ConnectionString, partner.ClientId, range, cpu, cancellationToken).ConfigureAwait(false);
        Progress(anchor is null ? $"pgbench anchor: {unavailable}" : $"pgbench anchor: {anchor.Run.PgBenchVersion}");
        return (facts, cpu, anchor, unavailable);
    }

    private static string Describe(PhaseResult r)
    {
        var rss = r.PeakRssKb > 0 ? FormattableString.Invariant($"  rss {r.PeakRssKb / 1024.0:0} MiB") : "";
        var cpu = FormattableString.Invariant($"  cpu server {(double.IsNaN(r.ServerCpuPercent) ? "-" : r.ServerCpuPercent.ToString("0", CultureInfo.InvariantCulture))} % tool {r.GeneratorCpuPercent:0} %");
        return FormattableString.Invariant(
            $"({r.Workload.Letter}) {r.Workload.Name,-20} {r.Connections,4} conns round {r.Round}: {r.OperationsPerSecond,9:N0} ops/s {r.RequestsPerSecond,9:N0} req/s  p50 {r.Measured.P50,7:0.00} ms  p99 {r.Measured.P99,7:0.00} ms  p99.9 {r.Measured.P999,7:0.00} ms  errors {r.Errors:N0}{rss}{cpu}");
    }

    private static string SqliteConnectionString(string path) =>
        path.Contains(';', StringComparison.Ordinal) ? $"Data Source=\"{path}\"" : $"Data Source={path}";

    private static void Progress(string line) => Console.Error.WriteLine(line);
}
