using DeviceFeatures.Client;
using DeviceFeatures.Client.Admin;
using DeviceFeatures.Protocol.Admin;
using DeviceFeatures.Server.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace DeviceFeatures.Testing;

/// <summary>How <see cref="DeviceFeaturesTestServer"/> starts.</summary>
public sealed class DeviceFeaturesTestServerOptions
{
    /// <summary>
    /// The clock of the server and of the clients it hands out, e.g. a <c>FakeTimeProvider</c> to test nonce expiry
    /// without waiting. The system clock when not set.
    /// </summary>
    public TimeProvider? TimeProvider { get; set; }

    /// <summary>The SQLite file to use; a new file in a temporary folder when not set (deleted on dispose).</summary>
    public string? DatabasePath { get; set; }

    /// <summary>Whether to create a partner with one user (an EU Body Pro 2 and a BPM Pro 2) on start.</summary>
    public bool CreateDefaultPartner { get; set; } = true;

    /// <summary>
    /// Whether partners' quotas (601 over 120 requests a minute, by default) apply. Off by default, so that a test
    /// suite can call as often as it likes; switch it on to test how your code handles 601.
    /// </summary>
    public bool EnableRateLimiting { get; set; }

    /// <summary>Any other server setting, e.g. <c>["Catalog:Path"] = "my-catalog.json"</c>.</summary>
    public IDictionary<string, string?> Settings { get; } = new Dictionary<string, string?>();

    /// <summary>Lets the test tune each client it creates (retry counts, timeouts).</summary>
    public Action<DeviceFeaturesClientOptions>? ConfigureClient { get; set; }

    /// <summary>
    /// The lowest level of the server's log entries that reach its logging providers: <see cref="LogLevel.Warning"/>
    /// by default, so that the server's start-up and request information does not fill the test output. It applies
    /// to every category, whatever the <c>Logging</c> section of configuration says (an <c>appsettings.json</c> in
    /// the test's output folder, or <see cref="Settings"/>). Set <see cref="LogLevel.Information"/> or <see cref="LogLevel.Debug"/> to see more, or
    /// <see cref="LogLevel.None"/> to see nothing.
    /// </summary>
    public LogLevel MinimumLogLevel { get; set; } = LogLevel.Warning;

    /// <summary>
    /// Changes the server's logging after <see cref="MinimumLogLevel"/> is applied: add a provider that writes to
    /// your test framework's output, remove the console provider (<c>logging.ClearProviders()</c>), or add finer
    /// filters (<c>logging.AddFilter("DeviceFeatures", LogLevel.Debug)</c>).
    /// </summary>
    public Action<ILoggingBuilder>? ConfigureLogging { get; set; }
}

/// <summary>A partner created on the test server, with a client signed with its credentials.</summary>
/// <param name="ClientId">The partner's client id.</param>
/// <param name="ClientSecret">The partner's client secret.</param>
/// <param name="UserId">A user of this partner, with an EU Body Pro 2 and a BPM Pro 2 linked.</param>
/// <param name="Client">A client configured for this partner.</param>
public sealed record TestPartner(string ClientId, string ClientSecret, int UserId, DeviceFeaturesClient Client);

/// <summary>
/// The real DeviceFeatures server, running in-process on a loopback port with a throwaway SQLite database: real
/// signatures, single-use nonces and state that persists across calls.
/// </summary>
/// <example>
/// <code>
/// await using var server = await DeviceFeaturesTestServer.StartAsync();
/// await server.Client.EnableFeatureAsync(server.UserId, DeviceModel.BodyPro2, FeatureName.EyesClosedMode);
/// </code>
/// </example>
public sealed class DeviceFeaturesTestServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly HttpClient _http;
    private readonly DeviceFeaturesTestServerOptions _options;
    private readonly string? _ownedDirectory;
    private readonly TimeProvider _time;
    private TestPartner? _default;
    private EmulatorSnapshot? _baseline;

    private DeviceFeaturesTestServer(
        WebApplication app, Uri baseAddress, string adminKey, string databasePath, DeviceFeaturesTestServerOptions options, string? ownedDirectory)
    {
        DatabasePath = databasePath;
        _app = app;
        _options = options;
        _ownedDirectory = ownedDirectory;
        BaseAddress = baseAddress;
        AdminKey = adminKey;
        Clock = app.Services.GetRequiredService<DeviceFeaturesTestClock>();
        _time = app.Services.GetRequiredService<TimeProvider>();
        _http = new HttpClient { Timeout = Timeout.InfiniteTimeSpan };
        Admin = new DeviceFeaturesAdminClient(_http, baseAddress, adminKey);
        Faults = new TestServerFaults(Admin);
        Journal = new TestServerJournal(Admin);
    }

    /// <summary>Where the server listens, e.g. <c>http://127.0.0.1:41234/</c>.</summary>
    public Uri BaseAddress { get; }

    /// <summary>The SQLite file the server stores its state in.</summary>
    public string DatabasePath { get; }

    /// <summary>The admin API key of this server.</summary>
    public string AdminKey { get; }

    /// <summary>A client of the admin API: create partners and users, grant gated features, read the audit log.</summary>
    public DeviceFeaturesAdminClient Admin { get; }

    /// <summary>
    /// The server's clock: <c>server.Clock.Advance(TimeSpan.FromMinutes(31))</c> expires the nonces given so far, without
    /// waiting. The clients of <see cref="CreateClient"/> sign on it too.
    /// </summary>
    public DeviceFeaturesTestClock Clock { get; }

    /// <summary>The fault rules: make calls answer 601, 522, an HTTP 503, a dropped connection or a slow body.</summary>
    public TestServerFaults Faults { get; }

    /// <summary>The request journal: every call and its answer, redacted, with refused signatures explained.</summary>
    public TestServerJournal Journal { get; }

    /// <summary>The partner created on start.</summary>
    /// <exception cref="InvalidOperationException">The server was started without a default partner.</exception>
    public TestPartner DefaultPartner => _default ?? throw new InvalidOperationException("Started with CreateDefaultPartner = false.");

    /// <summary>A client signed as the default partner.</summary>
    public DeviceFeaturesClient Client => DefaultPartner.Client;

    /// <summary>The default partner's user (an EU Body Pro 2 and a BPM Pro 2).</summary>
    public int UserId => DefaultPartner.UserId;

    /// <summary>Starts a server; by default with a partner, a user and a client ready to use.</summary>
    /// <param name="options">How to start; defaults when omitted.</param>
    /// <param name="cancellationToken">Cancels the start.</param>
    /// <returns>The running server; dispose it to stop it and delete its database.</returns>
    public static async Task<DeviceFeaturesTestServer> StartAsync(DeviceFeaturesTestServerOptions? options = null, CancellationToken cancellationToken = default)
    {
        options ??= new DeviceFeaturesTestServerOptions();

        // A folder of its own directly under the temporary directory: deleting it on dispose leaves nothing behind.
        var ownedDirectory = options.DatabasePath is null ? Directory.CreateTempSubdirectory("devicefeatures-testing-").FullName : null;
        var databasePath = options.DatabasePath ?? Path.Combine(ownedDirectory!, "devicefeatures.db");
        var adminKey = "test-" + Guid.NewGuid().ToString("n");
        WebApplication? app = null;
        try
        {
            app = Build(options, databasePath, adminKey, throwawayDatabase: ownedDirectory is not null);
            await app.StartAsync(cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            if (app is not null)
            {
                await app.DisposeAsync().ConfigureAwait(false);
            }

            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            DeleteOwnedDirectory(ownedDirectory);
            throw;
        }

        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        var server = new DeviceFeaturesTestServer(app, new Uri(address.TrimEnd('/') + "/"), adminKey, databasePath, options, ownedDirectory);
        if (options.CreateDefaultPartner)
        {
            try
            {
                server._default = await server.CreatePartnerAsync("Test partner", cancellationToken).ConfigureAwait(false);
            }
            catch
            {
                await server.DisposeAsync().ConfigureAwait(false);
                throw;
            }
        }

        if (EmulatorEnabled(options))
        {
            try
            {
                server._baseline = await server.Admin.GetSnapshotAsync(cancellationToken).ConfigureAwait(false);
            }
            catch
            {
                await server.DisposeAsync().ConfigureAwait(false);
                throw;
            }
        }

        return server;
    }

    private static bool EmulatorEnabled(DeviceFeaturesTestServerOptions options) =>
        !options.Settings.TryGetValue("Emulator:Enabled", out var enabled) || !string.Equals(enabled, "false", StringComparison.OrdinalIgnoreCase);

    private static WebApplication Build(DeviceFeaturesTestServerOptions options, string databasePath, string adminKey, bool throwawayDatabase)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions
        {
            EnvironmentName = "Testing",
            ApplicationName = typeof(ServerComposition).Assembly.GetName().Name,
        });
        var settings = new Dictionary<string, string?>
        {
            ["Urls"] = "http://127.0.0.1:0",
            ["Storage:ConnectionString"] = $"Data Source={databasePath}",
            ["Admin:ApiKey"] = adminKey,
            ["Demo:Enabled"] = "false",
            ["Console:CreateFirstAdministrator"] = "false",
            ["RateLimit:Enabled"] = options.EnableRateLimiting ? "true" : "false",

            // The emulator's powers (reset, snapshots, the clock) are what a test server is for.
            ["Emulator:Enabled"] = "true",
        };

        // A throwaway key for a throwaway database (and no warning about a key kept in the database); a database
        // the test keeps keeps its key inside.
        if (throwawayDatabase)
        {
            settings["Secrets:Key"] = Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));
        }

        foreach (var (key, value) in options.Settings)
        {
            settings[key] = value;
        }

        builder.Configuration.AddInMemoryCollection(settings);

        // The Logging section of an appsettings.json that happens to sit in the test's output folder (a partner's own
        // web project copies one there) must not turn the server's information on: only the options decide.
        builder.Services.Configure<LoggerFilterOptions>(filters =>
        {
            filters.Rules.Clear();
            filters.MinLevel = options.MinimumLogLevel;
        });
        options.ConfigureLogging?.Invoke(builder.Logging);
        // Registered before the server, which wraps it in the emulator's clock: both move forward together.
        var clock = new DeviceFeaturesTestClock(options.TimeProvider ?? TimeProvider.System);
        builder.Services.AddSingleton(clock);
        builder.Services.AddSingleton<TimeProvider>(clock);

        builder.AddDeviceFeaturesServer();
        var app = builder.Build();
        app.UseDeviceFeaturesServer();
        return app;
    }

    /// <summary>Creates another partner, with one user (an EU Body Pro 2 and a BPM Pro 2) and its own client.</summary>
    /// <param name="name">The partner's name.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The partner, its user and its client.</returns>
    public async Task<TestPartner> CreatePartnerAsync(string name = "Test partner", CancellationToken cancellationToken = default)
    {
        var partner = await Admin.CreatePartnerAsync(name, cancellationToken).ConfigureAwait(false);
        var userId = await CreateUserAsync(partner.ClientId, [new(RandomMac(), 17, "EU"), new(RandomMac(), 47, "EU")], cancellationToken)
            .ConfigureAwait(false);
        return new TestPartner(partner.ClientId, partner.ClientSecret, userId, CreateClient(partner.ClientId, partner.ClientSecret));
    }

    /// <summary>Creates a user of a partner with the given devices.</summary>
    /// <param name="clientId">The partner's client id.</param>
    /// <param name="devices">The devices to link (see <see cref="RandomMac"/> for addresses).</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The new user id.</returns>
    public Task<int> CreateUserAsync(string clientId, IEnumerable<DeviceLink> devices, CancellationToken cancellationToken = default) =>
        Admin.CreateUserAsync(clientId, devices, cancellationToken);

    /// <summary>A client signed with the given credentials, pointed at this server, on this server's clock.</summary>
    /// <param name="clientId">The client id.</param>
    /// <param name="clientSecret">The client secret.</param>
    /// <returns>The client.</returns>
    public DeviceFeaturesClient CreateClient(string clientId, string clientSecret)
    {
        var options = new DeviceFeaturesClientOptions { BaseAddress = BaseAddress, ClientId = clientId, ClientSecret = clientSecret };
        _options.ConfigureClient?.Invoke(options);
        return new DeviceFeaturesClient(_http, options, _time);
    }

    /// <summary>
    /// Puts the server back as it was when it started: the state restored, every fault rule removed and the journal
    /// emptied, so that one test's faults and requests never reach the next. With <paramref name="clientId"/> it removes
    /// one partner's users and devices (the partner, its secret and its grants stay) and that partner's journal entries;
    /// the fault rules stay. The default partner, its user and its client work as before: same client id, secret and
    /// user id. The clock is not put back: it only goes forward (<see cref="DeviceFeaturesTestClock"/>).
    /// </summary>
    /// <param name="clientId">A partner whose users and devices to remove; null to restore the start-up state.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>A task that completes when the state is reset.</returns>
    /// <exception cref="InvalidOperationException">The server was started with <c>Emulator:Enabled=false</c>.</exception>
    public async Task ResetAsync(string? clientId = null, CancellationToken cancellationToken = default)
    {
        if (clientId is not null)
        {
            await Admin.ResetEmulatorAsync(clientId, cancellationToken).ConfigureAwait(false);
            await Journal.ClearAsync(clientId, cancellationToken).ConfigureAwait(false);
            return;
        }

        var baseline = _baseline ?? throw new InvalidOperationException("Started with Emulator:Enabled=false: the state cannot be reset.");
        await Admin.RestoreSnapshotAsync(baseline, cancellationToken).ConfigureAwait(false);
        await Faults.ClearAsync(cancellationToken).ConfigureAwait(false);
        await Journal.ClearAsync(null, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The server's whole state, to give to <see cref="RestoreAsync"/> later (or to save as a fixture).</summary>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The snapshot.</returns>
    public Task<EmulatorSnapshot> SnapshotAsync(CancellationToken cancellationToken = default) => Admin.GetSnapshotAsync(cancellationToken);

    /// <summary>Replaces the server's whole state with a snapshot (from <see cref="SnapshotAsync"/>, or a fixture file read with <c>AdminJsonContext</c>).</summary>
    /// <param name="snapshot">The state to restore.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>A task that completes when the state is restored.</returns>
    public Task RestoreAsync(EmulatorSnapshot snapshot, CancellationToken cancellationToken = default) =>
        Admin.RestoreSnapshotAsync(snapshot, cancellationToken);

    /// <summary>A random MAC address in the Withings range, for test devices.</summary>
    /// <returns>An address such as <c>00:24:e4:1a:2b:3c</c>.</returns>
    public static string RandomMac()
    {
        Span<byte> bytes = stackalloc byte[3];
        System.Security.Cryptography.RandomNumberGenerator.Fill(bytes);
        return $"00:24:e4:{bytes[0]:x2}:{bytes[1]:x2}:{bytes[2]:x2}";
    }

    /// <summary>Stops the server and deletes the database it created.</summary>
    /// <returns>A task that completes when the server has stopped.</returns>
    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync().ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
        _http.Dispose();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        DeleteOwnedDirectory(_ownedDirectory);
    }

    private static void DeleteOwnedDirectory(string? directory)
    {
        if (directory is null)
        {
            return;
        }

        try
        {
            Directory.Delete(directory, recursive: true);
        }
        catch (IOException)
        {
            // A leftover temporary file is not worth failing a test run for.
        }
    }
}
