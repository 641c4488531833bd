using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using DeviceFeatures.Server.Tests.Hosting;
using DeviceFeatures.Server.Tests.Infrastructure;

namespace DeviceFeatures.Server.Tests.Admin;

/// <summary>
/// Guessing the admin key is slowed down: after a few wrong keys from one address, that address is answered 429
/// (problem+json with a code and <c>Retry-After</c>) until the window ends, the right key included; the failures are
/// counted. The throttle lives in memory, so one provider proves it. In the metric tests' collection: meters are
/// matched process-wide.
/// </summary>
[Collection(nameof(ObservabilityTests))]
public sealed class AdminKeyThrottleTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task WrongKeys_AreThrottledPerAddress_WithRetryAfter_AndCounted()
    {
        using var server = new SqliteServer();
        using var guesser = server.CreateClient();
        using var admin = server.CreateAdminClient();
        Assert.Equal(HttpStatusCode.OK, (await admin.GetAsync("/admin/api/partners", Ct)).StatusCode);

        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 40; i++)
        {
            guesser.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", $"guess-{i}");
            using var response = await guesser.GetAsync("/admin/api/partners", Ct);
            statuses.Add(response.StatusCode);
        }

        var unauthorized = statuses.TakeWhile(s => s == HttpStatusCode.Unauthorized).Count();
        Assert.InRange(unauthorized, 1, 10);
        Assert.All(statuses.Skip(unauthorized), s => Assert.Equal(HttpStatusCode.TooManyRequests, s));

        // The right key from the same address waits too: otherwise a guess that hits would still show.
        using (var throttled = await admin.GetAsync("/admin/api/partners", Ct))
        {
            Assert.Equal(HttpStatusCode.TooManyRequests, throttled.StatusCode);
            Assert.Equal("application/problem+json", throttled.Content.Headers.ContentType?.MediaType);
            var problem = await throttled.Content.ReadFromJsonAsync<JsonElement>(Ct);
            Assert.Equal("admin_key_throttled", problem.GetProperty("code").GetString());
            var retryAfter = throttled.Headers.RetryAfter?.Delta;
            Assert.NotNull(retryAfter);
            Assert.InRange(retryAfter.Value, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(60));
            server.Time.Advance(retryAfter.Value);
        }

        Assert.Equal(HttpStatusCode.OK, (await admin.GetAsync("/admin/api/partners", Ct)).StatusCode);

        using var client = server.CreateClient();
        var text = await client.GetStringAsync("/metrics", Ct);
        Assert.Matches("devicefeatures_admin_key_failures_total\\{[^}]*outcome=\"invalid\"[^}]*\\} [1-9]", text);
        Assert.Matches("devicefeatures_admin_key_failures_total\\{[^}]*outcome=\"throttled\"[^}]*\\} [1-9]", text);
    }
}
