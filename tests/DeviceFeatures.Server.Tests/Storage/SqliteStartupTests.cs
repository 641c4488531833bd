using DeviceFeatures.Server.Hosting;
using DeviceFeatures.Server.Storage;
using DeviceFeatures.Server.Storage.Sqlite;
using DeviceFeatures.Server.Tests.Infrastructure;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace DeviceFeatures.Server.Tests.Storage;

/// <summary>
/// Starting on SQLite: a new database folder, one that cannot be made, and a database file another server uses.
/// </summary>
/// <remarks>
/// The tests run as root, which ignores permission bits, so "cannot be written" is made with paths that fail for
/// anyone: a folder below a regular file, a database path that is a folder.
/// </remarks>
public sealed class SqliteStartupTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("devicefeatures-startup-").FullName;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public async Task FirstStart_InAFolderThatDoesNotExistYet_LogsNoWarningFromStorage()
    {
        // The background checkpoints once started with the store, before the migration made the folder, and each
        // pass until then warned that the database could not be opened. A cold first start spends a while between
        // building its services and migrating; the slow start below stands for it.
        var logs = new CapturingLoggerProvider();
        using var server = new SlowFirstStartServer(logs);
        Assert.False(Directory.Exists(Path.GetDirectoryName(((SqliteTestDatabase)server.Database).Path)));
        _ = server.Server;

        // The checkpoints run on the server's clock; a few passes on the new database warn of nothing either.
        var checkpointer = server.Services.GetServices<IHostedService>().OfType<SqliteCheckpointer>().Single();
        await AdvanceUntilAsync(server.Time, () => checkpointer.Passes >= 3);
        Assert.DoesNotContain(logs.Lines, IsStorageWarning);
    }

    [Fact]
    public async Task Checkpointer_WaitsForTheMigration_ThenCopiesTheLogWithoutWarnings()
    {
        var time = ServerFactory.NewClock();
        var logs = new CapturingLoggerProvider();
        using var loggers = LoggerFactory.Create(b => b.AddProvider(logs));
        var database = Path.Combine(_folder, "new", "devicefeatures.db");
        await using var store = NewStore(database, time);
        using var checkpointer = new SqliteCheckpointer(store, time, loggers.CreateLogger<SqliteCheckpointer>());

        await checkpointer.StartAsync(Ct);
        for (var i = 0; i < 5; i++)
        {
            time.Advance(SqliteCheckpointer.Interval);
        }

        await Task.Delay(50, Ct);
        Assert.Equal(0, checkpointer.Passes);
        Assert.False(Directory.Exists(Path.GetDirectoryName(database)));

        await store.MigrateAsync(Ct);
        await store.WriteAsync(s => s.AddSettingAsync("copied", "by the checkpointer"), Ct);
        await AdvanceUntilAsync(time, () => checkpointer.Passes >= 3);
        await checkpointer.StopAsync(Ct);
        Assert.DoesNotContain(logs.Lines, IsStorageWarning);
    }

    [Fact]
    public async Task AFolderThatCannotBeCreated_StopsTheStore_NamingTheFolder()
    {
        var file = Path.Combine(_folder, "a-file");
        await File.WriteAllTextAsync(file, "not a folder", Ct);
        await using var store = NewStore(Path.Combine(file, "data", "devicefeatures.db"));

        var failure = await Assert.ThrowsAsync<StartupFailureException>(() => store.MigrateAsync(Ct));
        Assert.Equal(StartupExitCodes.CannotCreate, failure.ExitCode);
        Assert.Contains($"'{Path.Combine(file, "data")}'", failure.Message);
        Assert.Contains("Storage:ConnectionString", failure.Message);
    }

    [Fact]
    public async Task AFolderThatCannotBeCreated_StopsTheServerProcess_WithOneLineAndExitCode73()
    {
        var file = Path.Combine(_folder, "a-file");
        await File.WriteAllTextAsync(file, "not a folder", Ct);

        var (exitCode, _, error) = await RunToExitAsync(Path.Combine(file, "data", "devicefeatures.db"));
        Assert.Equal(StartupExitCodes.CannotCreate, exitCode);
        var line = Assert.Single(error.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        Assert.StartsWith("error: Cannot create the SQLite database folder", line, StringComparison.Ordinal);
        Assert.Contains($"'{Path.Combine(file, "data")}'", line, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ADatabasePathThatCannotBeWritten_StopsTheStore_NamingTheFile()
    {
        var database = Path.Combine(_folder, "devicefeatures.db");
        Directory.CreateDirectory(database);
        await using var store = NewStore(database);

        var failure = await Assert.ThrowsAsync<StartupFailureException>(() => store.MigrateAsync(Ct));
        Assert.Equal(StartupExitCodes.CannotCreate, failure.ExitCode);
        Assert.Contains($"'{database}'", failure.Message);
    }

    [Fact]
    public async Task ASecondServerProcess_OnTheSameDatabase_IsRefused_UntilTheFirstEnds()
    {
        var database = Path.Combine(_folder, "devicefeatures.db");
        var first = await ServerProcess.StartAsync(new Dictionary<string, string>
        {
            ["Storage:Provider"] = "sqlite",
            ["Storage:ConnectionString"] = $"Data Source={database}",
        }, ServerProcess.FreePort(), Ct);
        try
        {
            var (exitCode, _, error) = await RunToExitAsync(database);
            Assert.Equal(StartupExitCodes.Unavailable, exitCode);
            var line = Assert.Single(error.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
            Assert.StartsWith($"error: Another DeviceFeatures server is using the SQLite database '{database}' (lock file '{database}.lock')", line, StringComparison.Ordinal);

            await using var second = NewStore(database);
            var refused = await Assert.ThrowsAsync<StartupFailureException>(() => second.MigrateAsync(Ct));
            Assert.Equal(StartupExitCodes.Unavailable, refused.ExitCode);
            Assert.Contains($"'{database}'", refused.Message);
            Assert.Contains($"'{database}.lock'", refused.Message);

            // SIGKILL: the process cannot release anything itself, the kernel drops its lock.
            await first.KillAsync();
            await second.MigrateAsync(Ct);
            Assert.Equal("kept", await second.WriteAsync(async s =>
            {
                await s.AddSettingAsync("after", "kept");
                return await s.GetSettingAsync("after");
            }, Ct));
        }
        finally
        {
            await first.DisposeAsync();
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        }
    }

    [Fact]
    public async Task StoresOfOneProcess_ShareTheLock_AndTheLastOneToCloseReleasesIt()
    {
        var database = Path.Combine(_folder, "devicefeatures.db");
        var first = NewStore(database);
        var second = NewStore(database);
        await first.MigrateAsync(Ct);
        await second.MigrateAsync(Ct);
        Assert.False(CanLock(database + ".lock"));

        await first.DisposeAsync();
        Assert.False(CanLock(database + ".lock"));
        await second.DisposeAsync();
        Assert.True(CanLock(database + ".lock"));
    }

    [Fact]
    public async Task AStoreInMemory_TakesNoLock_AndMakesNoFolder()
    {
        await using var store = NewStore(":memory:");
        await store.MigrateAsync(Ct);
        Assert.Empty(Directory.EnumerateFileSystemEntries(_folder));
    }

    private static SqliteFeatureStore NewStore(string database, TimeProvider? time = null) => new(
        Options.Create(new StorageOptions { ConnectionString = $"Data Source={database}" }), time ?? TimeProvider.System, NullLogger<SqliteFeatureStore>.Instance);

    /// <summary>The server process on this SQLite database, until it exits by itself, as one that cannot start does.</summary>
    private static Task<(int ExitCode, string Output, string Error)> RunToExitAsync(string database) =>
        ServerProcess.RunToExitAsync(
            [$"--urls=http://127.0.0.1:{ServerProcess.FreePort()}", $"--Storage:ConnectionString=Data Source={database}"],
            "Production", TimeSpan.FromSeconds(60), Ct);

    private static bool IsStorageWarning(string line) =>
        line.StartsWith("Warning DeviceFeatures.Server.Storage", StringComparison.Ordinal)
        || line.StartsWith("Error DeviceFeatures.Server.Storage", StringComparison.Ordinal)
        || line.StartsWith("Critical DeviceFeatures.Server.Storage", StringComparison.Ordinal);

    /// <summary>Moves the clock on by one checkpoint interval at a time until <paramref name="done"/> (5 s at most).</summary>
    private static async Task AdvanceUntilAsync(FakeTimeProvider time, Func<bool> done)
    {
        for (var i = 0; !done() && i < 500; i++)
        {
            time.Advance(SqliteCheckpointer.Interval);
            await Task.Delay(10, Ct);
        }

        Assert.True(done(), "the checkpointer did not run");
    }

    private static bool CanLock(string path)
    {
        try
        {
            using var file = new FileStream(path, FileMode.Open, FileAccess.ReadWrite, FileShare.None);
            return true;
        }
        catch (IOException)
        {
            return false;
        }
    }

    /// <summary>
    /// A server whose start lets its clock run several checkpoint intervals before the migration, as a cold first start
    /// spends time between building its services and migrating: on the fake clock, so without sleeping.
    /// </summary>
    private sealed class SlowFirstStartServer(CapturingLoggerProvider logs)
        : ServerFactory(new SqliteTestDatabase(), NewClock(), ownsDatabase: true)
    {
        protected override void ConfigureWebHost(Microsoft.AspNetCore.Hosting.IWebHostBuilder builder)
        {
            base.ConfigureWebHost(builder);
            builder.ConfigureTestServices(services =>
            {
                services.AddSingleton<ILoggerProvider>(logs);
                services.Insert(0, ServiceDescriptor.Singleton<IStartupStep>(new SlowStart(Time)));
            });
        }
    }

    private sealed class SlowStart(FakeTimeProvider time) : IStartupStep
    {
        public Task RunAsync(CancellationToken cancellationToken)
        {
            for (var i = 0; i < 5; i++)
            {
                time.Advance(SqliteCheckpointer.Interval);
            }

            return Task.CompletedTask;
        }
    }
}
