using System.Net.Http.Json;
using DeviceFeatures.Protocol.Admin;
using DeviceFeatures.Server.Hosting;
using DeviceFeatures.Server.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace DeviceFeatures.Server.Tests.Emulator;

/// <summary><c>Seed:Path</c>: a fixture loaded into an empty database at start, in place of the demo partner.</summary>
public abstract class SeedTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("devicefeatures-seed-").FullName;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    protected abstract TestDatabase NewDatabase();

    private ServerFactory Server(string seedPath)
    {
        var server = new ServerFactory(NewDatabase(), ServerFactory.NewClock(), ownsDatabase: true);
        server.Settings["Seed:Path"] = seedPath;
        server.Settings["Demo:Enabled"] = "true";
        return server;
    }

    [Fact]
    public async Task SeedFile_IsLoadedIntoAnEmptyDatabase_InsteadOfTheDemo()
    {
        using var server = Server(Path.Combine(Repository.Root(), "docs", "examples", "fixture.json"));
        await FixtureAssertions.AnswerAsync(server);

        using var admin = server.CreateAdminClient();
        var partners = await admin.GetFromJsonAsync("/admin/api/partners", AdminJsonContext.Default.PartnerList, Ct);
        Assert.Equal(["fixture-partner", "fixture-suspended"], partners!.Partners.Select(p => p.ClientId).Order());
        var audit = await admin.GetFromJsonAsync("/admin/api/audit", AdminJsonContext.Default.AuditPage, Ct);
        Assert.Contains(audit!.Events, e => e.Kind == "emulator.seeded");
    }

    [Fact]
    public void SeedFile_WithAnInvalidMember_StopsTheStart_NamingTheFileAndTheMember()
    {
        var file = Path.Combine(_directory, "bad.json");
        File.WriteAllText(file, """
            { "partners": [ { "client_id": "p", "name": "P", "client_secret": "s" } ],
              "users": [ { "userid": 1, "client_id": "p", "devices": [ { "mac_address": "00:24:e4:00:00:01", "model": 999, "market": "EU" } ] } ] }
            """);
        using var server = Server(file);
        var failure = StartupFailure(() => server.CreateClient());
        Assert.Equal(StartupExitCodes.Configuration, failure.ExitCode);
        Assert.Contains(file, failure.Message, StringComparison.Ordinal);
        Assert.Contains("users[0].devices[0].model", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void SeedFile_ThatIsNotJsonOfTheDocument_StopsTheStart_NamingTheMember()
    {
        var file = Path.Combine(_directory, "wrong-type.json");
        File.WriteAllText(file, """{ "partners": [ { "client_id": "p", "suspended": "yes" } ] }""");
        using var server = Server(file);
        var failure = StartupFailure(() => server.CreateClient());
        Assert.Contains(file, failure.Message, StringComparison.Ordinal);
        Assert.Contains("partners[0].suspended", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SeedRestore_IntoADatabaseThatHasAPartnerSince_ChangesNothing()
    {
        // The start-up check passed on another instance; the restore checks again, in its own transaction.
        using var server = Server(Path.Combine(Repository.Root(), "docs", "examples", "fixture.json"));
        await FixtureAssertions.AnswerAsync(server);
        var state = server.Services.GetRequiredService<Server.Emulator.State.EmulatorStateService>();
        var other = new EmulatorSnapshot(EmulatorSnapshot.CurrentVersion, null, [], [], []);

        var (result, error) = await state.RestoreAsync(other, DeviceFeatures.Server.Admin.AuditOrigin.Admin("seed"), "emulator.seeded", onlyIntoEmpty: true, Ct);

        Assert.Null(result);
        Assert.Null(error);
        await FixtureAssertions.AnswerAsync(server);
    }

    private static StartupFailureException StartupFailure(Action start)
    {
        var thrown = Record.Exception(start);
        for (var e = thrown; e is not null; e = e.InnerException)
        {
            if (e is StartupFailureException failure)
            {
                return failure;
            }
        }

        Assert.Fail($"Expected a StartupFailureException, got {thrown}");
        return null!;
    }

    public void Dispose()
    {
        Directory.Delete(_directory, recursive: true);
        GC.SuppressFinalize(this);
    }
}

public sealed class SeedTestsOnSqlite : SeedTests
{
    protected override TestDatabase NewDatabase() => new SqliteTestDatabase();
}

[NeedsPostgres]
public sealed class SeedTestsOnPostgres : SeedTests
{
    public SeedTestsOnPostgres() => PostgresTestDatabase.SkipUnlessConfigured();

    protected override TestDatabase NewDatabase() => new PostgresTestDatabase();
}
