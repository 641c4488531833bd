using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using DeviceFeatures.Protocol.Admin;
using DeviceFeatures.Protocol.Callbacks;
using DeviceFeatures.Protocol.DeviceApi;
using DeviceFeatures.Protocol.Envelope;
using DeviceFeatures.Protocol.Signing;
using DeviceFeatures.Server.Tests.ChangeEvents;
using DeviceFeatures.Server.Tests.Infrastructure;
using Npgsql;

namespace DeviceFeatures.Server.Tests.Reliability;

/// <summary>
/// PostgreSQL's own failover under two real server processes: a primary and a synchronous standby
/// (<see cref="ReplicatedClusters"/>), both named in one multi-host connection string. Signed writes run through
/// both instances while the primary is killed (SIGKILL to every one of its processes) and, a second later, the
/// standby promoted with <c>pg_ctl promote</c>. Nothing acknowledged may be lost, no nonce may be accepted twice, the
/// answers in between must be 522, and both instances must serve again, without a restart.
/// </summary>
[NeedsPostgres]
public sealed class PostgresFailoverTests
{
    private const int Workers = 6;

    /// <summary>How long nobody promotes the standby after the kill, as an operator or a monitor takes a while.</summary>
    private static readonly TimeSpan Outage = TimeSpan.FromSeconds(1);

    private static readonly string[] Features =
        ["feature_pwv", "feature_pacemaker", "feature_eyes_closed_mode", "feature_fat_mass", "feature_bone_mass", "feature_visceral_fat"];

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    // Like every PostgreSQL test it runs when PostgreSQL is configured (in CI always); the clusters are its own.
    public PostgresFailoverTests() => PostgresTestDatabase.SkipUnlessConfigured();

    /// <summary>One signed write and what became of it; times on the test's stopwatch.</summary>
    private sealed record Call(int Instance, int User, string Feature, bool Value, Dictionary<string, string> Form, TimeSpan Sent, TimeSpan Answered, int? Status, string? Error);

    /// <summary>As in <see cref="CrashSafetyTests"/>: the last acknowledged value, and the unanswered ones since.</summary>
    private sealed class Expectation
    {
        public bool? Acknowledged { get; set; }

        public List<bool> Uncertain { get; } = [];

        public bool Latest => Uncertain.Count > 0 ? Uncertain[^1] : Acknowledged ?? false;
    }

    [Fact]
    public async Task PrimaryKilled_StandbyPromoted_NothingAcknowledgedLost_NoNonceAcceptedTwice_BothInstancesServeAgain()
    {
        var setup = Stopwatch.StartNew();
        using var clusters = ReplicatedClusters.Create();

        // Instance 1 names its target as docs/deployment.md does; instance 2 leaves it out, and the server asks for the
        // primary by itself. A host found down or a standby is tried again after a second.
        const string Common = ";Host Recheck Seconds=1;Timeout=5;Command Timeout=10";
        string[] connectionStrings = [clusters.ConnectionString + ";Target Session Attributes=primary" + Common, clusters.ConnectionString + Common];

        // The other users of the database take part: the rate-limit counts (in the database on PostgreSQL, with a quota
        // nobody reaches), and change events sent to a partner's callback, retried a second apart. One waiting long
        // poll per device and instance, so that a second one (429) shows that the first is waiting.
        await using var receiver = await CallbackReceiver.StartAsync();
        var starting = connectionStrings.Select(c => ServerProcess.StartAsync(new Dictionary<string, string>
        {
            ["Storage:Provider"] = "postgres",
            ["Storage:ConnectionString"] = c,
            ["RateLimit:Enabled"] = "true",
            ["RateLimit:DefaultRequestsPerMinute"] = "10000000",
            ["Callbacks:RetrySchedule"] = "1s,1s,1s,1s,1s,1s,1s,1s,1s",
            ["Callbacks:PollIntervalSeconds"] = "0.2",
            ["DeviceApi:MaxWaitersPerDevice"] = "1",
        }, ServerProcess.FreePort(), Ct)).ToArray();
        try
        {
            // Both start, and migrate, on the multi-host string at the same time.
            var servers = await Task.WhenAll(starting);
            await RunAsync(clusters, servers, receiver, setup.Elapsed);
        }
        finally
        {
            foreach (var server in starting.Where(s => s.IsCompletedSuccessfully))
            {
                await (await server).DisposeAsync();
            }
        }
    }

    /// <summary>
    /// The standby is down, so every commit on the primary waits for it. When that wait is cancelled, by Npgsql's own
    /// Command Timeout or by an administrator's <c>pg_cancel_backend</c>, PostgreSQL keeps the transaction on the
    /// primary alone and says so with a WARNING, not an error: a failover now would lose it. The answer must be 522
    /// (the outcome is unknown), never 0; the change itself is found committed on the primary.
    /// </summary>
    [Fact]
    public async Task StandbyDown_CommitWaitCancelled_Answers522_NeverSuccess()
    {
        using var clusters = ReplicatedClusters.Create();

        // One instance gives up on a statement after 2 s (Npgsql sends PostgreSQL a cancel request); the other waits
        // long enough for the test to cancel the waiting commit itself. Each has an application name of its own.
        var primary = $"Host=127.0.0.1;Port={clusters.PrimaryPort};Username=postgres;Database=postgres;Timeout=5";
        var starting = new[] { ("timing-out", 2), ("waiting", 120) }.Select(s => ServerProcess.StartAsync(new Dictionary<string, string>
        {
            ["Storage:Provider"] = "postgres",
            ["Storage:ConnectionString"] = $"{primary};Application Name={s.Item1};Command Timeout={s.Item2}",
        }, ServerProcess.FreePort(), Ct)).ToArray();
        try
        {
            var servers = await Task.WhenAll(starting);
            using var timingOut = new HttpClient { BaseAddress = servers[0].BaseAddress, Timeout = TimeSpan.FromSeconds(60) };
            using var waiting = new HttpClient { BaseAddress = servers[1].BaseAddress, Timeout = TimeSpan.FromSeconds(60) };
            var (clientId, secret) = await CrashSafetyTests.CreatePartnerAsync(timingOut);
            var user = await CrashSafetyTests.CreateUserAsync(timingOut, clientId);

            // Signed while the standby is there: getnonce itself writes.
            var (_, timedOutForm) = await SignAsync(timingOut, clientId, secret, user, "feature_pwv", true, Ct);
            var (_, cancelledForm) = await SignAsync(waiting, clientId, secret, user, "feature_pacemaker", true, Ct);
            clusters.StopStandby();

            // Npgsql's Command Timeout fires during the COMMIT.
            var timedOut = await SendAsync(timingOut, timedOutForm!, Ct);

            // An administrator cancels the waiting COMMIT: every backend of that instance waiting for the standby is
            // cancelled (a background write of the instance may be waiting too) until the call is answered.
            var cancelling = SendAsync(waiting, cancelledForm!, Ct);
            var cancels = 0L;
            await using (var admin = new NpgsqlConnection(ReplicatedClusters.Direct(clusters.PrimaryPort)))
            {
                await admin.OpenAsync(Ct);
                await using var cancel = new NpgsqlCommand(
                    "SELECT COUNT(*) FILTER (WHERE pg_cancel_backend(pid)) FROM pg_stat_activity WHERE wait_event = 'SyncRep' AND application_name = 'waiting'", admin);
                var waited = Stopwatch.StartNew();
                while (!cancelling.IsCompleted)
                {
                    Assert.True(waited.Elapsed < TimeSpan.FromSeconds(30), "The call sent to the waiting instance was not answered within 30 s.");
                    cancels += (long)(await cancel.ExecuteScalarAsync(Ct))!;
                    await Task.Delay(50, Ct);
                }
            }

            var cancelled = await cancelling;

            // Both changes are on the primary (committed locally), which is why 0 would be a lie.
            long committed;
            await using (var check = new NpgsqlConnection(ReplicatedClusters.Direct(clusters.PrimaryPort)))
            {
                await check.OpenAsync(Ct);
                await using var count = new NpgsqlCommand(
                    "SELECT COUNT(*) FROM audit_events WHERE userid = @user AND kind LIKE 'feature.%'", check);
                count.Parameters.AddWithValue("user", user);
                committed = (long)(await count.ExecuteScalarAsync(Ct))!;
            }

            var report = $"standby down: Command Timeout during the commit answered {timedOut?.Status} ({timedOut?.Error}); " +
                $"pg_cancel_backend of the waiting commit ({cancels} backend(s) cancelled) answered {cancelled?.Status} ({cancelled?.Error}); " +
                $"{committed} of the 2 changes committed on the primary";
            TestContext.Current.TestOutputHelper?.WriteLine(report);
            TestContext.Current.SendDiagnosticMessage(report);
            Assert.Equal(522, timedOut?.Status);
            Assert.Equal(522, cancelled?.Status);
            Assert.Equal(2, committed);
        }
        finally
        {
            foreach (var server in starting.Where(s => s.IsCompletedSuccessfully))
            {
                await (await server).DisposeAsync();
            }
        }
    }

    private static async Task RunAsync(ReplicatedClusters clusters, ServerProcess[] servers, CallbackReceiver receiver, TimeSpan setup)
    {
        var http = servers.Select(s => new HttpClient { BaseAddress = s.BaseAddress, Timeout = TimeSpan.FromSeconds(30) }).ToArray();
        try
        {
            var (clientId, secret) = await CrashSafetyTests.CreatePartnerAsync(http[0]);
            var users = new List<int>();
            for (var i = 0; i < Workers; i++)
            {
                users.Add(await CrashSafetyTests.CreateUserAsync(http[i % 2], clientId));
            }

            // A second partner, with a callback that fails until after the failover: its event waits in the outbox.
            var (callbackClientId, callbackSecret) = await CrashSafetyTests.CreatePartnerAsync(http[1]);
            var callbackUser = await CrashSafetyTests.CreateUserAsync(http[1], callbackClientId);
            (await http[1].SendAsync(CrashSafetyTests.Admin(HttpMethod.Put, $"/admin/api/partners/{callbackClientId}/callback",
                new CallbackRequest(receiver.Url.ToString())), Ct)).EnsureSuccessStatusCode();
            receiver.DefaultAnswer = 503;
            Assert.Equal(0, (await WriteAsync(http[1], callbackClientId, callbackSecret, callbackUser, "feature_pwv", true, Ct)).Answer?.Status);

            // Calls signed before the kill and sent while there is no primary: each must be refused with 522, and
            // since a 522 spends nothing, the very same call must be accepted once the standby is promoted.
            var spare = await CrashSafetyTests.CreateUserAsync(http[0], clientId);
            var held = new List<Dictionary<string, string>>();
            for (var i = 0; i < 4; i++)
            {
                held.Add((await SignAsync(http[i % 2], clientId, secret, spare, Features[i], true, Ct)).Form!);
            }

            var expectations = users.ToDictionary(u => u, _ => Features.ToDictionary(f => f, _ => new Expectation()));
            var calls = new ConcurrentQueue<Call>();
            var nonceRefusals = new ConcurrentQueue<(TimeSpan Sent, TimeSpan Answered, int Status)>();
            var clock = Stopwatch.StartNew();
            using var load = CancellationTokenSource.CreateLinkedTokenSource(Ct);

            // Each worker owns a user and alternates between the instances, one fresh nonce per call.
            var workers = users.Select((user, index) => Task.Run(async () =>
            {
                var random = new Random(index * 7919 + 13);
                var mine = expectations[user];
                for (var n = 0; !load.IsCancellationRequested; n++)
                {
                    var instance = n % 2;
                    var feature = Features[random.Next(Features.Length)];
                    var expectation = mine[feature];
                    var wanted = !expectation.Latest;
                    var sent = clock.Elapsed;
                    var (nonceStatus, form, answer) = await WriteAsync(http[instance], clientId, secret, user, feature, wanted, load.Token);
                    var answered = clock.Elapsed;
                    if (form is null)
                    {
                        // No nonce, so no change asked for.
                        if (nonceStatus is { } refused)
                        {
                            nonceRefusals.Enqueue((sent, answered, refused));
                        }

                        await PauseAsync(load.Token);
                        continue;
                    }

                    expectation.Uncertain.Add(wanted);
                    calls.Enqueue(new Call(instance, user, feature, wanted, form, sent, answered, answer?.Status, answer?.Error));
                    if (answer is { Status: 0 })
                    {
                        expectation.Acknowledged = wanted;
                        expectation.Uncertain.Clear();
                    }
                    else
                    {
                        // 522, anything else (a failure below), or no answer: the change may or may not have been made.
                        await PauseAsync(load.Token);
                    }
                }
            }, load.Token)).ToArray();

            // Load on the pair, then the primary dies; nobody promotes the standby for a while; then it is promoted.
            await Task.Delay(TimeSpan.FromSeconds(1.5), Ct);
            var killing = clock.Elapsed;
            var processesKilled = clusters.KillPrimary();
            var killed = clock.Elapsed;
            var heldDuringOutage = await Task.WhenAll(held.Select((form, i) => SendAsync(http[i % 2], form, Ct)));
            foreach (var client in http)
            {
                // Readiness and the admin API say the same as the wire API.
                using var ready = await client.GetAsync("/health/ready", Ct);
                Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);
                using var partners = await client.SendAsync(CrashSafetyTests.Admin(HttpMethod.Get, "/admin/api/partners"), Ct);
                Assert.Equal(HttpStatusCode.ServiceUnavailable, partners.StatusCode);
                Assert.Equal(AdminProblemCodes.DatabaseUnavailable,
                    (await partners.Content.ReadFromJsonAsync(AdminJsonContext.Default.AdminProblem, Ct))!.Code);
            }

            await Task.Delay(Outage, Ct);
            var promoting = clock.Elapsed;
            clusters.PromoteStandby();
            var promoted = clock.Elapsed;

            // The load goes on until each instance has acknowledged changes asked for after the promotion.
            while (Enumerable.Range(0, 2).Any(i => calls.Count(c => c.Instance == i && c.Status == 0 && c.Sent > promoted) < 10))
            {
                Assert.True(clock.Elapsed - promoted < TimeSpan.FromSeconds(60),
                    $"The instances did not serve again within 60 s of the promotion: {Describe(calls.Where(c => c.Sent > promoted).TakeLast(5))}");
                await Task.Delay(20, Ct);
            }

            await load.CancelAsync();
            await Task.WhenAll(workers.Select(w => w.ContinueWith(_ => { }, TaskScheduler.Default)));
            foreach (var worker in workers.Where(w => w.IsFaulted))
            {
                throw worker.Exception!;
            }

            var loadEnded = clock.Elapsed;
            var all = calls.ToList();

            // Every answer is a success or a 522; and nothing sent after the kill succeeds before there is a primary again.
            Assert.Empty(all.Where(c => c.Status is not (null or 0 or 522)).Select(c => $"{c.Status} {c.Error}"));
            Assert.All(nonceRefusals, r => Assert.Equal(522, r.Status));
            Assert.All(heldDuringOutage, a => Assert.Equal(522, a?.Status));
            var inBetween = all.Where(c => c.Sent >= killed && c.Answered <= promoting).Select(c => c.Status)
                .Concat(nonceRefusals.Where(r => r.Sent >= killed && r.Answered <= promoting).Select(r => (int?)r.Status)).ToList();
            Assert.All(inBetween, s => Assert.Equal(522, s));
            Assert.NotEmpty(inBetween);
            var firstSuccess = all.Where(c => c.Status == 0 && c.Sent >= killed).Min(c => c.Answered);
            var firstSuccessOf = Enumerable.Range(0, 2)
                .Select(i => all.Where(c => c.Instance == i && c.Status == 0 && c.Sent >= killed).Min(c => c.Answered)).ToArray();
            var answeredWhileDown = all.Count(c => c.Sent >= killed && c.Answered < firstSuccess)
                + nonceRefusals.Count(r => r.Sent >= killed && r.Answered < firstSuccess) + held.Count;

            // The calls refused during the outage spent nothing: each goes through now, unchanged.
            var heldAfterwards = await Task.WhenAll(held.Select((form, i) => SendAsync(http[1 - (i % 2)], form, Ct)));
            Assert.All(heldAfterwards, a => Assert.Equal(0, a?.Status));
            var spareFeatures = await CrashSafetyTests.GetFeaturesAsync(http[0], clientId, secret, spare);
            Assert.All(Features.Take(4), f => Assert.True(spareFeatures[f]));

            // The old primary is gone for good; the promoted standby is the primary.
            await Assert.ThrowsAnyAsync<NpgsqlException>(async () =>
            {
                await using var old = new NpgsqlConnection(ReplicatedClusters.Direct(clusters.PrimaryPort));
                await old.OpenAsync(Ct);
            });
            await using (var promotedPrimary = new NpgsqlConnection(ReplicatedClusters.Direct(clusters.StandbyPort)))
            {
                await promotedPrimary.OpenAsync(Ct);
                await using var recovery = new NpgsqlCommand("SELECT pg_is_in_recovery()", promotedPrimary);
                Assert.False((bool)(await recovery.ExecuteScalarAsync(Ct))!);
            }

            // Nothing acknowledged is lost: each (user, feature) holds its last acknowledged value, or one asked for
            // after it whose answer said nothing for sure (522 or none). The audit log replays to the same state.
            var lost = 0;
            var audit = await CrashSafetyTests.ReadAuditAsync(http[1], clientId);
            foreach (var (user, index) in users.Select((u, i) => (u, i)))
            {
                var stored = await CrashSafetyTests.GetFeaturesAsync(http[index % 2], clientId, secret, user);
                var replayed = new Dictionary<string, bool>();
                foreach (var e in audit.Where(e => e.GetProperty("userid").ValueKind == System.Text.Json.JsonValueKind.Number
                             && e.GetProperty("userid").GetInt32() == user
                             && e.GetProperty("kind").GetString()!.StartsWith("feature.", StringComparison.Ordinal)))
                {
                    replayed[e.GetProperty("feature_name").GetString()!] = e.GetProperty("new_value").GetBoolean();
                }

                Assert.Equal(replayed.OrderBy(p => p.Key), stored.OrderBy(p => p.Key));
                foreach (var (feature, expectation) in expectations[user])
                {
                    bool? actual = stored.TryGetValue(feature, out var value) ? value : null;
                    if (actual != expectation.Acknowledged && !(actual is { } maybe && expectation.Uncertain.Contains(maybe)))
                    {
                        lost++;
                        TestContext.Current.SendDiagnosticMessage(
                            $"lost: user {user} {feature}: stored {actual}, acknowledged {expectation.Acknowledged}, unanswered [{string.Join(", ", expectation.Uncertain)}]");
                    }
                }
            }

            // Every accepted nonce stays spent, those accepted just before the kill included: each call is sent again,
            // to the other instance, and must be refused as a used nonce.
            var accepted = all.Where(c => c.Status == 0).ToList();
            var replays = await ReplayAsync(http, accepted, toOtherInstance: true);
            var acceptedTwice = replays.Count(r => r.Answer.Status == 0);
            Assert.All(replays, r => Assert.Equal(401, r.Answer.Status));
            Assert.All(replays, r => Assert.Contains("already been used", r.Answer.Error));

            // The calls in flight while the primary was being killed and answered 522: sent again, a call whose commit had reached
            // the standby is refused (its nonce is spent, section 10 of docs/reliability.md), one that had not is accepted.
            var inFlight = all.Where(c => c.Sent < killed && c.Answered > killing && c.Status == 522).ToList();
            var inFlightReplays = await ReplayAsync(http, inFlight, toOtherInstance: false);
            Assert.All(inFlightReplays, r => Assert.True(r.Answer.Status is 0 or 401, $"{r.Answer.Status} {r.Answer.Error}"));
            var inDoubtCommitted = inFlightReplays.Count(r => r.Answer.Status == 401);
            var overlapping = all.Where(c => c.Sent < killed && c.Answered > killing).ToList();

            // The cross-instance wake works again: LISTEN reconnected to the promoted primary on both instances.
            var checked_ = clock.Elapsed;
            await WakeAcrossInstancesAsync(clusters, http, clientId, secret, users[0]);
            var woke = clock.Elapsed;

            // The outbox came through: the event from before the kill and one from after the promotion are delivered.
            receiver.DefaultAnswer = 200;
            Assert.Equal(0, (await WriteAsync(http[0], callbackClientId, callbackSecret, callbackUser, "feature_pwv", false, Ct)).Answer?.Status);
            var delivered = await DeliveredAsync(http[0], callbackClientId, count: 2);

            var acknowledged = accepted.Count;
            var report = string.Create(CultureInfo.InvariantCulture,
                $"failover: primary killed ({processesKilled} processes, SIGKILL), standby promoted {(promoting - killed).TotalSeconds:0.0} s later " +
                $"(pg_ctl promote took {(promoted - promoting).TotalSeconds:0.00} s); kill → first success {(firstSuccess - killing).TotalSeconds:0.00} s, " +
                $"promote → first success {(firstSuccess - promoting).TotalSeconds:0.00} s (instance 1 {(firstSuccessOf[0] - promoting).TotalSeconds:0.00} s, " +
                $"instance 2 {(firstSuccessOf[1] - promoting).TotalSeconds:0.00} s), no restart; " +
                $"{acknowledged} changes acknowledged across the failover ({accepted.Count(c => c.Answered < killing)} before the kill, " +
                $"{accepted.Count(c => c.Answered < killing && c.Answered > killing - TimeSpan.FromSeconds(1))} of them in its last second, " +
                $"{accepted.Count(c => c.Answered > killing)} after), {lost} lost; {answeredWhileDown} answers while no primary served, all 522 " +
                $"({held.Count} calls signed before the kill and refused meanwhile were accepted unchanged after); " +
                $"{replays.Count} accepted nonces replayed, {acceptedTwice} accepted twice; {overlapping.Count} calls overlapped the kill: " +
                $"{overlapping.Count(c => c.Status == 0)} answered 0, {inFlight.Count} answered 522 and {inDoubtCommitted} of those had committed; after the failover: cross-instance wake yes, change events delivered {delivered} of 2; " +
                $"test phases: clusters and servers {setup.TotalSeconds:0.0} s, load {loadEnded.TotalSeconds:0.0} s, checks {(checked_ - loadEnded).TotalSeconds:0.0} s, " +
                $"wake {(woke - checked_).TotalSeconds:0.0} s, delivery {(clock.Elapsed - woke).TotalSeconds:0.0} s");
            TestContext.Current.TestOutputHelper?.WriteLine(report);
            TestContext.Current.SendDiagnosticMessage(report);
            Assert.Equal(0, lost);
            Assert.Equal(0, acceptedTwice);
            Assert.True(accepted.Count(c => c.Answered < killing) >= 20, $"Too little load before the kill to prove anything: {report}");
        }
        finally
        {
            foreach (var client in http)
            {
                client.Dispose();
            }
        }
    }

    /// <summary>
    /// A device long-polls instance 2 (the second of two waits is refused with 429, which shows the first one is
    /// waiting); a change through instance 1 must wake it with the new configuration.
    /// </summary>
    private static async Task WakeAcrossInstancesAsync(ReplicatedClusters clusters, HttpClient[] http, string clientId, string secret, int user)
    {
        // Both listeners are connected to the promoted primary again (they retry every 2 s).
        await using (var primary = new NpgsqlConnection(ReplicatedClusters.Direct(clusters.StandbyPort)))
        {
            await primary.OpenAsync(Ct);
            await using var listeners = new NpgsqlCommand(
                "SELECT COUNT(*) FROM pg_stat_activity WHERE application_name = 'DeviceFeatures listener'", primary);
            var waited = Stopwatch.StartNew();
            while ((long)(await listeners.ExecuteScalarAsync(Ct))! < 2)
            {
                Assert.True(waited.Elapsed < TimeSpan.FromSeconds(30), "The instances did not LISTEN on the promoted primary again.");
                await Task.Delay(50, Ct);
            }
        }

        using var userResponse = await http[1].SendAsync(CrashSafetyTests.Admin(HttpMethod.Get, $"/admin/api/users/{user}"), Ct);
        var mac = (await userResponse.Content.ReadFromJsonAsync(AdminJsonContext.Default.User, Ct))!.Devices.Single().MacAddress;
        using var rotated = await http[1].SendAsync(CrashSafetyTests.Admin(HttpMethod.Post, $"/admin/api/devices/{mac}/rotate-credential"), Ct);
        var deviceSecret = (await rotated.Content.ReadFromJsonAsync(AdminJsonContext.Default.DeviceCredential, Ct))!.DeviceSecret;

        using var current = await http[1].SendAsync(DeviceRequest(mac, deviceSecret, "/device/v1/configuration", null), Ct);
        Assert.Equal(HttpStatusCode.OK, current.StatusCode);
        var version = (await current.Content.ReadFromJsonAsync(DeviceApiJsonContext.Default.DeviceConfiguration, Ct))!.Version;

        var polls = new List<Task<HttpResponseMessage>> { http[1].SendAsync(DeviceRequest(mac, deviceSecret, "/device/v1/configuration?wait=60", version), Ct) };
        for (var probe = 0; ; probe++)
        {
            Assert.True(probe < 50, "No long poll was seen waiting on instance 2.");
            var next = http[1].SendAsync(DeviceRequest(mac, deviceSecret, "/device/v1/configuration?wait=60", version), Ct);
            if (await Task.WhenAny(next, Task.Delay(500, Ct)) == next && (await next).StatusCode == (HttpStatusCode)429)
            {
                break;
            }

            polls.Add(next);
        }

        var features = await CrashSafetyTests.GetFeaturesAsync(http[0], clientId, secret, user);
        var value = !(features.TryGetValue("feature_eyes_closed_mode", out var now) && now);
        var (_, _, answer) = await WriteAsync(http[0], clientId, secret, user, "feature_eyes_closed_mode", value, Ct);
        Assert.Equal(0, answer?.Status);

        var woken = 0;
        foreach (var poll in polls)
        {
            using var response = await poll.WaitAsync(TimeSpan.FromSeconds(30), Ct);
            if (response.StatusCode == (HttpStatusCode)429)
            {
                continue;
            }

            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            var configuration = (await response.Content.ReadFromJsonAsync(DeviceApiJsonContext.Default.DeviceConfiguration, Ct))!;
            Assert.Contains(new DeviceFeatureSetting("feature_eyes_closed_mode", value), configuration.Features);
            woken++;
        }

        Assert.Equal(1, woken);
    }

    /// <summary>Waits until <paramref name="count"/> change events of the partner are delivered.</summary>
    private static async Task<int> DeliveredAsync(HttpClient http, string clientId, int count)
    {
        var waited = Stopwatch.StartNew();
        while (true)
        {
            using var response = await http.SendAsync(CrashSafetyTests.Admin(HttpMethod.Get, $"/admin/api/events?client_id={clientId}"), Ct);
            var page = (await response.Content.ReadFromJsonAsync(AdminJsonContext.Default.ChangeEventPage, Ct))!;
            var changes = page.Events.Where(e => e.Type == ChangeEventNames.FeatureChanged).ToList();
            var delivered = changes.Count(e => e.State == ChangeEventStates.Delivered);
            Assert.True(changes.Count <= count, $"{changes.Count} change events, {count} expected.");
            if (delivered == count)
            {
                return delivered;
            }

            Assert.True(waited.Elapsed < TimeSpan.FromSeconds(60), $"{delivered} of {count} change events delivered within 60 s after the failover.");
            await Task.Delay(50, Ct);
        }
    }

    private static HttpRequestMessage DeviceRequest(string mac, string secret, string pathAndQuery, long? ifNoneMatch)
    {
        var timestamp = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var nonce = Guid.NewGuid().ToString("N");
        var request = new HttpRequestMessage(HttpMethod.Get, pathAndQuery);
        request.Headers.Add(DeviceApiHeaders.Mac, mac);
        request.Headers.Add(DeviceApiHeaders.Timestamp, timestamp.ToString(CultureInfo.InvariantCulture));
        request.Headers.Add(DeviceApiHeaders.Nonce, nonce);
        request.Headers.Add(DeviceApiHeaders.Signature, DeviceSigning.Sign(secret, "GET", pathAndQuery, mac, timestamp, nonce, []));
        if (ifNoneMatch is { } version)
        {
            request.Headers.TryAddWithoutValidation("If-None-Match", $"\"{version}\"");
        }

        return request;
    }

    /// <summary>Each call's very form sent once more, eight at a time.</summary>
    private static async Task<List<(Call Call, WireAnswer Answer)>> ReplayAsync(HttpClient[] http, List<Call> calls, bool toOtherInstance)
    {
        var answers = new ConcurrentQueue<(Call, WireAnswer)>();
        await Parallel.ForEachAsync(calls, new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = Ct }, async (call, ct) =>
        {
            var client = http[toOtherInstance ? 1 - call.Instance : call.Instance];
            using var response = await client.PostAsync("/v2/device", new FormUrlEncodedContent(call.Form), ct);
            answers.Enqueue((call, WireEnvelope.TryParse(await response.Content.ReadAsByteArrayAsync(ct))!));
        });
        return [.. answers];
    }

    /// <summary>getnonce, then the signed write; the getnonce status when it gave no nonce, else the form and the answer (null: none).</summary>
    private static async Task<(int? NonceStatus, Dictionary<string, string>? Form, WireAnswer? Answer)> WriteAsync(
        HttpClient http, string clientId, string secret, int user, string feature, bool enable, CancellationToken ct)
    {
        Dictionary<string, string>? form = null;
        try
        {
            (var nonceStatus, form) = await SignAsync(http, clientId, secret, user, feature, enable, ct);
            return form is null ? (nonceStatus, null, null) : (null, form, await SendAsync(http, form, ct));
        }
        catch (Exception ex) when (ex is HttpRequestException or OperationCanceledException or IOException or SocketException)
        {
            // No answer (the load was stopped): the change may or may not have been made.
            return (null, form, null);
        }
    }

    /// <summary>A nonce from getnonce, and the signed form of the change; or the getnonce status when it gave none.</summary>
    private static async Task<(int Status, Dictionary<string, string>? Form)> SignAsync(
        HttpClient http, string clientId, string secret, int user, string feature, bool enable, CancellationToken ct)
    {
        var (status, nonce) = await CrashSafetyTests.RequestNonceAsync(http, clientId, secret, ct);
        if (nonce is null)
        {
            return (status, null);
        }

        var action = enable ? "enablefeature" : "disablefeature";
        return (0, new Dictionary<string, string>
        {
            ["action"] = action,
            ["client_id"] = clientId,
            ["nonce"] = nonce,
            ["signature"] = WithingsSignature.Sign(secret, action, clientId, nonce),
            ["userid"] = user.ToString(CultureInfo.InvariantCulture),
            ["model"] = "17",
            ["feature_name"] = feature,
        });
    }

    private static async Task<WireAnswer?> SendAsync(HttpClient http, Dictionary<string, string> form, CancellationToken ct)
    {
        using var response = await http.PostAsync("/v2/device", new FormUrlEncodedContent(form), ct);
        return WireEnvelope.TryParse(await response.Content.ReadAsByteArrayAsync(ct));
    }

    private static async Task PauseAsync(CancellationToken ct)
    {
        try
        {
            // A refused or unanswered call is not retried at full speed: the outage is measured, not flooded.
            await Task.Delay(10, ct);
        }
        catch (OperationCanceledException)
        {
        }
    }

    private static string Describe(IEnumerable<Call> calls) =>
        string.Join("; ", calls.Select(c => $"instance {c.Instance + 1}: {c.Status} {c.Error}"));
}
