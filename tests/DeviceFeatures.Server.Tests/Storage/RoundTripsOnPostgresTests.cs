using System.Collections.Concurrent;
using System.Diagnostics;
using DeviceFeatures.Server.Tests.Infrastructure;
using Npgsql;

namespace DeviceFeatures.Server.Tests.Storage;

/// <summary>
/// On PostgreSQL each device call is one statement, so one round trip, the nonce included, and the shared quota's count
/// one more; getnonce none. Counted from Npgsql's own trace of the commands it sends to this test's database,
/// not from timings.
/// </summary>
[NeedsPostgres]
public sealed class RoundTripsOnPostgresTests : IClassFixture<PostgresServer>
{
    private const string Count = "devicefeatures_count_request";
    private const string Set = "devicefeatures_set_feature";
    private const string Get = "devicefeatures_get_features";
    private readonly PostgresServer _server;

    public RoundTripsOnPostgresTests(PostgresServer server)
    {
        _server = server.OrSkip();

        // The quota counted in the database, as every PostgreSQL deployment does by default.
        _server.Settings["RateLimit:Enabled"] = "true";
        _server.Settings["RateLimit:DefaultRequestsPerMinute"] = "1000";
    }

    [Fact]
    public async Task EachDeviceCall_IsOneCommand_AndGetNonceNone()
    {
        var partner = await _server.CreatePartnerAsync();

        // The first calls fill the partner cache; the counted ones are the calls after them.
        Assert.Equal(0, (await partner.EnableAsync("feature_eyes_closed_mode")).Status);

        // getnonce is not counted in the quota and writes nothing (a nonce is made from the server's key).
        Assert.Empty(await CommandsDuring(() => partner.GetNonceAsync()));

        // Each of these is a getnonce and the device call.
        Assert.Equal([Count, Set], await CommandsDuring(() => partner.DisableAsync("feature_eyes_closed_mode")));
        Assert.Equal([Count, Set], await CommandsDuring(() => partner.EnableAsync("feature_eyes_closed_mode")));
        Assert.Equal([Count, Set], await CommandsDuring(() => partner.EnableAsync("feature_eyes_closed_mode")));
        Assert.Equal([Count, Get], await CommandsDuring(() => partner.GetFeaturesAsync()));
    }

    [Fact]
    public async Task ARefusal_AndAReplayedNonce_AreOneCommandToo()
    {
        var partner = await _server.CreatePartnerAsync();
        Assert.Equal(0, (await partner.EnableAsync("feature_eyes_closed_mode")).Status);

        Assert.Equal([Count, Set], await CommandsDuring(async () =>
            Assert.Equal(247, (await partner.EnableAsync("feature_eyes_closed_mode", userId: partner.UserId + 100_000)).Status)));

        var signed = await partner.SignedAsync("enablefeature", TestPartner.Feature(partner.UserId, 17, "feature_pwv"));
        Assert.Equal(0, (await partner.PostFormAsync("/v2/device", signed)).Status);
        Assert.Equal([Count, Set], await CommandsDuring(async () =>
            Assert.Equal(401, (await partner.PostFormAsync("/v2/device", signed)).Status)));
    }

    /// <summary>The server functions named by the commands sent to this test's database while <paramref name="action"/> ran.</summary>
    private async Task<string[]> CommandsDuring(Func<Task> action)
    {
        var database = new NpgsqlConnectionStringBuilder(_server.Database.ConnectionString).Database;
        var commands = new ConcurrentQueue<string>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == "Npgsql",
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = activity =>
            {
                // Commands only: not the opening of a physical connection when the pool grows (an activity without a
                // statement), nor the NOTIFY to the other instances, sent after the commit off the request's path
                // (PostgresChangeNotifier).
                var text = Tag(activity, "db.query.text", "db.statement");
                if (Tag(activity, "db.namespace", "db.name") == database && !string.IsNullOrEmpty(text) && !text.Contains("pg_notify", StringComparison.Ordinal))
                {
                    commands.Enqueue(text);
                }
            },
        };
        ActivitySource.AddActivityListener(listener);
        await action();
        return commands.Select(c => new[] { Count, Set, Get }.FirstOrDefault(f => c.Contains(f, StringComparison.Ordinal)) ?? c).ToArray();
    }

    private static string? Tag(Activity activity, string name, string older) =>
        activity.GetTagItem(name) as string ?? activity.GetTagItem(older) as string;
}
