using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using DeviceFeatures.Protocol.Admin;
using DeviceFeatures.Protocol.Envelope;
using DeviceFeatures.Server.Tests.Infrastructure;

namespace DeviceFeatures.Server.Tests.Emulator;

/// <summary>Fault rules: Withings' own codes, deterministic under a seed, limited, and answered before anything changes.</summary>
public abstract class FaultTests : OwnServerTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private ServerFactory EmulatorServer() => NewServer().Enabled();

    private static Task<WireAnswer> GetFeaturesAnswerAsync(TestPartner partner) =>
        partner.CallAsync("getfeatures", new()
        {
            ["userid"] = partner.UserId.ToString(CultureInfo.InvariantCulture),
            ["model"] = "17",
        });

    [Fact]
    public async Task SeededRule_GivesTheSameSequenceOfAnswers_Twice()
    {
        using var server = EmulatorServer();
        var partner = await server.CreatePartnerAsync();
        var rule = new FaultRuleRequest(Action: "getfeatures", Probability: 0.5, Answer: new FaultAnswer(Status: 522), Seed: 7);

        async Task<int[]> RunAsync()
        {
            await server.ClearFaultsAsync();
            await server.AddFaultAsync(rule);
            var statuses = new int[20];
            for (var i = 0; i < statuses.Length; i++)
            {
                statuses[i] = (await GetFeaturesAnswerAsync(partner)).Status;
            }

            return statuses;
        }

        var first = await RunAsync();
        var second = await RunAsync();
        Assert.Equal(first, second);
        Assert.Contains(0, first);
        Assert.Contains(522, first);
        Assert.All(first, s => Assert.True(s is 0 or 522));
    }

    [Fact]
    public async Task CountLimit_InjectsNTimes_ThenLetsRequestsThrough()
    {
        using var server = EmulatorServer();
        var partner = await server.CreatePartnerAsync();
        var rule = await server.AddFaultAsync(new FaultRuleRequest(Action: "getfeatures", Answer: new FaultAnswer(Status: 522), Limit: new FaultLimit(Count: 2)));

        Assert.Equal(522, (await GetFeaturesAnswerAsync(partner)).Status);
        var second = await GetFeaturesAnswerAsync(partner);
        Assert.Equal(522, second.Status);
        Assert.StartsWith("Timeout: injected by the emulator's fault rule " + rule.Id, second.Error);
        Assert.Equal(0, (await GetFeaturesAnswerAsync(partner)).Status);

        var listed = Assert.Single(await server.ListFaultsAsync());
        Assert.Equal(2, listed.Injected);
        Assert.False(listed.Active);
    }

    [Fact]
    public async Task UntilLimit_EndsAtThatTime_OnTheServersClock()
    {
        using var server = EmulatorServer();
        var partner = await server.CreatePartnerAsync();
        await server.AddFaultAsync(new FaultRuleRequest(Service: "device", Answer: new FaultAnswer(Status: 2554),
            Limit: new FaultLimit(Until: server.Time.GetUtcNow().AddMinutes(10))));

        var refused = await GetFeaturesAnswerAsync(partner);
        Assert.Equal(2554, refused.Status);
        Assert.StartsWith("Wrong action or wrong webservice", refused.Error);

        server.Time.Advance(TimeSpan.FromMinutes(10));
        Assert.Equal(0, (await GetFeaturesAnswerAsync(partner)).Status);
    }

    [Fact]
    public async Task Status601_CarriesWaitSecondsInTheEnvelope()
    {
        using var server = EmulatorServer();
        var partner = await server.CreatePartnerAsync();
        await server.AddFaultAsync(new FaultRuleRequest(Action: "enablefeature", Answer: new FaultAnswer(Status: 601, WaitSeconds: 30)));

        var answer = await partner.EnableAsync("feature_pwv");
        Assert.Equal(601, answer.Status);
        Assert.Equal(30, answer.Body.GetProperty("wait_seconds").GetInt32());
        Assert.StartsWith("Too many request", answer.Error);
    }

    [Fact]
    public async Task FaultedEnableFeature_SpendsNoNonce_AndChangesNothing()
    {
        using var server = EmulatorServer();
        var partner = await server.CreatePartnerAsync();
        var before = await partner.GetFeaturesAsync();
        await server.AddFaultAsync(new FaultRuleRequest(ClientId: partner.ClientId, Action: "enablefeature",
            Answer: new FaultAnswer(Status: 601, WaitSeconds: 1), Limit: new FaultLimit(Count: 1)));

        var signed = await partner.SignedAsync("enablefeature", TestPartner.Feature(partner.UserId, 17, "feature_pwv"));
        Assert.Equal(601, (await partner.PostFormAsync("/v2/device", signed)).Status);
        Assert.Equal(before, await partner.GetFeaturesAsync());

        // The very same signed request goes through afterwards: its nonce was never spent.
        Assert.Equal(0, (await partner.PostFormAsync("/v2/device", signed)).Status);
        Assert.True((await partner.GetFeaturesAsync())["feature_pwv"]);
    }

    [Fact]
    public async Task RuleOfAnotherPartner_DoesNotTouchThisOne()
    {
        using var server = EmulatorServer();
        var partner = await server.CreatePartnerAsync();
        var other = await server.CreatePartnerAsync();
        await server.AddFaultAsync(new FaultRuleRequest(ClientId: other.ClientId, Answer: new FaultAnswer(Status: 522)));

        Assert.Equal(0, (await GetFeaturesAnswerAsync(partner)).Status);
        Assert.Equal(522, (await other.GetNonceAnswerAsync()).Status);
    }

    [Fact]
    public async Task HttpStatus_AnswersWithoutAnEnvelope()
    {
        using var server = EmulatorServer();
        var partner = await server.CreatePartnerAsync();
        await server.AddFaultAsync(new FaultRuleRequest(Action: "getnonce", Answer: new FaultAnswer(HttpStatus: 503)));

        using var response = await partner.Http.PostAsync("/v2/signature", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["action"] = "getnonce",
            ["client_id"] = partner.ClientId,
        }), Ct);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Empty(await response.Content.ReadAsByteArrayAsync(Ct));

        var entry = Assert.Single((await server.JournalAsync("?action=getnonce")).Entries);
        Assert.Null(entry.Status);
        Assert.Equal(503, entry.HttpStatus);
        Assert.True(entry.Injected);
    }

    [Fact]
    public async Task Drop_AbortsTheConnection()
    {
        using var server = EmulatorServer();
        var partner = await server.CreatePartnerAsync();
        var rule = await server.AddFaultAsync(new FaultRuleRequest(Action: "getnonce", Answer: new FaultAnswer(Drop: true)));

        await Assert.ThrowsAnyAsync<Exception>(() => partner.GetNonceAnswerAsync());

        var entry = Assert.Single((await server.JournalAsync("?action=getnonce")).Entries);
        Assert.Null(entry.HttpStatus);
        Assert.Equal(rule.Id, entry.FaultId);
    }

    [Fact]
    public async Task SlowBody_StillAnswersTheRealEnvelope()
    {
        using var server = EmulatorServer();
        var partner = await server.CreatePartnerAsync();
        await server.AddFaultAsync(new FaultRuleRequest(Action: "getfeatures", Answer: new FaultAnswer(SlowBodyMs: 50)));

        var answer = await GetFeaturesAnswerAsync(partner);
        Assert.Equal(0, answer.Status);
        Assert.Equal(System.Text.Json.JsonValueKind.Array, answer.Body.GetProperty("features").ValueKind);
        Assert.True(Assert.Single((await server.JournalAsync("?action=getfeatures")).Entries).Injected);
    }

    [Fact]
    public async Task LatencyAlone_DelaysThenRunsTheRequest()
    {
        using var server = EmulatorServer();
        var partner = await server.CreatePartnerAsync();
        await server.AddFaultAsync(new FaultRuleRequest(Action: "getnonce", LatencyMs: 20));

        Assert.Equal(0, (await partner.GetNonceAnswerAsync()).Status);
    }

    [Fact]
    public async Task InjectedAnswer_IsMarkedInTheJournal_AndCountedInTheMetric()
    {
        using var server = EmulatorServer();
        var partner = await server.CreatePartnerAsync();
        var rule = await server.AddFaultAsync(new FaultRuleRequest(Action: "enablefeature", Answer: new FaultAnswer(Status: 601, WaitSeconds: 5)));
        await partner.EnableAsync("feature_pwv");

        var entries = (await server.JournalAsync($"?client_id={partner.ClientId}")).Entries;
        var injected = Assert.Single(entries, e => e.Action == "enablefeature");
        Assert.True(injected.Injected);
        Assert.Equal(rule.Id, injected.FaultId);
        Assert.Equal(601, injected.Status);
        Assert.All(entries.Where(e => e.Action == "getnonce"), e => Assert.False(e.Injected));

        using var client = server.CreateClient();
        var text = await client.GetStringAsync("/metrics", Ct);
        Assert.Matches("devicefeatures_faults_injected_total\\{[^}]*status=\"601\"[^}]*\\} 1", text);
    }

    [Fact]
    public async Task InvalidRule_IsRefused_NamingTheField()
    {
        using var server = EmulatorServer();
        using var admin = server.CreateAdminClient();
        async Task<string> RefusedAsync(FaultRuleRequest rule)
        {
            using var response = await admin.PostAsJsonAsync("/admin/api/emulator/faults", rule, AdminJsonContext.Default.FaultRuleRequest, Ct);
            return (await EmulatorAdmin.ProblemAsync(response, HttpStatusCode.BadRequest, AdminProblemCodes.InvalidRequest)).Detail!;
        }

        Assert.Contains("'probability'", await RefusedAsync(new FaultRuleRequest(Probability: 2, Answer: new FaultAnswer(Status: 522))));
        Assert.Contains("'answer'", await RefusedAsync(new FaultRuleRequest(Action: "getnonce")));
        Assert.Contains("'answer'", await RefusedAsync(new FaultRuleRequest(Answer: new FaultAnswer(Status: 522, HttpStatus: 503))));
        Assert.Contains("'answer.status'", await RefusedAsync(new FaultRuleRequest(Answer: new FaultAnswer(Status: 0))));
        Assert.Contains("'answer.wait_seconds'", await RefusedAsync(new FaultRuleRequest(Answer: new FaultAnswer(Status: 522, WaitSeconds: 3))));
        Assert.Contains("'answer.http_status'", await RefusedAsync(new FaultRuleRequest(Answer: new FaultAnswer(HttpStatus: 200))));
        Assert.Contains("'limit.count'", await RefusedAsync(new FaultRuleRequest(Answer: new FaultAnswer(Drop: true), Limit: new FaultLimit(Count: 0))));
        Assert.Empty(await server.ListFaultsAsync());
    }

    [Fact]
    public async Task DeleteOne_RemovesThatRule_AndAnUnknownIdIs404()
    {
        using var server = EmulatorServer();
        var first = await server.AddFaultAsync(new FaultRuleRequest(Action: "getnonce", Answer: new FaultAnswer(Status: 522)));
        var second = await server.AddFaultAsync(new FaultRuleRequest(Action: "getfeatures", Answer: new FaultAnswer(Status: 522)));
        using var admin = server.CreateAdminClient();

        Assert.Equal(HttpStatusCode.NoContent, (await admin.DeleteAsync($"/admin/api/emulator/faults/{first.Id}", Ct)).StatusCode);
        Assert.Equal(second.Id, Assert.Single(await server.ListFaultsAsync()).Id);
        using var missing = await admin.DeleteAsync($"/admin/api/emulator/faults/{first.Id}", Ct);
        await EmulatorAdmin.ProblemAsync(missing, HttpStatusCode.NotFound, AdminProblemCodes.FaultNotFound);
    }

    [Fact]
    public async Task Faults_AreRefused_WhenTheEmulatorIsOff_ButTheJournalIsNot()
    {
        using var server = NewServer();
        using var admin = server.CreateAdminClient();
        using var add = await admin.PostAsJsonAsync("/admin/api/emulator/faults",
            new FaultRuleRequest(Answer: new FaultAnswer(Status: 522)), AdminJsonContext.Default.FaultRuleRequest, Ct);
        var problem = await EmulatorAdmin.ProblemAsync(add, HttpStatusCode.Forbidden, AdminProblemCodes.EmulatorDisabled);
        Assert.Contains("Emulator:Enabled", problem.Detail);
        await EmulatorAdmin.ProblemAsync(await admin.GetAsync("/admin/api/emulator/faults", Ct), HttpStatusCode.Forbidden, AdminProblemCodes.EmulatorDisabled);

        using var journal = await admin.GetAsync("/admin/api/emulator/journal", Ct);
        Assert.Equal(HttpStatusCode.OK, journal.StatusCode);

        // The admin key is still required.
        using var anonymous = server.CreateClient();
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync("/admin/api/emulator/journal", Ct)).StatusCode);
    }
}

public sealed class FaultTestsOnSqlite : FaultTests
{
    protected override TestDatabase NewDatabase() => new SqliteTestDatabase();
}

[NeedsPostgres]
public sealed class FaultTestsOnPostgres : FaultTests
{
    public FaultTestsOnPostgres() => PostgresTestDatabase.SkipUnlessConfigured();

    protected override TestDatabase NewDatabase() => new PostgresTestDatabase();
}
