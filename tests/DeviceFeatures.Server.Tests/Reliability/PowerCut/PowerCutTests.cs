using System.Text.RegularExpressions;
using DeviceFeatures.Server.Tests.Infrastructure;
using Microsoft.Data.Sqlite;

namespace DeviceFeatures.Server.Tests.Reliability.PowerCut;

/// <summary>
/// Power loss on SQLite, simulated below the server: the server process runs on a file system that keeps only what was
/// synced (<c>powercut.c</c>, preloaded), and a power cut at a random moment of the load drops every write made since
/// the last fsync of its file, then kills the process. Every change answered 0 before the cut must be there after a
/// restart on the same files, and the database must pass SQLite's integrity check.
/// </summary>
public sealed partial class PowerCutTests
{
    private const int Cuts = 8;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task CutAtRandom_LosesNoAcknowledgedChange_AndLeavesAnIntactDatabase_OnSqlite()
    {
        using var files = new Folders();
        var dropped = new List<long>();
        var run = new CrashSafetyTests.CrashRun("power cuts", Cuts, PowerCutShim.Environment(files.Data, files.CutFlag), CheckEachRound: true, Cut: async server =>
        {
            File.WriteAllText(files.CutFlag, "");
            try
            {
                await server.WaitForExitAsync(TimeSpan.FromSeconds(30));
            }
            finally
            {
                File.Delete(files.CutFlag);
            }

            dropped.Add(long.Parse(DroppedBytes().Match(server.Output).Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture));
        });

        var outcome = await CrashSafetyTests.RunAsync(files.Settings, run);
        var report = $"{outcome.Report}; unsynced bytes dropped per cut: [{string.Join(", ", dropped)}]; integrity_check: {IntegrityCheck(files.Database)}";
        TestContext.Current.SendDiagnosticMessage(report);
        Assert.Equal(0, outcome.Lost);
        Assert.Equal(Cuts, dropped.Count);

        // Most cuts must have met a write not yet synced, or they proved nothing a SIGKILL does not.
        Assert.True(dropped.Count(b => b > 0) > Cuts / 2, $"Too few cuts met unsynced writes: {report}");
        Assert.True(outcome.Acknowledged > Cuts * 5, $"Too little load to prove anything: {report}");
        Assert.Equal("ok", IntegrityCheck(files.Database));
    }

    /// <summary>
    /// The control: on a disk that acknowledges flushes without making them, the same cut loses changes the server had
    /// answered 0, so the cut above really drops what was not synced.
    /// </summary>
    [Fact]
    public async Task CutOnADiskThatIgnoresFlushes_LosesAcknowledgedChanges_SoTheCutIsReal()
    {
        using var files = new Folders();
        var environment = PowerCutShim.Environment(files.Data, files.CutFlag, ignoreFlushesFlag: files.IgnoreFlushesFlag);
        var port = ServerProcess.FreePort();
        var server = await ServerProcess.StartAsync(files.Settings, port, Ct, environment);
        using var http = new HttpClient { BaseAddress = server.BaseAddress, Timeout = TimeSpan.FromSeconds(10) };
        var (clientId, secret) = await CrashSafetyTests.CreatePartnerAsync(http);
        var user = await CrashSafetyTests.CreateUserAsync(http, clientId);

        // The partner and the user are on disk; from now on no flush is made.
        File.WriteAllText(files.IgnoreFlushesFlag, "");
        var acknowledged = new List<string>();
        foreach (var feature in new[] { "feature_pwv", "feature_pacemaker", "feature_fat_mass", "feature_bone_mass" })
        {
            Assert.Equal(0, (await CrashSafetyTests.CallAsync(http, clientId, secret, user, feature, true, Ct))?.Status);
            acknowledged.Add(feature);
        }

        File.WriteAllText(files.CutFlag, "");
        await server.WaitForExitAsync(TimeSpan.FromSeconds(30));
        await server.DisposeAsync();
        File.Delete(files.CutFlag);
        File.Delete(files.IgnoreFlushesFlag);

        await using var restarted = await ServerProcess.StartAsync(files.Settings, port, Ct, environment);
        var stored = await CrashSafetyTests.GetFeaturesAsync(http, clientId, secret, user);
        var lost = acknowledged.Count(f => !stored.GetValueOrDefault(f));
        TestContext.Current.SendDiagnosticMessage($"flushes ignored: {acknowledged.Count} acknowledged changes, {lost} lost");
        Assert.True(lost > 0, "A cut on a disk that ignores flushes lost nothing: the cut does not drop unsynced writes.");
    }

    internal static string IntegrityCheck(string database)
    {
        using var connection = new SqliteConnection($"Data Source={database};Pooling=False;Mode=ReadOnly");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA integrity_check;";
        return Convert.ToString(command.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture) ?? "";
    }

    [GeneratedRegex(@"powercut: power cut, (\d+) unsynced byte")]
    private static partial Regex DroppedBytes();

    /// <summary>The database's folder (the only one the shim watches) and a folder beside it for the flags.</summary>
    internal sealed class Folders : IDisposable
    {
        private readonly string _root = Directory.CreateTempSubdirectory("devicefeatures-powercut").FullName;

        public Folders()
        {
            Directory.CreateDirectory(Data);
        }

        public string Data => Path.Combine(_root, "data");

        public string Database => Path.Combine(Data, "power.db");

        public string CutFlag => Path.Combine(_root, "cut");

        public string FullFlag => Path.Combine(_root, "full");

        public string IgnoreFlushesFlag => Path.Combine(_root, "ignore-flushes");

        public Dictionary<string, string> Settings => new()
        {
            ["Storage:Provider"] = "sqlite",
            ["Storage:ConnectionString"] = $"Data Source={Database}",
        };

        public void Dispose()
        {
            SqliteConnection.ClearAllPools();
            Directory.Delete(_root, recursive: true);
        }
    }
}
