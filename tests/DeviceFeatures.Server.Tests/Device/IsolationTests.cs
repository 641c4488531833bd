using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using DeviceFeatures.Protocol.Signing;
using DeviceFeatures.Server.Tests.Infrastructure;

namespace DeviceFeatures.Server.Tests.Device;

/// <summary>
/// A partner can neither read nor change another partner's users, and cannot tell them apart from users that do
/// not exist: same status, same text but for the number, same (empty) body, nothing written.
/// </summary>
public abstract class IsolationTests(ServerFactory server)
{
    private const int Missing = 2_000_000_000;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public static TheoryData<string> Actions => new() { "enablefeature", "disablefeature", "getfeatures" };

    [Theory]
    [MemberData(nameof(Actions))]
    public async Task OtherPartnersUser_LooksExactlyLikeAMissingUser(string action)
    {
        var partner = await server.CreatePartnerAsync();
        var other = await server.CreatePartnerAsync();
        await other.EnableAsync("feature_pacemaker");
        var before = Sql.Snapshot(server);

        var foreign = await partner.CallAsync(action, TestPartner.Feature(other.UserId, 17, "feature_pacemaker"));
        var missing = await partner.CallAsync(action, TestPartner.Feature(Missing, 17, "feature_pacemaker"));

        Assert.Equal(247, foreign.Status);
        Assert.Equal(missing.Status, foreign.Status);
        Assert.Equal(missing.Body.GetRawText(), foreign.Body.GetRawText());
        Assert.Equal(
            missing.Error!.Replace(Missing.ToString(CultureInfo.InvariantCulture), "N", StringComparison.Ordinal),
            foreign.Error!.Replace(other.UserId.ToString(CultureInfo.InvariantCulture), "N", StringComparison.Ordinal));
        Assert.Equal(before, Sql.Snapshot(server));
        Assert.Equal(new Dictionary<string, bool> { ["feature_pacemaker"] = true }, await other.GetFeaturesAsync());
    }

    [Fact]
    public async Task ValidationOrder_DoesNotRevealAForeignUser()
    {
        // A refusal that comes before the user check must be the same whoever the user is.
        var partner = await server.CreatePartnerAsync();
        var other = await server.CreatePartnerAsync();
        foreach (var (model, feature) in new[] { (17, "feature_unknown"), (999, "feature_pacemaker"), (47, "feature_pacemaker") })
        {
            var foreign = await partner.CallAsync("enablefeature", TestPartner.Feature(other.UserId, model, feature));
            var missing = await partner.CallAsync("enablefeature", TestPartner.Feature(Missing, model, feature));
            Assert.Equal(missing.Status, foreign.Status);
            Assert.Equal(missing.Error, foreign.Error);
        }
    }

    [Fact]
    public async Task PartnerCredentials_OpenNothingOnTheAdminApi()
    {
        var partner = await server.CreatePartnerAsync();
        using var client = server.CreateClient();
        foreach (var key in new[] { partner.ClientSecret, partner.ClientId, WithingsSignature.Sign(partner.ClientSecret, "getnonce", partner.ClientId, "1") })
        {
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
            foreach (var path in new[] { "/admin/api/partners", $"/admin/api/users/{partner.UserId}/features", "/admin/api/audit" })
            {
                Assert.Equal(HttpStatusCode.Unauthorized, (await client.GetAsync(path, Ct)).StatusCode);
            }
        }
    }

    [Fact]
    public async Task AuditFilteredByPartner_NeverShowsAnotherPartnersUser()
    {
        var partner = await server.CreatePartnerAsync();
        var other = await server.CreatePartnerAsync();
        await other.EnableAsync("feature_pacemaker");
        using var admin = server.CreateAdminClient();
        var page = await admin.GetFromJsonAsync<JsonElement>($"/admin/api/audit?client_id={partner.ClientId}&userid={other.UserId}", Ct);
        Assert.Empty(page.GetProperty("events").EnumerateArray());
    }
}

public sealed class IsolationTestsOnSqlite(SqliteServer server) : IsolationTests(server), IClassFixture<SqliteServer>;

[NeedsPostgres]
public sealed class IsolationTestsOnPostgres(PostgresServer server) : IsolationTests(server.OrSkip()), IClassFixture<PostgresServer>;
