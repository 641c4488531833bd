using System.Globalization;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json;
using DeviceFeatures.Protocol.Envelope;
using DeviceFeatures.Protocol.Signing;
using DeviceFeatures.Server.Tests.Infrastructure;

namespace DeviceFeatures.Server.Tests.Reliability;

/// <summary>
/// Drives enable/disable load at a server in a child process, kills it with SIGKILL at random moments, starts it
/// again on the same database, and checks that every acknowledged change is there, no refused change is, and the
/// audit log replays to exactly the stored state.
/// </summary>
public sealed class CrashSafetyTests
{
    private const int Kills = 12;
    private const int Workers = 6;
    private static readonly string[] Features =
        ["feature_pwv", "feature_pacemaker", "feature_eyes_closed_mode", "feature_fat_mass", "feature_bone_mass", "feature_visceral_fat"];

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task KilledAtRandom_LosesNoAcknowledgedChange_OnSqlite()
    {
        var folder = Directory.CreateTempSubdirectory("devicefeatures-crash").FullName;
        var settings = new Dictionary<string, string>
        {
            ["Storage:Provider"] = "sqlite",
            ["Storage:ConnectionString"] = $"Data Source={Path.Combine(folder, "crash.db")}",
        };
        try
        {
            await RunAsync(settings);
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    [NeedsPostgres]
    public async Task KilledAtRandom_LosesNoAcknowledgedChange_OnPostgres()
    {
        PostgresTestDatabase.SkipUnlessConfigured();
        using var database = new PostgresTestDatabase();
        await RunAsync(new Dictionary<string, string>
        {
            ["Storage:Provider"] = "postgres",
            ["Storage:ConnectionString"] = database.ConnectionString,
        });
    }

    /// <summary>
    /// What one worker knows of one (user, feature): the last acknowledged value, and the values asked for since then
    /// whose answers never came. Any of those may have been stored: two calls in a row can each lose their answer to a
    /// kill, and the first may have committed while the second did not. An acknowledgement settles them all, since the
    /// user's row lock orders every change of the user after the ones before it.
    /// </summary>
    private sealed class Expectation
    {
        public bool? Acknowledged { get; set; }

        public List<bool> Uncertain { get; } = [];

        /// <summary>The value the worker last asked for.</summary>
        public bool Latest => Uncertain.Count > 0 ? Uncertain[^1] : Acknowledged ?? false;
    }

    internal static async Task RunAsync(Dictionary<string, string> settings)
    {
        var outcome = await RunAsync(settings, new CrashRun());
        Assert.Equal(0, outcome.Lost);
        Assert.True(outcome.Acknowledged > Kills * 5, $"Too little load to prove anything: {outcome.Report}");
    }

    /// <summary>
    /// How the server is brought down in the middle of the load: by default SIGKILL from outside, 12 times; a power
    /// cut (<see cref="PowerCut.PowerCutTests"/>) makes the process end itself after losing its unsynced writes.
    /// </summary>
    /// <remarks>
    /// <paramref name="CheckEachRound"/>: compare the stored state with what was acknowledged after every restart, not
    /// only at the end. A lost change is otherwise hidden by the next change of the same feature (each call asks for
    /// the opposite of the last value asked for, so after a loss it asks for the value already stored, and gets 0).
    /// </remarks>
    internal sealed record CrashRun(
        string What = "kills", int Cuts = Kills, IReadOnlyDictionary<string, string>? Environment = null, Func<ServerProcess, Task>? Cut = null,
        bool CheckEachRound = false);

    internal sealed record CrashOutcome(long Acknowledged, int Lost, string Report);

    internal static async Task<CrashOutcome> RunAsync(Dictionary<string, string> settings, CrashRun run)
    {
        var port = ServerProcess.FreePort();
        var server = await ServerProcess.StartAsync(settings, port, Ct, run.Environment);
        using var http = new HttpClient { BaseAddress = server.BaseAddress, Timeout = TimeSpan.FromSeconds(10) };
        var (clientId, secret) = await CreatePartnerAsync(http);
        var users = new List<int>();
        for (var i = 0; i < Workers; i++)
        {
            users.Add(await CreateUserAsync(http, clientId));
        }

        var expectations = users.ToDictionary(u => u, _ => Features.ToDictionary(f => f, _ => new Expectation()));
        long acknowledged = 0, refusedAsExpected = 0, timeouts = 0;
        var lost = 0;
        var random = new Random(20261124);

        // Counts what is stored but not explained by the calls made, then takes the stored state as the known one.
        int Reconcile(int user, Dictionary<string, bool> stored)
        {
            var unexplained = 0;
            foreach (var (feature, expectation) in expectations[user])
            {
                bool? actual = stored.TryGetValue(feature, out var value) ? value : null;
                var explained = actual == expectation.Acknowledged
                    || (actual is { } maybe && expectation.Uncertain.Contains(maybe));
                if (!explained)
                {
                    unexplained++;
                    TestContext.Current.SendDiagnosticMessage(
                        $"lost: user {user} {feature}: stored {actual}, acknowledged {expectation.Acknowledged}, unanswered [{string.Join(", ", expectation.Uncertain)}]");
                }

                expectation.Acknowledged = actual;
                expectation.Uncertain.Clear();
            }

            return unexplained;
        }

        for (var kill = 0; kill <= run.Cuts; kill++)
        {
            using var load = CancellationTokenSource.CreateLinkedTokenSource(Ct);
            var workers = users.Select((user, index) => Task.Run(async () =>
            {
                var local = new Random(index * 7919 + kill);
                var mine = expectations[user];
                while (!load.IsCancellationRequested)
                {
                    // One call in eight asks for a gated feature without a grant: it must be refused, and never stored.
                    if (local.Next(8) == 0)
                    {
                        var refused = await CallAsync(http, clientId, secret, user, "feature_esc", true, load.Token);
                        if (refused is { Status: 2553 })
                        {
                            Interlocked.Increment(ref refusedAsExpected);
                        }

                        continue;
                    }

                    var feature = Features[local.Next(Features.Length)];
                    var expectation = mine[feature];
                    var wanted = !expectation.Latest;
                    expectation.Uncertain.Add(wanted);
                    var answer = await CallAsync(http, clientId, secret, user, feature, wanted, load.Token);
                    if (answer is { Status: 0 })
                    {
                        expectation.Acknowledged = wanted;
                        expectation.Uncertain.Clear();
                        Interlocked.Increment(ref acknowledged);
                    }
                    else if (answer is { Status: 522 })
                    {
                        // The database did not answer in time (the machine is loaded): like no answer, the change may
                        // or may not have been made, and the expectation stays unsure.
                        Interlocked.Increment(ref timeouts);
                    }
                    else if (answer is not null)
                    {
                        // A refusal of a change that is allowed would be a bug of its own.
                        Assert.Fail($"enable/disable {feature} for {user} was refused: {answer.Status} {answer.Error}");
                    }
                }
            }, load.Token)).ToArray();

            // Let the load run a random while, then kill the server in the middle of it (the last round just stops).
            await Task.Delay(random.Next(50, 400), Ct);
            if (kill < run.Cuts)
            {
                await (run.Cut ?? (s => s.KillAsync()))(server);
            }

            await load.CancelAsync();
            await Task.WhenAll(workers.Select(w => w.ContinueWith(_ => { }, TaskScheduler.Default)));
            foreach (var t in workers)
            {
                if (t.IsFaulted)
                {
                    throw t.Exception!;
                }
            }

            if (kill < run.Cuts)
            {
                await server.DisposeAsync();
                server = await ServerProcess.StartAsync(settings, port, Ct, run.Environment);
                if (run.CheckEachRound)
                {
                    foreach (var user in users)
                    {
                        lost += Reconcile(user, await GetFeaturesAsync(http, clientId, secret, user));
                    }
                }
            }
        }

        await server.KillAsync();
        await server.DisposeAsync();
        server = await ServerProcess.StartAsync(settings, port, Ct, run.Environment);
        await using (server)
        {
            var audit = await ReadAuditAsync(http, clientId);
            foreach (var user in users)
            {
                var stored = await GetFeaturesAsync(http, clientId, secret, user);
                Assert.False(stored.ContainsKey("feature_esc"), "A refused change was stored.");

                // Replaying the audit log, event by event, gives exactly what is stored.
                var replayed = new Dictionary<string, bool>();
                foreach (var e in audit.Where(e => e.GetProperty("userid").ValueKind == JsonValueKind.Number && e.GetProperty("userid").GetInt32() == user
                             && e.GetProperty("kind").GetString()!.StartsWith("feature.", StringComparison.Ordinal)))
                {
                    var feature = e.GetProperty("feature_name").GetString()!;
                    bool? old = e.GetProperty("old_value").ValueKind == JsonValueKind.Null ? null : e.GetProperty("old_value").GetBoolean();
                    Assert.Equal(replayed.TryGetValue(feature, out var before) ? before : null, old);
                    replayed[feature] = e.GetProperty("new_value").GetBoolean();
                }

                Assert.Equal(replayed.OrderBy(p => p.Key), stored.OrderBy(p => p.Key));
                lost += Reconcile(user, stored);
            }

            var report = $"{run.Cuts} {run.What}, {acknowledged} acknowledged changes, {lost} lost ({refusedAsExpected} refused changes, none stored; {timeouts} answered 522)";
            TestContext.Current.TestOutputHelper?.WriteLine(report);
            TestContext.Current.SendDiagnosticMessage(report);
            return new CrashOutcome(acknowledged, lost, report);
        }
    }

    internal static async Task<WireAnswer?> CallAsync(HttpClient http, string clientId, string secret, int user, string feature, bool enable, CancellationToken ct)
    {
        try
        {
            var nonce = await GetNonceAsync(http, clientId, secret, ct);
            if (nonce is null)
            {
                return null;
            }

            var action = enable ? "enablefeature" : "disablefeature";
            using var response = await http.PostAsync("/v2/device", new FormUrlEncodedContent(new Dictionary<string, string>
            {
                ["action"] = action,
                ["client_id"] = clientId,
                ["nonce"] = nonce,
                ["signature"] = WithingsSignature.Sign(secret, action, clientId, nonce),
                ["userid"] = user.ToString(CultureInfo.InvariantCulture),
                ["model"] = "17",
                ["feature_name"] = feature,
            }), ct);
            return WireEnvelope.TryParse(await response.Content.ReadAsByteArrayAsync(ct));
        }
        catch (Exception ex) when (ex is HttpRequestException or OperationCanceledException or IOException or SocketException)
        {
            // No answer: the change may or may not have been committed. (A server killed while the connection is being
            // made can surface as a bare SocketException from the connection pool, not wrapped in HttpRequestException.)
            return null;
        }
    }

    internal static async Task<string?> GetNonceAsync(HttpClient http, string clientId, string secret, CancellationToken ct) =>
        (await RequestNonceAsync(http, clientId, secret, ct)).Nonce;

    /// <summary>A signed getnonce over a socket: its status, and the nonce when the status is 0.</summary>
    internal static async Task<(int Status, string? Nonce)> RequestNonceAsync(HttpClient http, string clientId, string secret, CancellationToken ct)
    {
        var ts = DateTimeOffset.UtcNow.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        using var response = await http.PostAsync("/v2/signature", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["action"] = "getnonce",
            ["client_id"] = clientId,
            ["timestamp"] = ts,
            ["signature"] = WithingsSignature.Sign(secret, "getnonce", clientId, ts),
        }), ct);
        var answer = WireEnvelope.TryParse(await response.Content.ReadAsByteArrayAsync(ct));
        return answer is { Status: 0 } ? (0, answer.Body.GetProperty("nonce").GetString()) : (answer?.Status ?? -1, null);
    }

    internal static async Task<Dictionary<string, bool>> GetFeaturesAsync(HttpClient http, string clientId, string secret, int user)
    {
        var nonce = await GetNonceAsync(http, clientId, secret, Ct) ?? throw new InvalidOperationException("No nonce.");
        using var response = await http.PostAsync("/v2/device", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["action"] = "getfeatures",
            ["client_id"] = clientId,
            ["nonce"] = nonce,
            ["signature"] = WithingsSignature.Sign(secret, "getfeatures", clientId, nonce),
            ["userid"] = user.ToString(CultureInfo.InvariantCulture),
            ["model"] = "17",
        }), Ct);
        var answer = WireEnvelope.TryParse(await response.Content.ReadAsByteArrayAsync(Ct))!;
        Assert.Equal(0, answer.Status);
        return answer.Body.GetProperty("features").EnumerateArray()
            .ToDictionary(f => f.GetProperty("feature_name").GetString()!, f => f.GetProperty("active").GetBoolean());
    }

    internal static HttpRequestMessage Admin(HttpMethod method, string path, object? body = null)
    {
        var request = new HttpRequestMessage(method, path) { Content = body is null ? null : JsonContent.Create(body) };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", ServerProcess.AdminKey);
        return request;
    }

    internal static async Task<(string ClientId, string Secret)> CreatePartnerAsync(HttpClient http)
    {
        using var response = await http.SendAsync(Admin(HttpMethod.Post, "/admin/api/partners", new { name = "Crash test" }), Ct);
        var partner = await response.Content.ReadFromJsonAsync<JsonElement>(Ct);
        return (partner.GetProperty("client_id").GetString()!, partner.GetProperty("client_secret").GetString()!);
    }

    internal static async Task<int> CreateUserAsync(HttpClient http, string clientId)
    {
        using var response = await http.SendAsync(Admin(HttpMethod.Post, "/admin/api/users", new
        {
            client_id = clientId,
            devices = new[] { new { mac_address = ServerFactory.RandomMac(), model = 17, market = "EU" } },
        }), Ct);
        return (await response.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("userid").GetInt32();
    }

    internal static async Task<List<JsonElement>> ReadAuditAsync(HttpClient http, string clientId)
    {
        using var response = await http.SendAsync(Admin(HttpMethod.Get, $"/admin/api/audit/export?client_id={clientId}"), Ct);
        var text = await response.Content.ReadAsStringAsync(Ct);
        return text.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement.Clone()).ToList();
    }
}
