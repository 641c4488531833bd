using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using DeviceFeatures.Client;
using DeviceFeatures.Protocol.Admin;
using DeviceFeatures.Protocol.Callbacks;
using DeviceFeatures.Server.ChangeEvents;
using DeviceFeatures.Server.Storage;
using DeviceFeatures.Server.Tests.DeviceApi;
using DeviceFeatures.Server.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace DeviceFeatures.Server.Tests.ChangeEvents;

public abstract class ChangeEventTests(ServerFactory server)
{
    private const string Feature = "feature_eyes_closed_mode";

    // The default schedule: the delay after each failed attempt.
    private static readonly TimeSpan[] Schedule = CallbackOptions.ParseSchedule(CallbackOptions.DefaultRetrySchedule)!.ToArray();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private IFeatureStore Store => server.Services.GetRequiredService<IFeatureStore>();

    /// <summary>A <c>feature.changed</c> of the partner written straight into the outbox, due at <paramref name="due"/> (Unix ms).</summary>
    private async Task<string> InsertEventAsync(string clientId, long due)
    {
        var id = Guid.NewGuid().ToString("N");
        await Store.WriteAsync(s => s.InsertChangeEventAsync(new ChangeEventRow
        {
            EventId = id,
            ClientId = clientId,
            Type = ChangeEventNames.FeatureChanged,
            UserId = 1,
            Model = 17,
            FeatureName = Feature,
            Active = true,
            Devices = "[]",
            CreatedAt = due,
            NextAttemptAt = due,
        }), Ct);
        return id;
    }

    /// <summary>A partner with one Body Pro 2, its callback URL set to <paramref name="receiver"/> (none when null), and the device.</summary>
    private async Task<(TestPartner Partner, TestDevice Device)> PartnerAsync(CallbackReceiver? receiver)
    {
        var partner = await server.CreatePartnerAsync((17, "EU"));
        using var admin = server.CreateAdminClient();
        if (receiver is not null)
        {
            using var set = await admin.PutAsJsonAsync($"/admin/api/partners/{partner.ClientId}/callback", new CallbackRequest(receiver.Url.ToString()),
                AdminJsonContext.Default.CallbackRequest, Ct);
            Assert.Equal(HttpStatusCode.OK, set.StatusCode);
            var view = (await set.Content.ReadFromJsonAsync(AdminJsonContext.Default.Partner, Ct))!;
            Assert.Equal(receiver.Url.ToString(), view.CallbackUrl);
        }

        var user = await admin.GetFromJsonAsync($"/admin/api/users/{partner.UserId}", AdminJsonContext.Default.User, Ct);
        var mac = user!.Devices.Single().MacAddress;
        using var rotated = await admin.PostAsync($"/admin/api/devices/{mac}/rotate-credential", null, Ct);
        var credential = (await rotated.Content.ReadFromJsonAsync(AdminJsonContext.Default.DeviceCredential, Ct))!;
        return (partner, new TestDevice(server, mac, credential.DeviceSecret));
    }

    private async Task<IReadOnlyList<ChangeEvent>> EventsAsync(string clientId, string? state = null)
    {
        using var admin = server.CreateAdminClient();
        var page = await admin.GetFromJsonAsync($"/admin/api/events?client_id={clientId}{(state is null ? "" : $"&state={state}")}",
            AdminJsonContext.Default.ChangeEventPage, Ct);
        return page!.Events;
    }

    /// <summary>Waits until the partner's event satisfies <paramref name="done"/>: the dispatcher records outcomes after the receiver answered.</summary>
    private async Task<ChangeEvent> EventWhenAsync(string clientId, Func<ChangeEvent, bool> done)
    {
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        limit.CancelAfter(TimeSpan.FromSeconds(60));
        while (true)
        {
            var e = (await EventsAsync(clientId)).FirstOrDefault(done);
            if (e is not null)
            {
                return e;
            }

            await Task.Delay(20, limit.Token);
        }
    }

    /// <summary>Moves the clock and wakes the dispatcher, which would otherwise notice at its next poll.</summary>
    private void Advance(TimeSpan by)
    {
        server.Time.Advance(by);
        server.Services.GetRequiredService<ChangeEventSignal>().Wake();
    }

    private void AssertSigned(ReceivedCallback received, TestPartner partner)
    {
        Assert.Equal("application/x-www-form-urlencoded", received.ContentType);
        Assert.True(CallbackSignature.Verify(partner.ClientSecret, received.Timestamp, received.Signature, received.Body, server.Time.GetUtcNow()),
            "The signature must verify with the partner's secret.");
        Assert.False(CallbackSignature.Verify("another secret", received.Timestamp, received.Signature, received.Body, server.Time.GetUtcNow()));
        Assert.Equal(received["event_id"], received.IdempotencyKey);
        Assert.Equal(ChangeEventNames.Appli.ToString(CultureInfo.InvariantCulture), received["appli"]);
        Assert.Equal(partner.UserId.ToString(CultureInfo.InvariantCulture), received["userid"]);
    }

    [Fact]
    public async Task AcceptedChoice_SendsFeatureChanged_ThenTheDevicesReport_SendsFeatureApplied_BothSigned()
    {
        await using var receiver = await CallbackReceiver.StartAsync();
        var (partner, device) = await PartnerAsync(receiver);

        Assert.Equal(0, (await partner.EnableAsync(Feature)).Status);
        var changed = await receiver.NextAsync();
        AssertSigned(changed, partner);
        var configuration = await device.ConfigurationAsync();
        Assert.Equal(ChangeEventNames.FeatureChanged, changed["event"]);
        Assert.Equal(("17", Feature, "1"), (changed["model"], changed["feature_name"], changed["active"]));
        Assert.Equal(server.Time.GetUtcNow().ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture), changed["date"]);
        Assert.Equal($"[{{\"mac_address\":\"{device.Mac}\",\"version\":{configuration.Version}}}]", changed["devices"]);

        // A report of another feature settles nothing and sends nothing; the one of the changed feature sends applied.
        using (var other = await device.ReportAsync(configuration.Version, "2.0.0", ("feature_fat_mass", true, null)))
        {
            Assert.Equal(HttpStatusCode.OK, other.StatusCode);
        }

        using (var report = await device.ReportAsync(configuration.Version, "2.0.0", (Feature, true, null)))
        {
            Assert.Equal(HttpStatusCode.OK, report.StatusCode);
        }

        var applied = await receiver.NextAsync();
        AssertSigned(applied, partner);
        Assert.Equal(ChangeEventNames.FeatureApplied, applied["event"]);
        Assert.Equal((device.Mac, configuration.Version.ToString(CultureInfo.InvariantCulture), Feature, "1"),
            (applied["mac_address"], applied["version"], applied["feature_name"], applied["active"]));
        Assert.False(applied.Form.ContainsKey("reason"));
        Assert.NotEqual(changed["event_id"], applied["event_id"]);

        // Settled: the same report again sends nothing more.
        using (var again = await device.ReportAsync(configuration.Version, "2.0.0", (Feature, true, null)))
        {
            Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        }

        var delivered = await EventWhenAsync(partner.ClientId, e => e.Type == ChangeEventNames.FeatureApplied && e.State == ChangeEventStates.Delivered);
        Assert.Equal(1, delivered.Attempts);
        var all = await EventsAsync(partner.ClientId);
        Assert.Equal([ChangeEventNames.FeatureChanged, ChangeEventNames.FeatureApplied], all.Select(e => e.Type));
        Assert.Equal([new ChangeEventDevice(device.Mac, configuration.Version)], all[0].Devices!);
        Assert.False(receiver.HasMore);
    }

    [Fact]
    public async Task ReceiverAnswering500Once_GetsTheSameEventAgain()
    {
        await using var receiver = await CallbackReceiver.StartAsync();
        receiver.Answers.Enqueue(500);
        var (partner, _) = await PartnerAsync(receiver);

        Assert.Equal(0, (await partner.DisableAsync(Feature)).Status);
        var first = await receiver.NextAsync();
        var second = await receiver.NextAsync();
        Assert.Equal(first["event_id"], second["event_id"]);
        Assert.Equal(first.IdempotencyKey, second.IdempotencyKey);
        AssertSigned(second, partner);
        Assert.Equal("0", second["active"]);

        var e = await EventWhenAsync(partner.ClientId, e => e.State == ChangeEventStates.Delivered);
        Assert.Equal((2, null), (e.Attempts, e.LastError));
    }

    [Fact]
    public async Task FailedReport_SendsFeatureFailed_WithTheDevicesReason()
    {
        await using var receiver = await CallbackReceiver.StartAsync();
        var (partner, device) = await PartnerAsync(receiver);
        Assert.Equal(0, (await partner.EnableAsync(Feature)).Status);
        await receiver.NextAsync();
        var configuration = await device.ConfigurationAsync();

        using (var report = await device.ReportAsync(configuration.Version, null, (Feature, false, "sensor busy")))
        {
            Assert.Equal(HttpStatusCode.OK, report.StatusCode);
        }

        var failed = await receiver.NextAsync();
        AssertSigned(failed, partner);
        Assert.Equal((ChangeEventNames.FeatureFailed, "sensor busy", device.Mac), (failed["event"], failed["reason"], failed["mac_address"]));
    }

    [Fact]
    public async Task ReceiverThatAlwaysFails_IsTriedTenTimesOnTheSchedule_ThenParked_AndAReplayDeliversIt()
    {
        await using var receiver = await CallbackReceiver.StartAsync();
        receiver.DefaultAnswer = 503;
        var (partner, _) = await PartnerAsync(receiver);
        Assert.Equal(0, (await partner.EnableAsync(Feature)).Status);

        string? eventId = null;
        for (var attempt = 1; attempt <= 10; attempt++)
        {
            var received = await receiver.NextAsync();
            eventId ??= received["event_id"];
            Assert.Equal(eventId, received["event_id"]);
            var recorded = await EventWhenAsync(partner.ClientId, e => e.Attempts >= attempt);
            Assert.Equal("HTTP 503", recorded.LastError);

            // The second attempt of a cycle follows the first at once: it may already be recorded too.
            if (attempt < 10 && Schedule[attempt - 1] == TimeSpan.Zero)
            {
                continue;
            }

            Assert.Equal(attempt, recorded.Attempts);
            if (attempt < 10)
            {
                Assert.Equal(ChangeEventStates.Pending, recorded.State);
                Assert.Equal(server.Time.GetUtcNow() + Schedule[attempt - 1], recorded.NextAttemptAt);

                // Not a moment early: just before it is due, nothing is sent.
                Advance(Schedule[attempt - 1] - TimeSpan.FromMilliseconds(1));
                Assert.Equal(attempt, (await EventsAsync(partner.ClientId)).Single().Attempts);
                Advance(TimeSpan.FromMilliseconds(1));
            }
            else
            {
                Assert.Equal(ChangeEventStates.Parked, recorded.State);
            }
        }

        var parked = Assert.Single(await EventsAsync(partner.ClientId, ChangeEventStates.Parked));
        Assert.Equal((eventId, 10), (parked.EventId, parked.Attempts));

        receiver.DefaultAnswer = 200;
        using var admin = server.CreateAdminClient();
        using (var replay = await admin.PostAsync($"/admin/api/events/{eventId}/replay", null, Ct))
        {
            Assert.Equal(HttpStatusCode.OK, replay.StatusCode);
            var replayed = (await replay.Content.ReadFromJsonAsync(AdminJsonContext.Default.ChangeEvent, Ct))!;
            Assert.Equal((ChangeEventStates.Pending, 0), (replayed.State, replayed.Attempts));
        }

        Assert.Equal(eventId, (await receiver.NextAsync())["event_id"]);
        await EventWhenAsync(partner.ClientId, e => e.State == ChangeEventStates.Delivered);

        // Audited, and a delivered event cannot be replayed.
        var audit = await admin.GetFromJsonAsync($"/admin/api/audit?client_id={partner.ClientId}", AdminJsonContext.Default.AuditPage, Ct);
        Assert.Contains(audit!.Events, a => a.Kind == "change_event.replayed" && a.Detail!.Contains(eventId!, StringComparison.Ordinal));
        using var again = await admin.PostAsync($"/admin/api/events/{eventId}/replay", null, Ct);
        await TestDevice.ProblemAsync(again, HttpStatusCode.Conflict, AdminProblemCodes.EventNotParked);
    }

    [Fact]
    public async Task PartnerWithoutCallback_GetsNoEvents_AndOwesNothing()
    {
        var (partner, device) = await PartnerAsync(null);
        Assert.Equal(0, (await partner.EnableAsync(Feature)).Status);
        var configuration = await device.ConfigurationAsync();

        // A URL set after the change does not bring back what happened before it.
        await using var receiver = await CallbackReceiver.StartAsync();
        using var admin = server.CreateAdminClient();
        (await admin.PutAsJsonAsync($"/admin/api/partners/{partner.ClientId}/callback", new CallbackRequest(receiver.Url.ToString()),
            AdminJsonContext.Default.CallbackRequest, Ct)).EnsureSuccessStatusCode();
        using (var report = await device.ReportAsync(configuration.Version, null, (Feature, true, null)))
        {
            Assert.Equal(HttpStatusCode.OK, report.StatusCode);
        }

        Assert.Empty(await EventsAsync(partner.ClientId));
    }

    [Fact]
    public async Task ClearingTheCallback_ParksPendingEvents_WhichReplayOnlyOnceAUrlIsSetAgain()
    {
        await using var receiver = await CallbackReceiver.StartAsync();
        receiver.DefaultAnswer = 500;
        var (partner, _) = await PartnerAsync(receiver);
        Assert.Equal(0, (await partner.EnableAsync(Feature)).Status);
        await receiver.NextAsync();
        await receiver.NextAsync();
        var pending = await EventWhenAsync(partner.ClientId, e => e.Attempts == 2);
        Assert.Equal(ChangeEventStates.Pending, pending.State);

        using var admin = server.CreateAdminClient();
        using (var cleared = await admin.DeleteAsync($"/admin/api/partners/{partner.ClientId}/callback", Ct))
        {
            Assert.Equal(HttpStatusCode.OK, cleared.StatusCode);
            Assert.Null((await cleared.Content.ReadFromJsonAsync(AdminJsonContext.Default.Partner, Ct))!.CallbackUrl);
        }

        var parked = Assert.Single(await EventsAsync(partner.ClientId, ChangeEventStates.Parked));
        Assert.Equal("the callback URL was cleared", parked.LastError);
        var audit = await admin.GetFromJsonAsync($"/admin/api/audit?client_id={partner.ClientId}", AdminJsonContext.Default.AuditPage, Ct);
        Assert.Contains(audit!.Events, a => a.Kind == "partner.callback_cleared" && a.Detail == "1 pending event(s) parked");
        Assert.Contains(audit.Events, a => a.Kind == "partner.callback_set" && a.Detail == $"http://127.0.0.1:{receiver.Url.Port}");

        // Nothing is written while there is no URL.
        Assert.Equal(0, (await partner.DisableAsync(Feature)).Status);
        Assert.Single(await EventsAsync(partner.ClientId));

        using (var refused = await admin.PostAsync($"/admin/api/events/{parked.EventId}/replay", null, Ct))
        {
            await TestDevice.ProblemAsync(refused, HttpStatusCode.Conflict, AdminProblemCodes.CallbackNotSet);
        }

        receiver.DefaultAnswer = 200;
        (await admin.PutAsJsonAsync($"/admin/api/partners/{partner.ClientId}/callback", new CallbackRequest(receiver.Url.ToString()),
            AdminJsonContext.Default.CallbackRequest, Ct)).EnsureSuccessStatusCode();
        (await admin.PostAsync($"/admin/api/events/{parked.EventId}/replay", null, Ct)).EnsureSuccessStatusCode();
        Assert.Equal(parked.EventId, (await receiver.NextAsync())["event_id"]);
    }

    [Theory]
    [InlineData("ftp://partner.example/events")]
    [InlineData("/relative/events")]
    [InlineData("https://user:password@partner.example/events")]
    [InlineData("https://partner.example/events#fragment")]
    public async Task CallbackUrl_MustBeAnAbsoluteHttpUrl(string url)
    {
        var partner = await server.CreatePartnerAsync((17, "EU"));
        using var admin = server.CreateAdminClient();
        using var response = await admin.PutAsJsonAsync($"/admin/api/partners/{partner.ClientId}/callback", new CallbackRequest(url),
            AdminJsonContext.Default.CallbackRequest, Ct);
        await TestDevice.ProblemAsync(response, HttpStatusCode.BadRequest, AdminProblemCodes.InvalidRequest);
    }

    [Fact]
    public async Task UnknownPartnerOrEvent_AndBadFilters_AreRefusedWithTheirCodes()
    {
        using var admin = server.CreateAdminClient();
        using (var response = await admin.PutAsJsonAsync("/admin/api/partners/nobody/callback", new CallbackRequest("https://partner.example/"),
            AdminJsonContext.Default.CallbackRequest, Ct))
        {
            await TestDevice.ProblemAsync(response, HttpStatusCode.NotFound, AdminProblemCodes.PartnerNotFound);
        }

        using (var response = await admin.PostAsync("/admin/api/events/0123456789abcdef0123456789abcdef/replay", null, Ct))
        {
            await TestDevice.ProblemAsync(response, HttpStatusCode.NotFound, AdminProblemCodes.EventNotFound);
        }

        using (var response = await admin.GetAsync("/admin/api/events?state=lost", Ct))
        {
            await TestDevice.ProblemAsync(response, HttpStatusCode.BadRequest, AdminProblemCodes.InvalidRequest);
        }

        using (var response = await admin.GetAsync("/admin/api/events?client_id=nobody", Ct))
        {
            await TestDevice.ProblemAsync(response, HttpStatusCode.NotFound, AdminProblemCodes.PartnerNotFound);
        }
    }

    [Fact]
    public async Task AnOutcome_IsRecordedOnlyUnderTheClaimItWasSentUnder_SoALateInstanceCountsNothing()
    {
        var partner = await server.CreatePartnerAsync((17, "EU"));

        // Due years ahead of the server's clock: only this test's claims take it, never the running dispatcher.
        var due = server.Time.GetUtcNow().AddYears(10).ToUnixTimeMilliseconds();
        var id = await InsertEventAsync(partner.ClientId, due);
        const long lease = 60_000;
        try
        {
            // Instance A claims it; nobody else can while its lease lasts; once it is over, instance B claims it again.
            var a = (await Store.WriteAsync(s => s.ClaimDueChangeEventsAsync(due, due + lease, 1000), Ct)).Single(e => e.EventId == id);
            Assert.DoesNotContain(await Store.WriteAsync(s => s.ClaimDueChangeEventsAsync(due + lease - 1, due + (2 * lease) - 1, 1000), Ct),
                e => e.EventId == id);
            var b = (await Store.WriteAsync(s => s.ClaimDueChangeEventsAsync(due + lease, due + (2 * lease), 1000), Ct)).Single(e => e.EventId == id);

            // A, still sending past its lease, records nothing: neither a failed attempt nor a delivery.
            Assert.Equal(0, await Store.WriteAsync(s => s.ChangeEventFailedAsync(id, a.ClaimedUntil!.Value, park: false, due + (3 * lease), "HTTP 503"), Ct));
            Assert.Equal(0, await Store.WriteAsync(s => s.ChangeEventDeliveredAsync(id, a.ClaimedUntil!.Value, due + lease), Ct));
            var row = (await Store.ReadAsync(s => s.FindChangeEventAsync(id), Ct))!;
            Assert.Equal((ChangeEventStates.Pending, 0, b.ClaimedUntil, (string?)null), (row.State, row.Attempts, row.ClaimedUntil, row.LastError));

            // B's outcome is the one attempt.
            Assert.Equal(1, await Store.WriteAsync(s => s.ChangeEventFailedAsync(id, b.ClaimedUntil!.Value, park: false, due + (3 * lease), "HTTP 503"), Ct));
            row = (await Store.ReadAsync(s => s.FindChangeEventAsync(id), Ct))!;
            Assert.Equal((ChangeEventStates.Pending, 1, (long?)null, "HTTP 503"), (row.State, row.Attempts, row.ClaimedUntil, row.LastError));
        }
        finally
        {
            // The far claims may have taken other pending events of this server: give them back.
            await Store.WriteAsync(s => s.ReleaseChangeEventClaimsAsync(), Ct);
        }
    }

    [Fact]
    public async Task AnEventWhosePartnerHasNoCallbackUrlWhenSent_IsParkedWithAReadableError()
    {
        // As when the URL is cleared between the claim and the send: the event is pending, the partner has no URL.
        var partner = await server.CreatePartnerAsync((17, "EU"));
        var id = await InsertEventAsync(partner.ClientId, server.Time.GetUtcNow().ToUnixTimeMilliseconds());
        server.Services.GetRequiredService<ChangeEventSignal>().Wake();

        var parked = await EventWhenAsync(partner.ClientId, e => e.State == ChangeEventStates.Parked);
        Assert.Equal((id, 1, "the partner has no callback URL"), (parked.EventId, parked.Attempts, parked.LastError));
    }

    [Fact]
    public async Task AnUnexpectedErrorWhileSending_IsEachEventsFailedAttempt_NotTheBatchs()
    {
        await using var receiver = await CallbackReceiver.StartAsync();
        var (partner, _) = await PartnerAsync(receiver);

        // A dispatcher of its own, on a clock years ahead (so that it claims this test's events) whose HTTP client breaks.
        var due = server.Time.GetUtcNow().AddYears(20).ToUnixTimeMilliseconds();
        var first = await InsertEventAsync(partner.ClientId, due);
        var second = await InsertEventAsync(partner.ClientId, due);
        var dispatcher = ActivatorUtilities.CreateInstance<CallbackDispatcher>(
            server.Services, new FakeTimeProvider(DateTimeOffset.FromUnixTimeMilliseconds(due)), new BrokenHttpClientFactory());
        try
        {
            Assert.True(await dispatcher.DeliverDueAsync(Ct) >= 2);
            foreach (var id in new[] { first, second })
            {
                var row = (await Store.ReadAsync(s => s.FindChangeEventAsync(id), Ct))!;
                Assert.Equal((ChangeEventStates.Pending, 1, (long?)null, "internal error (InvalidOperationException)"),
                    (row.State, row.Attempts, row.ClaimedUntil, row.LastError));
            }

            Assert.False(receiver.HasMore);
        }
        finally
        {
            dispatcher.Dispose();
        }
    }

    [Fact]
    public async Task ListingAfterAnUnknownEvent_IsRefusedNamingAfter_NotAnEmptyLastPage()
    {
        await using var receiver = await CallbackReceiver.StartAsync();
        var (partner, _) = await PartnerAsync(receiver);
        Assert.Equal(0, (await partner.EnableAsync(Feature)).Status);
        Assert.Equal(0, (await partner.DisableAsync(Feature)).Status);
        using var admin = server.CreateAdminClient();
        var firstPage = (await admin.GetFromJsonAsync($"/admin/api/events?client_id={partner.ClientId}&limit=1", AdminJsonContext.Default.ChangeEventPage, Ct))!;
        var secondPage = (await admin.GetFromJsonAsync($"/admin/api/events?client_id={partner.ClientId}&limit=1&after={firstPage.NextAfter}",
            AdminJsonContext.Default.ChangeEventPage, Ct))!;
        Assert.Equal<(bool?, bool?)>((true, false), (firstPage.Events.Single().Active, secondPage.Events.Single().Active));

        using var response = await admin.GetAsync($"/admin/api/events?client_id={partner.ClientId}&after=0123456789abcdef0123456789abcdef", Ct);
        var problem = await TestDevice.ProblemAsync(response, HttpStatusCode.NotFound, AdminProblemCodes.AfterNotFound);
        Assert.Contains("'after'", problem.Detail!, StringComparison.Ordinal);
    }

    /// <summary>An HTTP client factory that fails as a bug would: not an HTTP failure the dispatcher expects.</summary>
    private sealed class BrokenHttpClientFactory : IHttpClientFactory
    {
        public HttpClient CreateClient(string name) => throw new InvalidOperationException("broken on purpose");
    }
}

public sealed class ChangeEventTestsOnSqlite(SqliteServer server) : ChangeEventTests(server), IClassFixture<SqliteServer>;

[NeedsPostgres]
public sealed class ChangeEventTestsOnPostgres(PostgresServer server) : ChangeEventTests(server.OrSkip()), IClassFixture<PostgresServer>;
