using System.Diagnostics;
using System.Globalization;
using DeviceFeatures.Client.Devices;
using DeviceFeatures.Protocol.Admin;
using DeviceFeatures.Protocol.Callbacks;
using DeviceFeatures.Protocol.DeviceApi;
using DeviceFeatures.Server.Tests.ChangeEvents;
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
        await using var receiver = await CallbackReceiver.StartAsync();
        receiver.Answers.Enqueue(500);

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

        // The receiver: feature.changed, answered 500, then again with the same event id, and feature.applied.
        List<ReceivedCallback> events = [await receiver.NextAsync(), await receiver.NextAsync(), await receiver.NextAsync()];
        Assert.Equal(ChangeEventNames.FeatureChanged, events[0]["event"]);
        var changes = events.Where(e => e["event"] == ChangeEventNames.FeatureChanged).ToList();
        Assert.Equal(2, changes.Count);
        Assert.Single(changes.Select(e => e["event_id"]).Distinct());
        Assert.Equal(changes[0]["event_id"], changes[0].IdempotencyKey);
        var applied = Assert.Single(events, e => e["event"] == ChangeEventNames.FeatureApplied);
        foreach (var e in events)
        {
            Assert.True(CallbackSignature.Verify([partner.ClientSecret], e.Timestamp, e.Signature, e.Body, DateTimeOffset.UtcNow), e["event"]);
            Assert.Equal(userId.ToString(CultureInfo.InvariantCulture), e["userid"]);
            Assert.Equal("1000", e["appli"]);
            Assert.Equal("feature_eyes_closed_mode", e["feature_name"]);
            Assert.Equal("1", e["active"]);
        }

        Assert.Equal((mac, changed.Version.ToString(CultureInfo.InvariantCulture)), (applied.Form["mac_address"], applied.Form["version"]));

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
        ReceivedCallback failure;
        do
        {
            failure = await receiver.NextAsync();
        }
        while (failure["event"] != ChangeEventNames.FeatureFailed);

        Assert.Equal(("feature_pacemaker", "sensor missing", "1"), (failure["feature_name"], failure["reason"], failure["active"]));
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
}
