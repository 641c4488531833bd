using System.Net;
using System.Net.Http.Json;
using DeviceFeatures.Protocol.Admin;
using DeviceFeatures.Protocol.DeviceApi;
using DeviceFeatures.Server.Device;
using DeviceFeatures.Server.DeviceApi;
using DeviceFeatures.Server.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace DeviceFeatures.Server.Tests.DeviceApi;

/// <summary>Two instances on one PostgreSQL database: a change made through one wakes a device waiting on the other.</summary>
[NeedsPostgres]
public sealed class CrossInstanceWakeTests(PostgresServer server) : IClassFixture<PostgresServer>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private readonly PostgresServer _first = server.OrSkip();

    [Fact]
    public async Task AChangeOnOneInstance_WakesADeviceWaitingOnTheOther()
    {
        using var second = new ServerFactory(_first.Database, _first.Time);
        await ListeningAsync(_first);
        await ListeningAsync(second);

        var partner = await _first.CreatePartnerAsync((17, "EU"));
        using var admin = _first.CreateAdminClient();
        var mac = (await admin.GetFromJsonAsync($"/admin/api/users/{partner.UserId}", AdminJsonContext.Default.User, Ct))!.Devices.Single().MacAddress;
        using var rotated = await admin.PostAsync($"/admin/api/devices/{mac}/rotate-credential", null, Ct);
        var secret = (await rotated.Content.ReadFromJsonAsync(AdminJsonContext.Default.DeviceCredential, Ct))!.DeviceSecret;

        // The device talks to the second instance only.
        var device = new TestDevice(second, mac, secret);
        var current = await device.ConfigurationAsync();
        var signals = second.Services.GetRequiredService<DeviceSignals>();
        var waiting = device.PullAsync(ifNoneMatch: current.Version, wait: 60);
        using (var timeout = CancellationTokenSource.CreateLinkedTokenSource(Ct))
        {
            timeout.CancelAfter(TimeSpan.FromSeconds(30));
            while (signals.WaitersOf(mac) == 0 && !waiting.IsCompleted)
            {
                await Task.Delay(10, timeout.Token);
            }
        }

        Assert.Equal(0, (await partner.EnableAsync("feature_eyes_closed_mode")).Status);

        using var woken = await waiting.WaitAsync(TimeSpan.FromSeconds(30), Ct);
        Assert.Equal(HttpStatusCode.OK, woken.StatusCode);
        var configuration = (await woken.Content.ReadFromJsonAsync(DeviceApiJsonContext.Default.DeviceConfiguration, Ct))!;
        Assert.True(configuration.Version > current.Version);
        Assert.Contains(new DeviceFeatureSetting("feature_eyes_closed_mode", true), configuration.Features);
    }

    private static Task ListeningAsync(ServerFactory server) =>
        server.Services.GetServices<IHostedService>().OfType<DeviceChangeListener>().Single().Listening.WaitAsync(TimeSpan.FromSeconds(30), Ct);
}
