using System.Net;
using System.Net.Http.Json;
using DeviceFeatures.Server.Tests.Infrastructure;

namespace DeviceFeatures.Server.Tests.Storage;

/// <summary>
/// Two server instances on one PostgreSQL database, each on a real loopback socket, as behind a load balancer:
/// whatever they must agree on comes from the database.
/// </summary>
[NeedsPostgres]
public sealed class TwoInstancesOnPostgresTests : IDisposable
{
    private const string Feature = "feature_eyes_closed_mode";

    private readonly PostgresTestDatabase _database;
    private readonly ServerFactory _a;
    private readonly ServerFactory _b;

    public TwoInstancesOnPostgresTests()
    {
        PostgresTestDatabase.SkipUnlessConfigured();
        _database = new PostgresTestDatabase();
        var time = ServerFactory.NewClock();
        _a = Start(new ServerFactory(_database, time));
        _b = Start(new ServerFactory(_database, time));
    }

    [Fact]
    public async Task NonceIssuedByInstanceA_IsAcceptedOnceAtInstanceB()
    {
        var atA = await _a.CreatePartnerAsync();
        var atB = OnB(atA);
        var signed = await atB.SignedAsync("enablefeature", TestPartner.Feature(atA.UserId, 17, Feature), await atA.GetNonceAsync());

        Assert.Equal(0, (await atB.PostFormAsync("/v2/device", signed)).Status);
        Assert.Equal(401, (await atB.PostFormAsync("/v2/device", signed)).Status);
        Assert.Equal(401, (await atA.PostFormAsync("/v2/device", signed)).Status);
        Assert.True((await atA.GetFeaturesAsync())[Feature]);
    }

    [Fact]
    public async Task OneNonceSentToBothInstancesAtOnce_IsAcceptedExactlyOnce()
    {
        var atA = await _a.CreatePartnerAsync();
        var atB = OnB(atA);
        var signed = await atA.SignedAsync("disablefeature", TestPartner.Feature(atA.UserId, 17, "feature_fat_mass"));

        var answers = await Task.WhenAll(Enumerable.Range(0, 24)
            .Select(i => Task.Run(() => (i % 2 == 0 ? atA : atB).PostFormAsync("/v2/device", signed), TestContext.Current.CancellationToken)));

        Assert.Single(answers, a => a.Status == 0);
        Assert.All(answers.Where(a => a.Status != 0), a => Assert.Equal(401, a.Status));
        Assert.Single(AuditOf(atA.UserId, "feature_fat_mass"));
    }

    [Fact]
    public async Task ConcurrentEnableAndDisableThroughBothInstances_EndInTheLastAcceptedState_AndTheAuditAgrees()
    {
        var atA = await _a.CreatePartnerAsync();
        var atB = OnB(atA);
        var random = new Random(20261124);
        var seen = 0;

        for (var round = 0; round < 40; round++)
        {
            // Four requests at once, two through each instance, each an enable or a disable: some agree and some
            // conflict, which is where a read of the previous choice can go stale.
            var values = Enumerable.Range(0, 4).Select(_ => random.Next(2) == 1).ToArray();
            var requests = new List<(TestPartner Via, Dictionary<string, string> Parameters)>();
            for (var i = 0; i < values.Length; i++)
            {
                var via = i % 2 == 0 ? atA : atB;
                requests.Add((via, await via.SignedAsync(values[i] ? "enablefeature" : "disablefeature", TestPartner.Feature(atA.UserId, 17, Feature))));
            }

            var answers = await Task.WhenAll(requests.Select(r => Task.Run(() => r.Via.PostFormAsync("/v2/device", r.Parameters), TestContext.Current.CancellationToken)));
            Assert.All(answers, a => Assert.Equal(0, a.Status));

            var stored = StoredChoice(atA.UserId, Feature);
            var events = AuditOf(atA.UserId, Feature);
            var added = events.Skip(seen).ToList();
            seen = events.Count;

            // Replaying the log in id order gives the stored state, and each event starts where the one before ended.
            bool? replayed = null;
            foreach (var e in events)
            {
                Assert.Equal(replayed, e.Old);
                replayed = e.New;
            }

            Assert.Equal(stored, replayed);

            // The stored state is what one of this round's requests asked for; when the round changed anything, it is
            // what its last event (the last accepted change) recorded; and no request was recorded twice.
            Assert.Contains(stored!.Value, values);
            if (added.Count > 0)
            {
                Assert.Equal(stored, added[^1].New);
            }

            Assert.True(added.Count <= values.Length, $"round {round}: {added.Count} events for {values.Length} requests");
            Assert.Equal(added.Count, added.Select(e => e.RequestId).Distinct().Count());
        }
    }

    [Fact]
    public async Task OneDeviceLinkedThroughBothInstancesAtOnce_GoesToOneUser_AndTheOthersAreConflicts()
    {
        var partner = await _a.CreatePartnerAsync();
        var mac = ServerFactory.RandomMac();
        var body = new { client_id = partner.ClientId, devices = new[] { new { mac_address = mac, model = 17, market = "EU" } } };

        var statuses = await Task.WhenAll(Enumerable.Range(0, 12).Select(i => Task.Run(async () =>
        {
            using var admin = (i % 2 == 0 ? _a : _b).CreateAdminClient();
            using var response = await admin.PostAsJsonAsync("/admin/api/users", body, TestContext.Current.CancellationToken);
            return response.StatusCode;
        }, TestContext.Current.CancellationToken)));

        Assert.Single(statuses, s => s == HttpStatusCode.Created);
        Assert.All(statuses.Where(s => s != HttpStatusCode.Created), s => Assert.Equal(HttpStatusCode.Conflict, s));
        Assert.Equal(1, Sql.Scalar(_database, $"SELECT COUNT(*) FROM devices WHERE mac_address = '{mac}'"));

        // The refused creations left no user behind: the partner has its first user and the one that got the device.
        Assert.Equal(2, Sql.Scalar(_database, $"SELECT COUNT(*) FROM users WHERE client_id = '{partner.ClientId}'"));
        Assert.Equal(2, Sql.Scalar(_database, $"SELECT COUNT(*) FROM audit_events WHERE kind = 'user.created' AND client_id = '{partner.ClientId}'"));
    }

    public void Dispose()
    {
        _a.Dispose();
        _b.Dispose();
        _database.Dispose();
    }

    private static ServerFactory Start(ServerFactory server)
    {
        server.UseKestrel(0);
        server.StartServer();
        return server;
    }

    private TestPartner OnB(TestPartner atA) => new(_b, atA.ClientId, atA.ClientSecret, atA.UserId);

    private bool? StoredChoice(int userId, string feature)
    {
        var rows = Sql.Rows(_database, $"SELECT active FROM choices WHERE userid = {userId} AND model = 17 AND feature_name = '{feature}'");
        return rows.Count == 0 ? null : rows.Single() == "1";
    }

    private List<(bool? Old, bool? New, string RequestId)> AuditOf(int userId, string feature) =>
        Sql.Rows(_database, $"""
            SELECT old_value, new_value, request_id FROM audit_events
            WHERE userid = {userId} AND model = 17 AND feature_name = '{feature}' ORDER BY id
            """)
            .Select(row => row.Split('|'))
            .Select(v => (Bool(v[0]), Bool(v[1]), v[2]))
            .ToList();

    private static bool? Bool(string value) => value == "null" ? null : value == "1";
}
