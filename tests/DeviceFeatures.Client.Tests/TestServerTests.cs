using System.Collections.Concurrent;
using DeviceFeatures.Client.Admin;
using DeviceFeatures.Testing;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;

namespace DeviceFeatures.Client.Tests;

/// <summary>The testing package itself: what a partner's test gets from one line.</summary>
public sealed class TestServerTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task OneLine_GivesARealServerAPartnerAUserAndAClient()
    {
        await using var server = await DeviceFeaturesTestServer.StartAsync(cancellationToken: Ct);

        Assert.Equal("127.0.0.1", server.BaseAddress.Host);
        await server.Client.EnableFeatureAsync(server.UserId, DeviceModel.BodyPro2, FeatureName.EyesClosedMode, Ct);
        var user = await server.Admin.GetUserAsync(server.UserId, Ct);
        Assert.Equal([17, 47], user.Devices.Select(d => d.Model).Order());
    }

    [Fact]
    public async Task State_PersistsAcrossClients()
    {
        await using var server = await DeviceFeaturesTestServer.StartAsync(cancellationToken: Ct);
        await server.Client.EnableFeatureAsync(server.UserId, DeviceModel.BodyPro2, FeatureName.Pacemaker, Ct);
        var another = server.CreateClient(server.DefaultPartner.ClientId, server.DefaultPartner.ClientSecret);
        Assert.Contains(new FeatureChoice(FeatureName.Pacemaker, true), await another.GetFeaturesAsync(server.UserId, DeviceModel.BodyPro2, Ct));
    }

    [Fact]
    public async Task SharedFakeClock_DrivesNonceExpiry()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 11, 24, 9, 0, 0, TimeSpan.Zero));
        await using var server = await DeviceFeaturesTestServer.StartAsync(new DeviceFeaturesTestServerOptions { TimeProvider = time }, Ct);
        var nonce = await server.Client.GetNonceAsync(Ct);
        Assert.Matches("^[0-9a-f]{40}$", nonce);

        // The client's timestamps follow the same clock, so it keeps working after the clock moves.
        time.Advance(TimeSpan.FromHours(5));
        await server.Client.EnableFeatureAsync(server.UserId, DeviceModel.BodyPro2, FeatureName.Pacemaker, Ct);
        var events = await server.Admin.GetAuditAsync(new AuditFilter(Userid: server.UserId), cancellationToken: Ct);
        Assert.Equal(time.GetUtcNow(), events.Events.Single(e => e.Kind == "feature.enabled").OccurredAt);
    }

    [Fact]
    public async Task WithRateLimiting_TheClientWaitsOutA601_AndGoesThrough()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 11, 24, 9, 0, 50, TimeSpan.Zero));
        await using var server = await DeviceFeaturesTestServer.StartAsync(
            new DeviceFeaturesTestServerOptions { TimeProvider = time, EnableRateLimiting = true }, Ct);
        await server.Admin.SetRateLimitAsync(server.DefaultPartner.ClientId, 1, Ct);

        // A nonce request is not counted, a device call is: the second call meets the quota and waits for the next minute.
        await server.Client.EnableFeatureAsync(server.UserId, DeviceModel.BodyPro2, FeatureName.Pacemaker, Ct);
        var call = server.Client.EnableFeatureAsync(server.UserId, DeviceModel.BodyPro2, FeatureName.PulseWaveVelocity, Ct);
        var moved = TimeSpan.Zero;
        while (!call.IsCompleted && moved < TimeSpan.FromMinutes(2))
        {
            if (await Task.WhenAny(call, Task.Delay(10, Ct)) != call)
            {
                time.Advance(TimeSpan.FromSeconds(1));
                moved += TimeSpan.FromSeconds(1);
            }
        }

        await call;
        Assert.InRange(moved, TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(12));
        Assert.Contains(new FeatureChoice(FeatureName.PulseWaveVelocity, true), await GetAllAsync(server, time));
    }

    private static async Task<IReadOnlyList<FeatureChoice>> GetAllAsync(DeviceFeaturesTestServer server, FakeTimeProvider time)
    {
        time.Advance(TimeSpan.FromMinutes(1));
        return await server.Client.GetFeaturesAsync(server.UserId, DeviceModel.BodyPro2, Ct);
    }

    [Fact]
    public async Task Partners_AreIsolatedFromEachOther()
    {
        await using var server = await DeviceFeaturesTestServer.StartAsync(cancellationToken: Ct);
        var other = await server.CreatePartnerAsync("Other programme", Ct);
        await other.Client.EnableFeatureAsync(other.UserId, DeviceModel.BodyPro2, FeatureName.Pacemaker, Ct);
        await Assert.ThrowsAsync<InvalidParamsException>(() => server.Client.GetFeaturesAsync(other.UserId, DeviceModel.BodyPro2, Ct));
    }

    [Fact]
    public async Task Dispose_DeletesTheThrowawayDatabase()
    {
        var server = await DeviceFeaturesTestServer.StartAsync(cancellationToken: Ct);
        Assert.True(File.Exists(server.DatabasePath));
        await server.DisposeAsync();
        Assert.False(Directory.Exists(Path.GetDirectoryName(server.DatabasePath)));
    }

    private sealed class CapturingLoggerProvider : ILoggerProvider
    {
        public ConcurrentQueue<(string Category, LogLevel Level)> Entries { get; } = new();

        public ILogger CreateLogger(string categoryName) => new Logger(categoryName, Entries);

        public void Dispose()
        {
        }

        private sealed class Logger(string category, ConcurrentQueue<(string, LogLevel)> entries) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state)
                where TState : notnull => null;

            public bool IsEnabled(LogLevel logLevel) => true;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
                entries.Enqueue((category, logLevel));
        }
    }

    [Fact]
    public async Task Logs_AreWarningsAndAbove_UnlessMoreIsAskedFor()
    {
        // Configuration that asks for Information, as an appsettings.json in a test's output folder can: not listened to.
        var quiet = new CapturingLoggerProvider();
        var defaults = new DeviceFeaturesTestServerOptions { ConfigureLogging = l => l.AddProvider(quiet) };
        defaults.Settings["Logging:LogLevel:Default"] = "Information";
        defaults.Settings["Logging:LogLevel:Microsoft.Hosting.Lifetime"] = "Information";
        await using (var server = await DeviceFeaturesTestServer.StartAsync(defaults, Ct))
        {
            await server.Client.EnableFeatureAsync(server.UserId, DeviceModel.BodyPro2, FeatureName.Pacemaker, Ct);
        }

        Assert.DoesNotContain(quiet.Entries, e => e.Level < LogLevel.Warning);

        var chatty = new CapturingLoggerProvider();
        var options = new DeviceFeaturesTestServerOptions { MinimumLogLevel = LogLevel.Information, ConfigureLogging = l => l.AddProvider(chatty) };
        await using (var server = await DeviceFeaturesTestServer.StartAsync(options, Ct))
        {
            await server.Client.EnableFeatureAsync(server.UserId, DeviceModel.BodyPro2, FeatureName.Pacemaker, Ct);
        }

        Assert.Contains(chatty.Entries, e => e.Level == LogLevel.Information && e.Category == "Microsoft.Hosting.Lifetime");
        Assert.Contains(chatty.Entries, e => e.Level == LogLevel.Information && e.Category.StartsWith("DeviceFeatures.Server", StringComparison.Ordinal));
        Assert.DoesNotContain(chatty.Entries, e => e.Level < LogLevel.Information);
    }

    [Fact]
    public async Task GivenDatabasePath_IsKeptAfterDispose_AndReusable()
    {
        // The test's own folder, so that the kept file and its -wal and -shm companions go when it ends.
        var folder = Directory.CreateTempSubdirectory("devicefeatures-kept-").FullName;
        try
        {
            var path = Path.Combine(folder, "kept.db");
            int userId;
            string clientId, secret;
            await using (var first = await DeviceFeaturesTestServer.StartAsync(new() { DatabasePath = path }, Ct))
            {
                await first.Client.EnableFeatureAsync(first.UserId, DeviceModel.BodyPro2, FeatureName.Pacemaker, Ct);
                (userId, clientId, secret) = (first.UserId, first.DefaultPartner.ClientId, first.DefaultPartner.ClientSecret);
            }

            Assert.True(File.Exists(path));
            await using var second = await DeviceFeaturesTestServer.StartAsync(new() { DatabasePath = path, CreateDefaultPartner = false }, Ct);
            var client = second.CreateClient(clientId, secret);
            Assert.Contains(new FeatureChoice(FeatureName.Pacemaker, true), await client.GetFeaturesAsync(userId, DeviceModel.BodyPro2, Ct));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}
