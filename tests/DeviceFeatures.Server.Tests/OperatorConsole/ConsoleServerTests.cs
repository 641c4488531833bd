using System.Net;
using System.Net.Http.Json;
using DeviceFeatures.Protocol.Admin;
using DeviceFeatures.Server.Admin;
using DeviceFeatures.Server.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace DeviceFeatures.Server.Tests.OperatorConsole;

/// <summary>The console's rules that do not need a browser, on both providers: operators, lockout, roles, audit.</summary>
public abstract class ConsoleServerTests(ServerFactory server)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static Dictionary<string, string> Form(params (string Key, string Value)[] fields) => fields.ToDictionary(f => f.Key, f => f.Value);

    private async Task<CreatedOperator> CreateOperatorAsync(string role, string? password = null)
    {
        using var admin = server.CreateAdminClient();
        var name = $"{role[..3]}-{Guid.NewGuid():N}"[..20];
        using var response = await admin.PostAsJsonAsync("/admin/api/operators", new CreateOperatorRequest(name, role, password), AdminJsonContext.Default.CreateOperatorRequest, Ct);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var created = (await response.Content.ReadFromJsonAsync(AdminJsonContext.Default.CreatedOperator, Ct))!;
        return created with { Password = password ?? created.Password };
    }

    private async Task<ConsoleSession> SignedInAsync(string role)
    {
        var op = await CreateOperatorAsync(role);
        var session = ConsoleSession.Open(server);
        var (status, _, location) = await session.SignInAsync(op.Name, op.Password!);
        Assert.Equal(HttpStatusCode.Redirect, status);
        Assert.Equal("/console", location!.OriginalString);
        return session;
    }

    [Fact]
    public async Task CreateOperator_GeneratesAPasswordShownOnce_AndRefusesADuplicateOrABadRole()
    {
        using var admin = server.CreateAdminClient();
        var created = await CreateOperatorAsync("support");
        Assert.True(created.Password!.Length >= 12);

        var chosen = await CreateOperatorAsync("administrator", "a chosen password of some length");
        using (var session = ConsoleSession.Open(server))
        {
            Assert.Equal(HttpStatusCode.Redirect, (await session.SignInAsync(chosen.Name, "a chosen password of some length")).Status);
        }

        using var duplicate = await admin.PostAsJsonAsync("/admin/api/operators", new CreateOperatorRequest(created.Name, "support"), AdminJsonContext.Default.CreateOperatorRequest, Ct);
        Assert.Equal(HttpStatusCode.Conflict, duplicate.StatusCode);
        Assert.Equal(AdminProblemCodes.OperatorExists, (await duplicate.Content.ReadFromJsonAsync(AdminJsonContext.Default.AdminProblem, Ct))!.Code);

        foreach (var bad in new[] { new CreateOperatorRequest("ok-name", "root"), new CreateOperatorRequest("Not Valid", "support"), new CreateOperatorRequest("short-pw", "support", "short") })
        {
            using var refused = await admin.PostAsJsonAsync("/admin/api/operators", bad, AdminJsonContext.Default.CreateOperatorRequest, Ct);
            Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
            Assert.Equal(AdminProblemCodes.InvalidRequest, (await refused.Content.ReadFromJsonAsync(AdminJsonContext.Default.AdminProblem, Ct))!.Code);
        }

        using var noKey = server.CreateClient();
        using var unauthorized = await noKey.PostAsJsonAsync("/admin/api/operators", new CreateOperatorRequest("x-name", "support"), AdminJsonContext.Default.CreateOperatorRequest, Ct);
        Assert.Equal(HttpStatusCode.Unauthorized, unauthorized.StatusCode);

        var audit = (await admin.GetFromJsonAsync("/admin/api/audit?limit=1000", AdminJsonContext.Default.AuditPage, Ct))!.Events;
        var createdEvent = Assert.Single(audit, e => e.Kind == "operator.created" && e.Detail == $"{created.Name} (support)");
        Assert.Equal("admin", createdEvent.Actor);
        Assert.DoesNotContain(audit, e => e.Detail?.Contains(created.Password, StringComparison.Ordinal) == true);
    }

    [Fact]
    public async Task TheDevicesPage_ShowsAShortClientIdWhole_AndSaysWhichFilterValueIsWrong()
    {
        var shortId = Guid.NewGuid().ToString("N")[..3];
        var (_, error) = await server.Services.GetRequiredService<AdminService>().CreatePartnerAsync("Short id partner", AuditOrigin.Admin("test"), Ct, shortId);
        Assert.Null(error);
        using var session = await SignedInAsync("support");

        var (status, html) = await session.GetAsync("/console/devices");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Contains($"Short id partner ({shortId})", html, StringComparison.Ordinal);

        var (badModel, modelHtml) = await session.GetAsync("/console/devices?model=abc");
        Assert.Equal(HttpStatusCode.BadRequest, badModel);
        Assert.Contains("The model must be a model id, a whole number.", modelHtml, StringComparison.Ordinal);

        var (badAssigned, assignedHtml) = await session.GetAsync("/console/devices?assigned=maybe");
        Assert.Equal(HttpStatusCode.BadRequest, badAssigned);
        Assert.Contains("must be true or false.", assignedHtml, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TheFirstStart_CreatedTheAdministratorNamedAdmin()
    {
        using var admin = server.CreateAdminClient();
        using var response = await admin.PostAsJsonAsync("/admin/api/operators", new CreateOperatorRequest("admin", "administrator"), AdminJsonContext.Default.CreateOperatorRequest, Ct);
        Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
    }

    [Fact]
    public async Task AConsoleChange_AndTheSameAdminApiChange_WriteTheSameAuditEvent_ApartFromTheActor()
    {
        // The same change to two partners alike: one in the console, one with the admin key.
        var viaConsole = await server.CreatePartnerAsync();
        var viaApi = await server.CreatePartnerAsync();
        using var session = await SignedInAsync("administrator");
        using var admin = server.CreateAdminClient();

        async Task<AuditEvent> LastEventAsync(string clientId) =>
            (await admin.GetFromJsonAsync($"/admin/api/audit?client_id={clientId}&limit=1000", AdminJsonContext.Default.AuditPage, Ct))!.Events[^1];

        var pairs = new List<(AuditEvent Console, AuditEvent Api)>();
        await session.GetAsync($"/console/partners/{viaConsole.ClientId}");
        Assert.Equal(HttpStatusCode.Redirect, (await session.PostAsync($"/console/partners/{viaConsole.ClientId}?handler=Quota", Form(("RequestsPerMinute", "300")))).Status);
        (await admin.PutAsJsonAsync($"/admin/api/partners/{viaApi.ClientId}/rate-limit", new { requests_per_minute = 300 }, Ct)).EnsureSuccessStatusCode();
        pairs.Add((await LastEventAsync(viaConsole.ClientId), await LastEventAsync(viaApi.ClientId)));

        await session.GetAsync($"/console/partners/{viaConsole.ClientId}");
        Assert.Equal(HttpStatusCode.Redirect, (await session.PostAsync($"/console/partners/{viaConsole.ClientId}?handler=Callback", Form(("CallbackUrl", "https://partner.example/hook")))).Status);
        (await admin.PutAsJsonAsync($"/admin/api/partners/{viaApi.ClientId}/callback", new { url = "https://partner.example/hook" }, Ct)).EnsureSuccessStatusCode();
        pairs.Add((await LastEventAsync(viaConsole.ClientId), await LastEventAsync(viaApi.ClientId)));

        await session.GetAsync($"/console/partners/{viaConsole.ClientId}");
        Assert.Equal(HttpStatusCode.Redirect, (await session.PostAsync($"/console/partners/{viaConsole.ClientId}?handler=Suspend", Form(("Suspended", "true")))).Status);
        (await admin.PostAsync($"/admin/api/partners/{viaApi.ClientId}/suspend", null, Ct)).EnsureSuccessStatusCode();
        pairs.Add((await LastEventAsync(viaConsole.ClientId), await LastEventAsync(viaApi.ClientId)));

        foreach (var (console, api) in pairs)
        {
            Assert.StartsWith("operator:", console.Actor, StringComparison.Ordinal);
            Assert.Equal("admin", api.Actor);
            AuditEvent Comparable(AuditEvent e) => e with { Id = 0, OccurredAt = default, RequestId = null, Actor = "", ClientId = null };
            Assert.Equal(Comparable(api), Comparable(console));
        }

        Assert.Equal(["partner.rate_limit_changed", "partner.callback_set", "partner.suspended"], pairs.Select(p => p.Console.Kind));
    }

    [Fact]
    public async Task FiveWrongPasswords_LockTheAccount_UntilTheLockoutEnds()
    {
        var op = await CreateOperatorAsync("support");
        using var session = ConsoleSession.Open(server);
        for (var i = 0; i < 5; i++)
        {
            var (status, html, _) = await session.SignInAsync(op.Name, "wrong password " + i);
            Assert.Equal(HttpStatusCode.OK, status);
            Assert.Contains(i < 4 ? "Wrong name or password." : "locked until", html, StringComparison.Ordinal);
        }

        Assert.Contains("locked until", (await session.SignInAsync(op.Name, op.Password!)).Html, StringComparison.Ordinal);
        server.Time.Advance(TimeSpan.FromMinutes(15));
        Assert.Equal(HttpStatusCode.Redirect, (await session.SignInAsync(op.Name, op.Password!)).Status);
    }

    [Fact]
    public async Task AnUnknownName_IsRefusedInTheSameWordsAsAWrongPassword()
    {
        using var session = ConsoleSession.Open(server);
        var (status, html, _) = await session.SignInAsync("nobody-" + Guid.NewGuid().ToString("N")[..8], "some password here");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Contains("Wrong name or password.", html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ASupportAgent_IsRefusedEveryChange_WithAValidToken()
    {
        var partner = await server.CreatePartnerAsync();
        using var session = await SignedInAsync("support");
        await session.GetAsync($"/console/partners/{partner.ClientId}");
        foreach (var (path, form) in new[]
        {
            ($"/console/partners/{partner.ClientId}?handler=Suspend", Form(("Suspended", "true"))),
            ($"/console/partners/{partner.ClientId}?handler=Rotate", Form(("OverlapSeconds", "0"))),
            ($"/console/partners/{partner.ClientId}?handler=Quota", Form(("RequestsPerMinute", "1"))),
            ("/console/partners?handler=Create", Form(("NewName", "Support's partner"))),
            ("/console/devices?handler=Import", Form(("Csv", "00:24:e4:00:00:01,17,EU,,"))),
            ("/console/operators?handler=Create", Form(("NewName", "support-made"), ("NewRole", "administrator"))),
        })
        {
            Assert.Equal(HttpStatusCode.Forbidden, (await session.PostAsync(path, form)).Status);
        }

        using var admin = server.CreateAdminClient();
        var after = (await admin.GetFromJsonAsync($"/admin/api/partners/{partner.ClientId}", AdminJsonContext.Default.Partner, Ct))!;
        Assert.Equal(("active", true), (after.Status, after.DefaultRateLimit));
    }

    [Fact]
    public async Task AForm_WithoutItsToken_OrWithoutASession_ChangesNothing()
    {
        var partner = await server.CreatePartnerAsync();
        using (var session = await SignedInAsync("administrator"))
        {
            await session.GetAsync($"/console/partners/{partner.ClientId}");
            Assert.Equal(HttpStatusCode.BadRequest, (await session.PostAsync($"/console/partners/{partner.ClientId}?handler=Suspend", Form(("Suspended", "true")), withToken: false)).Status);
        }

        using var anonymous = ConsoleSession.Open(server);
        var (status, _, location) = await anonymous.PostAsync($"/console/partners/{partner.ClientId}?handler=Suspend", Form(("Suspended", "true")));
        Assert.Equal(HttpStatusCode.Redirect, status);
        Assert.StartsWith("/console/sign-in", location!.IsAbsoluteUri ? location.PathAndQuery : location.OriginalString, StringComparison.Ordinal);

        using var admin = server.CreateAdminClient();
        Assert.Equal("active", (await admin.GetFromJsonAsync($"/admin/api/partners/{partner.ClientId}", AdminJsonContext.Default.Partner, Ct))!.Status);
    }
}

public sealed class ConsoleServerTestsOnSqlite(SqliteServer server) : ConsoleServerTests(server), IClassFixture<SqliteServer>;

[NeedsPostgres]
public sealed class ConsoleServerTestsOnPostgres(PostgresServer server) : ConsoleServerTests(server.OrSkip()), IClassFixture<PostgresServer>;
