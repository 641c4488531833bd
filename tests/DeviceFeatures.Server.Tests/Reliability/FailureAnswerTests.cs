using System.Globalization;
using DeviceFeatures.Protocol.Envelope;
using DeviceFeatures.Protocol.Signing;
using DeviceFeatures.Server.Tests.Hosting;
using DeviceFeatures.Server.Tests.Infrastructure;
using Microsoft.Extensions.Logging;

namespace DeviceFeatures.Server.Tests.Reliability;

/// <summary>
/// The answers no handler writes (522 when the database is unavailable, 2556 from the last-resort handler) are
/// counted in <c>devicefeatures_wire_requests_total</c> like every other, so that an alert on them fires; and a 522
/// is logged as one line, without a stack. In the metric tests' collection: meters are matched process-wide.
/// </summary>
[Collection(nameof(ObservabilityTests))]
public abstract class FailureAnswerTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    protected abstract TestDatabase NewDatabase();

    /// <summary>Makes the database fail the partner's next call, and sends it: its answer.</summary>
    protected abstract Task<WireAnswer> CallWhileTheDatabaseFailsAsync(LoggedServer server, TestPartner partner);

    [Fact]
    public async Task DatabaseUnavailable_522_IsCountedInTheMetrics_AndLoggedAsOneLineWithoutAStack()
    {
        using var server = new LoggedServer(NewDatabase(), ServerFactory.NewClock());
        var partner = await server.CreatePartnerAsync();
        Assert.Equal(0, (await partner.EnableAsync("feature_pwv")).Status);
        var before = server.LinesAtOrAbove(LogLevel.Information).Count;

        var answer = await CallWhileTheDatabaseFailsAsync(server, partner);

        Assert.Equal(522, answer.Status);
        using var client = server.CreateClient();
        var text = await client.GetStringAsync("/metrics", Ct);
        Assert.Matches("devicefeatures_wire_requests_total\\{[^}]*status=\"522\"[^}]*\\} [1-9]", text);

        // One line for the request; the storage's own background warnings (a checkpoint that failed) are not per request.
        var lines = server.LinesAtOrAbove(LogLevel.Information).Skip(before).ToList();
        var line = Assert.Single(lines, l => l.Contains("DeviceFeatures.Failures", StringComparison.Ordinal) || l.Contains("ExceptionHandler", StringComparison.Ordinal));
        Assert.StartsWith("Warning ", line, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", line, StringComparison.Ordinal);
        Assert.True(line.Length < 600, line);
        Assert.All(lines, l => Assert.False(l.Contains("   at ", StringComparison.Ordinal) && !l.Contains(".Storage.", StringComparison.Ordinal), l));
    }

    [Fact]
    public async Task UnexpectedFailure_2556_IsCountedInTheMetrics()
    {
        var clock = new BreakableClock();
        using var server = new LoggedServer(NewDatabase(), clock);
        var partner = await server.CreatePartnerAsync();
        var timestamp = partner.Now.ToString(CultureInfo.InvariantCulture);
        var getnonce = new Dictionary<string, string>
        {
            ["action"] = "getnonce",
            ["client_id"] = partner.ClientId,
            ["timestamp"] = timestamp,
            ["signature"] = WithingsSignature.Sign(partner.ClientSecret, "getnonce", partner.ClientId, timestamp),
        };

        clock.BreakOnce();
        var answer = await partner.PostFormAsync("/v2/signature", getnonce);

        Assert.Equal(2556, answer.Status);
        using var client = server.CreateClient();
        var text = await client.GetStringAsync("/metrics", Ct);
        Assert.Matches("devicefeatures_wire_requests_total\\{[^}]*status=\"2556\"[^}]*\\} [1-9]", text);
    }

    [Fact]
    public async Task UnknownService_2554_IsCountedInTheMetrics_UnderOther()
    {
        using var server = new LoggedServer(NewDatabase(), ServerFactory.NewClock());
        var partner = await server.CreatePartnerAsync();
        Assert.Equal(2554, (await partner.PostFormAsync("/v2/made_up_service", new() { ["action"] = "x" })).Status);

        using var client = server.CreateClient();
        var text = await client.GetStringAsync("/metrics", Ct);
        Assert.DoesNotContain("made_up_service", text, StringComparison.Ordinal);
        Assert.Matches("devicefeatures_wire_requests_total\\{[^}]*service=\"other\"[^}]*status=\"2554\"[^}]*\\} [1-9]", text);
    }
}

public sealed class FailureAnswerTestsOnSqlite : FailureAnswerTests
{
    protected override TestDatabase NewDatabase() => new SqliteTestDatabase();

    /// <summary>The database file replaced by a directory: the next connection cannot open it.</summary>
    protected override async Task<WireAnswer> CallWhileTheDatabaseFailsAsync(LoggedServer server, TestPartner partner)
    {
        var file = ((SqliteTestDatabase)server.Database).Path;
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        foreach (var path in Directory.GetFiles(Path.GetDirectoryName(file)!))
        {
            File.Delete(path);
        }

        Directory.CreateDirectory(file);

        // Past the partner cache, getnonce reads the partner from the database.
        server.Time.Advance(DeviceFeatures.Server.Partners.PartnerDirectory.CacheFor + TimeSpan.FromSeconds(1));
        return await partner.GetNonceAnswerAsync();
    }
}

[NeedsPostgres]
public sealed class FailureAnswerTestsOnPostgres : FailureAnswerTests
{
    public FailureAnswerTestsOnPostgres() => PostgresTestDatabase.SkipUnlessConfigured();

    protected override TestDatabase NewDatabase() => new PostgresTestDatabase();

    /// <summary>The server's session is held on a lock, then terminated, as when PostgreSQL goes away mid-call.</summary>
    protected override async Task<WireAnswer> CallWhileTheDatabaseFailsAsync(LoggedServer server, TestPartner partner)
    {
        var signed = await partner.SignedAsync("disablefeature", TestPartner.Feature(partner.UserId, 17, "feature_pwv"));
        using var blocker = server.Database.Open();
        using var transaction = blocker.BeginTransaction();
        PostgresLocks.Execute(blocker, "LOCK TABLE choices IN EXCLUSIVE MODE");
        var call = partner.PostFormAsync("/v2/device", signed);
        var pid = await PostgresLocks.WaitForSessionWaitingOnALockAsync(blocker, call);
        PostgresLocks.Execute(blocker, $"SELECT pg_terminate_backend({pid})");
        var answer = await call;
        transaction.Rollback();
        return answer;
    }
}
