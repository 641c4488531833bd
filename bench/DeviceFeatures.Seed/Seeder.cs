using System.Diagnostics;
using System.Globalization;
using DeviceFeatures.Protocol.Catalog;
using DeviceFeatures.Server.Audit;
using DeviceFeatures.Server.Partners;
using DeviceFeatures.Server.Storage;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace DeviceFeatures.Seed;

public sealed record SeedPlan(string Provider, string ConnectionString, int Users, int ChoicesPerUser, string ClientId, string ClientSecret, int Batch);

/// <summary>
/// Migrates the database with the server's own store, makes sure the partner exists, then writes users, devices and
/// choices in bulk: binary COPY on PostgreSQL, prepared statements in large transactions on SQLite. The bulk rows go
/// straight to the tables, without the audit events a partner's calls would write: a seed is not a history.
/// </summary>
public static class Seeder
{
    public const int Model = 17;
    public const string Market = "EU";

    public static async Task<int> RunAsync(SeedPlan plan, TextWriter output, TextWriter diagnostics, CancellationToken cancellationToken)
    {
        var features = FeatureCatalog.Default.FeaturesOf(Model).Where(f => !f.Gated && f.IsAvailableIn(Market)).Select(f => f.Name).ToArray();
        if (plan.Users <= 0 || plan.ChoicesPerUser < 0 || plan.ChoicesPerUser > features.Length || plan.Batch <= 0)
        {
            await diagnostics.WriteLineAsync($"error: --users and --batch must be positive, --choices between 0 and {features.Length}.");
            return 2;
        }

        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Storage:Provider"] = plan.Provider,
            ["Storage:ConnectionString"] = plan.ConnectionString,
        }).Build();
        await using var services = new ServiceCollection()
            .AddSingleton<IConfiguration>(configuration)
            .AddLogging(l => l.AddSimpleConsole().SetMinimumLevel(LogLevel.Warning))
            .AddStorage()
            .BuildServiceProvider();
        var store = services.GetRequiredService<IFeatureStore>();

        var total = Stopwatch.StartNew();
        await store.MigrateAsync(cancellationToken);
        var now = TimeProvider.System.GetUtcNow().ToUnixTimeMilliseconds();
        await store.WriteAsync(async s =>
        {
            if (await s.FindPartnerAsync(plan.ClientId) is null)
            {
                await s.InsertPartnerAsync(new PartnerRow { ClientId = plan.ClientId, Name = "Seeded partner", ClientSecret = plan.ClientSecret, CreatedAt = now, UpdatedAt = now });
                await s.AppendAuditAsync(new AuditRow { OccurredAt = now, Kind = AuditKinds.PartnerCreated, Actor = "seed", ClientId = plan.ClientId, Detail = "Seeded partner" });
            }

            return 0;
        }, cancellationToken);

        var postgres = string.Equals(plan.Provider, "postgres", StringComparison.OrdinalIgnoreCase);

        // The range of userids is reserved before the load, so that users created meanwhile (by a running server)
        // get ids after it instead of colliding with it.
        var firstUserId = postgres
            ? await PostgresBulk.ReserveUserIdsAsync(plan.ConnectionString, plan.Users, cancellationToken)
            : await SqliteBulk.ReserveUserIdsAsync(plan.ConnectionString, plan.Users, cancellationToken);
        if (firstUserId < 0)
        {
            await diagnostics.WriteLineAsync("error: the userids would pass 2^31-1, the largest the wire accepts.");
            return 2;
        }

        var rows = new SeedRows(firstUserId, plan.Users, plan.ChoicesPerUser, plan.ClientId, features, now);
        var load = Stopwatch.StartNew();
        if (postgres)
        {
            await PostgresBulk.LoadAsync(plan.ConnectionString, rows, cancellationToken);
        }
        else
        {
            await SqliteBulk.LoadAsync(plan.ConnectionString, rows, plan.Batch, cancellationToken);
        }

        load.Stop();
        var written = (long)plan.Users * (2 + plan.ChoicesPerUser);
        await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
            $"{plan.Provider}: {plan.Users} users (userid {firstUserId}-{firstUserId + plan.Users - 1}), {plan.Users} devices, " +
            $"{(long)plan.Users * plan.ChoicesPerUser} choices in {load.Elapsed.TotalSeconds:F1} s " +
            $"({written / load.Elapsed.TotalSeconds:F0} rows/s); {total.Elapsed.TotalSeconds:F1} s in all"));
        return 0;
    }
}

/// <summary>The rows of a seed, generated on the fly: nothing is held in memory but the current row.</summary>
public sealed class SeedRows(int firstUserId, int users, int choicesPerUser, string clientId, string[] features, long now)
{
    public int FirstUserId { get; } = firstUserId;

    public int Users { get; } = users;

    public int ChoicesPerUser { get; } = choicesPerUser;

    public string ClientId { get; } = clientId;

    public long Now { get; } = now;

    public IEnumerable<int> UserIds => Enumerable.Range(FirstUserId, Users);

    /// <summary>02 (locally administered) then the userid: unique, and never a real Withings address.</summary>
    public static string MacOf(int userId) =>
        string.Create(CultureInfo.InvariantCulture, $"02:5e:{(userId >> 24) & 0xff:x2}:{(userId >> 16) & 0xff:x2}:{(userId >> 8) & 0xff:x2}:{userId & 0xff:x2}");

    /// <summary>The user's choices: consecutive features of the model from a place that moves with the userid.</summary>
    public IEnumerable<(string Feature, bool Active)> ChoicesOf(int userId)
    {
        for (var i = 0; i < ChoicesPerUser; i++)
        {
            yield return (features[(userId + i) % features.Length], (userId + i) % 3 != 0);
        }
    }
}
