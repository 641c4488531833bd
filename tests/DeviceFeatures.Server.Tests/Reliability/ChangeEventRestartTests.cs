using System.Globalization;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using DeviceFeatures.Client;
using DeviceFeatures.Protocol.Admin;
using DeviceFeatures.Protocol.Callbacks;
using DeviceFeatures.Protocol.Envelope;
using DeviceFeatures.Protocol.Signing;
using DeviceFeatures.Server.Tests.ChangeEvents;
using DeviceFeatures.Server.Tests.Infrastructure;

namespace DeviceFeatures.Server.Tests.Reliability;

/// <summary>
/// A change event committed but not delivered (the partner's receiver is down) is still delivered after the server is
/// killed with SIGKILL and started again on the same database: the outbox is the database, not the process. So is one
/// the server was sending when it was killed: SQLite clears the claim at start, PostgreSQL claims it again after the lease.
/// </summary>
public sealed class ChangeEventRestartTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task EventCommittedButNotDelivered_ArrivesAfterAKillAndRestart_OnSqlite()
    {
        var folder = Directory.CreateTempSubdirectory("devicefeatures-outbox").FullName;
        try
        {
            await RunAsync(new Dictionary<string, string>
            {
                ["Storage:Provider"] = "sqlite",
                ["Storage:ConnectionString"] = $"Data Source={Path.Combine(folder, "outbox.db")}",
            });
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    [NeedsPostgres]
    public async Task EventCommittedButNotDelivered_ArrivesAfterAKillAndRestart_OnPostgres()
    {
        PostgresTestDatabase.SkipUnlessConfigured();
        using var database = new PostgresTestDatabase();
        await RunAsync(new Dictionary<string, string>
        {
            ["Storage:Provider"] = "postgres",
            ["Storage:ConnectionString"] = database.ConnectionString,
        });
    }

    [Fact]
    public async Task ServerKilledDuringTheSend_SendsTheEventAgainAtOnceAfterARestart_OnSqlite()
    {
        var folder = Directory.CreateTempSubdirectory("devicefeatures-outbox").FullName;
        try
        {
            // A lease far longer than the test waits: the event arrives only because the restart clears the claim.
            await RunKilledDuringSendAsync(new Dictionary<string, string>
            {
                ["Storage:Provider"] = "sqlite",
                ["Storage:ConnectionString"] = $"Data Source={Path.Combine(folder, "outbox.db")}",
                ["Callbacks:TimeoutSeconds"] = "30",
                ["Callbacks:LeaseSeconds"] = "600",
            });
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    [NeedsPostgres]
    public async Task ServerKilledDuringTheSend_SendsTheEventAgainOnceTheLeaseIsOver_OnPostgres()
    {
        PostgresTestDatabase.SkipUnlessConfigured();
        using var database = new PostgresTestDatabase();

        // PostgreSQL cannot tell a dead instance's claim from a live one's: the lease's end is the recovery, so a short one.
        await RunKilledDuringSendAsync(new Dictionary<string, string>
        {
            ["Storage:Provider"] = "postgres",
            ["Storage:ConnectionString"] = database.ConnectionString,
            ["Callbacks:TimeoutSeconds"] = "5",
            ["Callbacks:LeaseSeconds"] = "15",
        });
    }

    /// <summary>
    /// The receiver hangs on the first attempt and the server is killed with SIGKILL while it waits for the answer
    /// (claimed, nothing recorded); then the receiver answers again, and the restarted server delivers the event.
    /// </summary>
    private static async Task RunKilledDuringSendAsync(Dictionary<string, string> settings)
    {
        settings["Callbacks:PollIntervalSeconds"] = "0.2";
        var port = ServerProcess.FreePort();
        await using var receiver = await CallbackReceiver.StartAsync();
        receiver.Hangs = true;
        var server = await ServerProcess.StartAsync(settings, port, Ct);
        string clientId, secret;
        ReceivedCallback first;
        try
        {
            using var http = Admin(server.BaseAddress);
            (clientId, secret, var user) = await PartnerAsync(http);
            (await http.PutAsJsonAsync($"/admin/api/partners/{clientId}/callback", new CallbackRequest(receiver.Url.ToString()),
                AdminJsonContext.Default.CallbackRequest, Ct)).EnsureSuccessStatusCode();
            Assert.Equal(0, (await EnableAsync(http, clientId, secret, user, "feature_eyes_closed_mode"))?.Status);
            first = await receiver.NextAsync();
        }
        finally
        {
            // While the receiver still holds the request: the attempt is claimed and its outcome not recorded.
            await server.KillAsync();
            await server.DisposeAsync();
        }

        receiver.Hangs = false;
        var restarted = await ServerProcess.StartAsync(settings, port, Ct);
        try
        {
            var again = await receiver.NextAsync();
            Assert.Equal((first["event_id"], ChangeEventNames.FeatureChanged), (again["event_id"], again["event"]));
            Assert.True(CallbackSignature.Verify(secret, again.Timestamp, again.Signature, again.Body, DateTimeOffset.UtcNow));

            // The killed attempt was never recorded: the one that reached the receiver's answer is the first counted.
            using var http = Admin(restarted.BaseAddress);
            var delivered = await WaitForAsync(http, clientId, e => e.State == ChangeEventStates.Delivered);
            Assert.Equal((first["event_id"], 1, (string?)null), (delivered.EventId, delivered.Attempts, delivered.LastError));
        }
        finally
        {
            await restarted.DisposeAsync();
        }
    }

    private static HttpClient Admin(Uri baseAddress)
    {
        var http = new HttpClient { BaseAddress = baseAddress, Timeout = TimeSpan.FromSeconds(10) };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", ServerProcess.AdminKey);
        return http;
    }

    private static async Task<(string ClientId, string Secret, int User)> PartnerAsync(HttpClient http)
    {
        var created = await (await http.PostAsJsonAsync("/admin/api/partners", new CreatePartnerRequest("Outbox partner"),
            AdminJsonContext.Default.CreatePartnerRequest, Ct)).Content.ReadFromJsonAsync(AdminJsonContext.Default.CreatedPartner, Ct);
        var user = await (await http.PostAsJsonAsync("/admin/api/users", new CreateUserRequest(created!.ClientId, [new DeviceLink(ServerFactory.RandomMac(), 17, "EU")]),
            AdminJsonContext.Default.CreateUserRequest, Ct)).Content.ReadFromJsonAsync(AdminJsonContext.Default.CreatedUser, Ct);
        return (created.ClientId, created.ClientSecret, user!.Userid);
    }

    private static async Task RunAsync(Dictionary<string, string> settings)
    {
        // Retries a second apart, so that the test does not wait for Withings' hours.
        settings["Callbacks:RetrySchedule"] = "1s,1s,1s,1s,1s,1s,1s,1s,1s";
        settings["Callbacks:PollIntervalSeconds"] = "0.2";
        var port = ServerProcess.FreePort();
        var receiverPort = ServerProcess.FreePort();
        var server = await ServerProcess.StartAsync(settings, port, Ct);
        string clientId, secret, eventId;
        try
        {
            using var http = new HttpClient { BaseAddress = server.BaseAddress, Timeout = TimeSpan.FromSeconds(10) };
            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", ServerProcess.AdminKey);
            var created = await (await http.PostAsJsonAsync("/admin/api/partners", new CreatePartnerRequest("Outbox partner"),
                AdminJsonContext.Default.CreatePartnerRequest, Ct)).Content.ReadFromJsonAsync(AdminJsonContext.Default.CreatedPartner, Ct);
            (clientId, secret) = (created!.ClientId, created.ClientSecret);
            var user = await (await http.PostAsJsonAsync("/admin/api/users", new CreateUserRequest(clientId, [new DeviceLink(ServerFactory.RandomMac(), 17, "EU")]),
                AdminJsonContext.Default.CreateUserRequest, Ct)).Content.ReadFromJsonAsync(AdminJsonContext.Default.CreatedUser, Ct);

            // Nothing listens there yet: every attempt meets a refused connection.
            (await http.PutAsJsonAsync($"/admin/api/partners/{clientId}/callback", new CallbackRequest($"http://127.0.0.1:{receiverPort}/devicefeatures/events?token=partner-own"),
                AdminJsonContext.Default.CallbackRequest, Ct)).EnsureSuccessStatusCode();
            Assert.Equal(0, (await EnableAsync(http, clientId, secret, user!.Userid, "feature_eyes_closed_mode"))?.Status);

            var failed = await WaitForAsync(http, clientId, e => e.Attempts >= 1);
            Assert.Equal(ChangeEventStates.Pending, failed.State);
            Assert.StartsWith("connection failed", failed.LastError, StringComparison.Ordinal);
            eventId = failed.EventId;
            Assert.DoesNotContain("partner-own", server.Output, StringComparison.Ordinal);
        }
        finally
        {
            await server.KillAsync();
            await server.DisposeAsync();
        }

        await using var receiver = await CallbackReceiver.StartAsync(receiverPort);
        var restarted = await ServerProcess.StartAsync(settings, port, Ct);
        try
        {
            var received = await receiver.NextAsync();
            Assert.Equal((eventId, ChangeEventNames.FeatureChanged), (received["event_id"], received["event"]));
            Assert.True(CallbackSignature.Verify(secret, received.Timestamp, received.Signature, received.Body, DateTimeOffset.UtcNow));

            using var http = new HttpClient { BaseAddress = restarted.BaseAddress, Timeout = TimeSpan.FromSeconds(10) };
            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", ServerProcess.AdminKey);
            var delivered = await WaitForAsync(http, clientId, e => e.State == ChangeEventStates.Delivered);
            Assert.Equal(eventId, delivered.EventId);
        }
        finally
        {
            await restarted.DisposeAsync();
        }
    }

    private static async Task<ChangeEvent> WaitForAsync(HttpClient http, string clientId, Func<ChangeEvent, bool> done)
    {
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        limit.CancelAfter(TimeSpan.FromSeconds(60));
        while (true)
        {
            var page = await http.GetFromJsonAsync($"/admin/api/events?client_id={clientId}", AdminJsonContext.Default.ChangeEventPage, limit.Token);
            if (page!.Events.FirstOrDefault(done) is { } e)
            {
                return e;
            }

            await Task.Delay(50, limit.Token);
        }
    }

    private static async Task<WireAnswer?> EnableAsync(HttpClient http, string clientId, string secret, int user, string feature)
    {
        var ts = DateTimeOffset.UtcNow.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        using var nonceResponse = await http.PostAsync("/v2/signature", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["action"] = "getnonce",
            ["client_id"] = clientId,
            ["timestamp"] = ts,
            ["signature"] = WithingsSignature.Sign(secret, "getnonce", clientId, ts),
        }), Ct);
        var nonce = WireEnvelope.TryParse(await nonceResponse.Content.ReadAsByteArrayAsync(Ct))!.Body.GetProperty("nonce").GetString()!;
        using var response = await http.PostAsync("/v2/device", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["action"] = "enablefeature",
            ["client_id"] = clientId,
            ["nonce"] = nonce,
            ["signature"] = WithingsSignature.Sign(secret, "enablefeature", clientId, nonce),
            ["userid"] = user.ToString(CultureInfo.InvariantCulture),
            ["model"] = "17",
            ["feature_name"] = feature,
        }), Ct);
        return WireEnvelope.TryParse(await response.Content.ReadAsByteArrayAsync(Ct));
    }
}
