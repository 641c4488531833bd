using System.Net.Http.Json;
using System.Text.Json;
using DeviceFeatures.Seed;
using DeviceFeatures.Server.Tests.Infrastructure;

namespace DeviceFeatures.Server.Tests.Bench;

/// <summary>The seeding tool writes data the server serves as its own, and leaves its userids to nobody else.</summary>
public abstract class SeedTests : OwnServerTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Seed_FillsUsersDevicesAndChoices_ThatTheServerServes()
    {
        using var database = NewDatabase();
        var output = new StringWriter();
        var plan = new SeedPlan(database.Provider, database.ConnectionString, Users: 250, ChoicesPerUser: 5, "seed-partner", "seed-secret", Batch: 100);

        Assert.Equal(0, await Seeder.RunAsync(plan, output, TextWriter.Null, Ct));
        Assert.Equal(0, await Seeder.RunAsync(plan, output, TextWriter.Null, Ct));

        Assert.Equal(500, Sql.Scalar(database, "SELECT COUNT(*) FROM users"));
        Assert.Equal(500, Sql.Scalar(database, "SELECT COUNT(*) FROM devices"));
        Assert.Equal(2500, Sql.Scalar(database, "SELECT COUNT(*) FROM choices"));
        Assert.Contains("userid 251-500", output.ToString());

        using var server = new ServerFactory(database, ServerFactory.NewClock());
        var seeded = new TestPartner(server, "seed-partner", "seed-secret", 321);
        Assert.Equal(5, (await seeded.GetFeaturesAsync()).Count);
        Assert.Equal(0, (await seeded.EnableAsync("feature_eyes_closed_mode")).Status);

        // A user created afterwards gets the next userid, not one of the seeded ones.
        Assert.Equal(501, await server.CreateUserAsync("seed-partner"));
        using var admin = server.CreateAdminClient();
        var user = await admin.GetFromJsonAsync<JsonElement>("/admin/api/users/321", Ct);
        Assert.Equal(SeedRows.MacOf(321), user.GetProperty("devices")[0].GetProperty("mac_address").GetString());
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
