using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using DeviceFeatures.Client.Devices;
using DeviceFeatures.Protocol.Admin;
using DeviceFeatures.Protocol.Callbacks;
using DeviceFeatures.Protocol.DeviceApi;
using DeviceFeatures.Testing;

namespace DeviceFeatures.Client.Tests;

/// <summary>
/// The whole loop to the device, over real sockets, as a partner, a device and the partner's callback receiver see it:
/// a change reaches a device waiting in a long poll, the device reports it, the partner sees it in sync and receives
/// the signed events (again after answering 500 once); a device offline during three changes catches up in one pull;
/// a feature the device fails shows sync failed with its reason. On each storage provider.
/// </summary>
public sealed class DeviceLoopTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [MemberData(nameof(ProviderServer.Providers), MemberType = typeof(ProviderServer))]
    public async Task AChange_ReachesTheWaitingDevice_IsReportedAndConfirmedToThePartner(string provider)
    {
        await using var started = await ProviderServer.StartAsync(provider, new DeviceFeaturesTestServerOptions { CreateDefaultPartner = false }, Ct);
        var server = started.Server;
        await using var receiver = await CallbackReceiver.StartAsync(failFirst: 1);

        // The operator: a partner with a callback URL, a user with a scale, and the scale's secret.
        var partner = await server.Admin.CreatePartnerAsync("Device loop partner", Ct);
        await server.Admin.SetCallbackAsync(partner.ClientId, receiver.Url, Ct);
        var mac = DeviceFeaturesTestServer.RandomMac();
        var userId = await server.CreateUserAsync(partner.ClientId, [new DeviceLink(mac, 17, "EU")], Ct);
        var secret = (await server.Admin.RotateDeviceCredentialAsync(mac, Ct)).DeviceSecret;
        var client = server.CreateClient(partner.ClientId, partner.ClientSecret);
        using var http = new HttpClient { Timeout = TimeSpan.FromMinutes(2) };
        var device = new DeviceApiClient(http, server.BaseAddress, mac, secret);

        // The device starts: its whole configuration, everything applied.
        var first = (await device.GetConfigurationAsync(cancellationToken: Ct)).Configuration!;
        Assert.False(Active(first, "feature_eyes_closed_mode"));
        await device.ReportAsync(Report(first), Ct);

        // It waits in a long poll; the partner enables eyes-closed mode; the poll answers with it.
        var waiting = device.GetConfigurationAsync(first.Version, TimeSpan.FromSeconds(60), Ct);
        await client.EnableFeatureAsync(userId, DeviceModel.BodyPro2, FeatureName.EyesClosedMode, Ct);
        var answered = Stopwatch.StartNew();
        var changed = (await waiting).Configuration;
        TestContext.Current.SendDiagnosticMessage($"{provider}: the change reached the waiting device {answered.Elapsed.TotalMilliseconds:F1} ms after enablefeature answered");
        Assert.NotNull(changed);
        Assert.True(changed.Version > first.Version);
        Assert.True(Active(changed, "feature_eyes_closed_mode"));

        Assert.Equal(SyncStatus.Pending, (await StatusAsync(client, userId, FeatureName.EyesClosedMode)).Status);
        await device.ReportAsync(Report(changed), Ct);
        var inSync = await StatusAsync(client, userId, FeatureName.EyesClosedMode);
        Assert.Equal((SyncStatus.InSync, true, changed.Version, true), (inSync.Status, inSync.Active, inSync.ReportedVersion!.Value, inSync.ReportedActive!.Value));

        // The receiver: feature.changed twice with one event id (it answered 500 the first time), then feature.applied.
        var events = await receiver.WaitForAsync(r => r.Count(e => e.Answered == 200) >= 2, Ct);
        var changes = events.Where(e => e.Form["event"] == ChangeEventNames.FeatureChanged).ToList();
        Assert.Equal([500, 200], changes.Select(e => e.Answered));
        Assert.Single(changes.Select(e => e.Form["event_id"]).Distinct());
        Assert.Equal(changes[0].Form["event_id"], changes[0].IdempotencyKey);
        var applied = Assert.Single(events, e => e.Form["event"] == ChangeEventNames.FeatureApplied);
        foreach (var e in events)
        {
            Assert.True(CallbackSignature.Verify([partner.ClientSecret], e.Timestamp, e.Signature, e.Body, DateTimeOffset.UtcNow), e.Form["event"]);
            Assert.Equal(userId.ToString(System.Globalization.CultureInfo.InvariantCulture), e.Form["userid"]);
            Assert.Equal("1000", e.Form["appli"]);
            Assert.Equal("feature_eyes_closed_mode", e.Form["feature_name"]);
            Assert.Equal("1", e.Form["active"]);
        }

        Assert.Equal((mac, changed.Version.ToString(System.Globalization.CultureInfo.InvariantCulture)), (applied.Form["mac_address"], applied.Form["version"]));

        // Offline during three changes: one pull brings the final state, not the three deltas.
        await client.DisableFeatureAsync(userId, DeviceModel.BodyPro2, FeatureName.EyesClosedMode, Ct);
        await client.EnableFeatureAsync(userId, DeviceModel.BodyPro2, FeatureName.Pacemaker, Ct);
        await client.EnableFeatureAsync(userId, DeviceModel.BodyPro2, FeatureName.EyesClosedMode, Ct);
        var caughtUp = (await device.GetConfigurationAsync(changed.Version, TimeSpan.FromSeconds(60), Ct)).Configuration!;
        Assert.True(caughtUp.Version >= changed.Version + 3);
        Assert.True(Active(caughtUp, "feature_eyes_closed_mode"));
        Assert.True(Active(caughtUp, "feature_pacemaker"));
        Assert.True((await device.GetConfigurationAsync(caughtUp.Version, cancellationToken: Ct)).IsNotModified);

        // The device cannot switch the pacemaker setting: sync failed, with its reason, for the partner and its receiver.
        await device.ReportAsync(Report(caughtUp, failed: ("feature_pacemaker", "sensor missing")), Ct);
        var failed = await StatusAsync(client, userId, FeatureName.Pacemaker);
        Assert.Equal((SyncStatus.SyncFailed, "sensor missing", false), (failed.Status, failed.Reason, failed.ReportedActive!.Value));
        Assert.Equal(SyncStatus.InSync, (await StatusAsync(client, userId, FeatureName.EyesClosedMode)).Status);
        var all = await receiver.WaitForAsync(r => r.Any(e => e.Form["event"] == ChangeEventNames.FeatureFailed), Ct);
        var failure = Assert.Single(all, e => e.Form["event"] == ChangeEventNames.FeatureFailed);
        Assert.Equal(("feature_pacemaker", "sensor missing", "1"), (failure.Form["feature_name"], failure.Form["reason"], failure.Form["active"]));
        Assert.True(CallbackSignature.Verify([partner.ClientSecret], failure.Timestamp, failure.Signature, failure.Body, DateTimeOffset.UtcNow));
    }

    private static bool Active(DeviceConfiguration configuration, string feature) =>
        configuration.Features.Single(f => f.FeatureName == feature).Active;

    /// <summary>What a device that applied the configuration reports, with the state each feature now runs in.</summary>
    private static DeviceReport Report(DeviceConfiguration configuration, (string Feature, string Reason)? failed = null) =>
        new(configuration.Version, "2.3.1", configuration.Features
            .Select(f => f.FeatureName == failed?.Feature
                ? new DeviceFeatureReport(f.FeatureName, false, failed.Value.Reason, Active: !f.Active)
                : new DeviceFeatureReport(f.FeatureName, true, Active: f.Active))
            .ToArray());

    private static async Task<FeatureSyncStatus> StatusAsync(DeviceFeaturesClient client, int userId, FeatureName feature) =>
        Assert.Single(Assert.Single(await client.GetFeatureStatusAsync(userId, DeviceModel.BodyPro2, feature, Ct)).Features);

    /// <summary>One request the receiver got, and what it answered.</summary>
    private sealed record Received(byte[] Body, IReadOnlyDictionary<string, string> Form, string? Timestamp, string? Signature, string? IdempotencyKey, int Answered);

    /// <summary>A partner's callback receiver on a loopback socket: answers 500 to the first requests it is told to, then 200.</summary>
    private sealed class CallbackReceiver : IAsyncDisposable
    {
        private readonly HttpListener _listener;
        private readonly ConcurrentQueue<Received> _received = new();
        private readonly SemaphoreSlim _arrived = new(0);
        private readonly Task _loop;
        private int _failures;

        private CallbackReceiver(HttpListener listener, Uri url, int failFirst)
        {
            _listener = listener;
            Url = url;
            _failures = failFirst;
            _loop = Task.Run(LoopAsync);
        }

        public Uri Url { get; }

        public static Task<CallbackReceiver> StartAsync(int failFirst)
        {
            // A free loopback port, then a listener on it (HttpListener cannot pick one itself).
            using var probe = new TcpListener(IPAddress.Loopback, 0);
            probe.Start();
            var port = ((IPEndPoint)probe.LocalEndpoint).Port;
            probe.Stop();
            var url = new Uri($"http://127.0.0.1:{port}/withings/notify/");
            var listener = new HttpListener();
            listener.Prefixes.Add(url.ToString());
            listener.Start();
            return Task.FromResult(new CallbackReceiver(listener, url, failFirst));
        }

        /// <summary>Waits (at most a minute) until what was received satisfies the condition; everything received.</summary>
        public async Task<IReadOnlyList<Received>> WaitForAsync(Func<IReadOnlyList<Received>, bool> condition, CancellationToken cancellationToken)
        {
            using var bound = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            bound.CancelAfter(TimeSpan.FromMinutes(1));
            while (!condition([.. _received]))
            {
                await _arrived.WaitAsync(bound.Token);
            }

            return [.. _received];
        }

        private async Task LoopAsync()
        {
            while (_listener.IsListening)
            {
                HttpListenerContext context;
                try
                {
                    context = await _listener.GetContextAsync();
                }
                catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or InvalidOperationException)
                {
                    return;
                }

                using var body = new MemoryStream();
                await context.Request.InputStream.CopyToAsync(body);
                var bytes = body.ToArray();
                var form = System.Web.HttpUtility.ParseQueryString(System.Text.Encoding.UTF8.GetString(bytes));
                var answer = Interlocked.Decrement(ref _failures) >= 0 ? 500 : 200;
                _received.Enqueue(new Received(bytes, form.AllKeys.ToDictionary(k => k!, k => form[k]!),
                    context.Request.Headers[CallbackHeaders.Timestamp], context.Request.Headers[CallbackHeaders.Signature],
                    context.Request.Headers[CallbackHeaders.IdempotencyKey], answer));
                context.Response.StatusCode = answer;
                context.Response.Close();
                _arrived.Release();
            }
        }

        public async ValueTask DisposeAsync()
        {
            _listener.Stop();
            _listener.Close();
            await _loop;
            _arrived.Dispose();
        }
    }
}
