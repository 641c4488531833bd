using System.Net;
using System.Net.Http.Json;
using DeviceFeatures.Protocol.Admin;
using DeviceFeatures.Server.OperatorConsole;
using DeviceFeatures.Server.Storage;
using DeviceFeatures.Server.Tests.Infrastructure;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.DependencyInjection;

namespace DeviceFeatures.Server.Tests.OperatorConsole;

/// <summary>Operators managed with the admin key, on both providers: the last administrator's rule, audit, sessions ending.</summary>
public abstract class OperatorManagementTests(ServerFactory server)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static async Task<CreatedOperator> CreateAsync(HttpClient admin, string role, string? password = null)
    {
        var name = $"{role[..3]}-{Guid.NewGuid():N}"[..20];
        using var response = await admin.PostAsJsonAsync("/admin/api/operators", new CreateOperatorRequest(name, role, password), AdminJsonContext.Default.CreateOperatorRequest, Ct);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var created = (await response.Content.ReadFromJsonAsync(AdminJsonContext.Default.CreatedOperator, Ct))!;
        return created with { Password = password ?? created.Password };
    }

    private static Task<HttpResponseMessage> PatchAsync(HttpClient admin, string name, UpdateOperatorRequest body) =>
        admin.PatchAsJsonAsync($"/admin/api/operators/{name}", body, AdminJsonContext.Default.UpdateOperatorRequest, Ct);

    private static async Task<string?> CodeAsync(HttpResponseMessage response) =>
        (await response.Content.ReadFromJsonAsync(AdminJsonContext.Default.AdminProblem, Ct))!.Code;

    private async Task<ConsoleSession> SignedInAsync(string name, string password)
    {
        var session = ConsoleSession.Open(server);
        Assert.Equal(HttpStatusCode.Redirect, (await session.SignInAsync(name, password)).Status);
        Assert.Equal(HttpStatusCode.OK, (await session.GetAsync("/console")).Status);
        return session;
    }

    private static async Task AssertSessionEndedAsync(ConsoleSession session)
    {
        var (status, _) = await session.GetAsync("/console");
        Assert.Equal(HttpStatusCode.Redirect, status);
    }

    [Fact]
    public async Task Operators_AreListedShownChangedUnlockedResetAndDeleted_EachChangeAudited()
    {
        using var admin = server.CreateAdminClient();
        var created = await CreateAsync(admin, "support");

        using (var located = await admin.PostAsJsonAsync("/admin/api/operators", new CreateOperatorRequest("loc-" + created.Name[4..], "support"), AdminJsonContext.Default.CreateOperatorRequest, Ct))
        {
            var shown = await admin.GetFromJsonAsync(located.Headers.Location!.OriginalString, AdminJsonContext.Default.OperatorAccount, Ct);
            Assert.Equal(("loc-" + created.Name[4..], "support", false), (shown!.Name, shown.Role, shown.Disabled));
        }

        var list = (await admin.GetFromJsonAsync("/admin/api/operators", AdminJsonContext.Default.OperatorList, Ct))!.Operators;
        Assert.Contains(list, o => o.Name == "admin" && o.Role == "administrator");
        Assert.Contains(list, o => o.Name == created.Name && o.Role == "support" && !o.Disabled && o.LockedUntil is null && o.CreatedAt == server.Time.GetUtcNow());

        using (var promoted = await PatchAsync(admin, created.Name, new UpdateOperatorRequest(Role: "customer_success")))
        {
            Assert.Equal(HttpStatusCode.OK, promoted.StatusCode);
            Assert.Equal("customer_success", (await promoted.Content.ReadFromJsonAsync(AdminJsonContext.Default.OperatorAccount, Ct))!.Role);
        }

        using (var disabled = await PatchAsync(admin, created.Name, new UpdateOperatorRequest(Disabled: true)))
        {
            var account = (await disabled.Content.ReadFromJsonAsync(AdminJsonContext.Default.OperatorAccount, Ct))!;
            Assert.Equal((true, server.Time.GetUtcNow()), (account.Disabled, account.DisabledAt!.Value));
        }

        using (var enabled = await PatchAsync(admin, created.Name, new UpdateOperatorRequest(Disabled: false)))
        {
            Assert.False((await enabled.Content.ReadFromJsonAsync(AdminJsonContext.Default.OperatorAccount, Ct))!.Disabled);
        }

        using (var unlocked = await admin.PostAsync($"/admin/api/operators/{created.Name}/unlock", null, Ct))
        {
            Assert.Equal(HttpStatusCode.OK, unlocked.StatusCode);
        }

        using (var reset = await admin.PostAsync($"/admin/api/operators/{created.Name}/reset-password", null, Ct))
        {
            Assert.Equal(HttpStatusCode.OK, reset.StatusCode);
            var password = (await reset.Content.ReadFromJsonAsync(AdminJsonContext.Default.OperatorPassword, Ct))!;
            Assert.True(password.Password!.Length >= 12);
            using var session = await SignedInAsync(created.Name, password.Password);
        }

        using (var chosen = await admin.PostAsJsonAsync($"/admin/api/operators/{created.Name}/reset-password", new ResetPasswordRequest("a password chosen here"), AdminJsonContext.Default.ResetPasswordRequest, Ct))
        {
            Assert.Null((await chosen.Content.ReadFromJsonAsync(AdminJsonContext.Default.OperatorPassword, Ct))!.Password);
            using var session = await SignedInAsync(created.Name, "a password chosen here");
        }

        using (var deleted = await admin.DeleteAsync($"/admin/api/operators/{created.Name}", Ct))
        {
            Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        }

        using (var gone = await admin.GetAsync($"/admin/api/operators/{created.Name}", Ct))
        {
            Assert.Equal((HttpStatusCode.NotFound, AdminProblemCodes.OperatorNotFound), (gone.StatusCode, await CodeAsync(gone)));
        }

        var audit = (await admin.GetFromJsonAsync("/admin/api/audit?limit=1000", AdminJsonContext.Default.AuditPage, Ct))!.Events
            .Where(e => e.Detail?.StartsWith(created.Name, StringComparison.Ordinal) == true).ToList();
        Assert.Equal(
            ["operator.created", "operator.role_changed", "operator.disabled", "operator.enabled", "operator.unlocked", "operator.password_reset", "operator.password_reset", "operator.deleted"],
            audit.Select(e => e.Kind));
        Assert.All(audit, e => Assert.Equal("admin", e.Actor));
        Assert.Equal($"{created.Name}: support -> customer_success", audit[1].Detail);
        Assert.Equal($"{created.Name} (customer_success)", audit[^1].Detail);
        Assert.DoesNotContain(audit, e => e.Detail!.Contains("a password chosen here", StringComparison.Ordinal));
    }

    [Fact]
    public async Task UnknownNamesAndBadBodies_AreRefusedWithTheirCodes()
    {
        using var admin = server.CreateAdminClient();
        using (var missing = await PatchAsync(admin, "nobody-here", new UpdateOperatorRequest(Disabled: true)))
        {
            Assert.Equal((HttpStatusCode.NotFound, AdminProblemCodes.OperatorNotFound), (missing.StatusCode, await CodeAsync(missing)));
        }

        foreach (var path in new[] { "/admin/api/operators/nobody-here/unlock", "/admin/api/operators/nobody-here/reset-password" })
        {
            using var refused = await admin.PostAsync(path, null, Ct);
            Assert.Equal((HttpStatusCode.NotFound, AdminProblemCodes.OperatorNotFound), (refused.StatusCode, await CodeAsync(refused)));
        }

        using (var missingDelete = await admin.DeleteAsync("/admin/api/operators/nobody-here", Ct))
        {
            Assert.Equal(HttpStatusCode.NotFound, missingDelete.StatusCode);
        }

        var op = await CreateAsync(admin, "support");
        foreach (var bad in new[] { new UpdateOperatorRequest(), new UpdateOperatorRequest(Role: "root") })
        {
            using var refused = await PatchAsync(admin, op.Name, bad);
            Assert.Equal((HttpStatusCode.BadRequest, AdminProblemCodes.InvalidRequest), (refused.StatusCode, await CodeAsync(refused)));
        }

        using (var shortPassword = await admin.PostAsJsonAsync($"/admin/api/operators/{op.Name}/reset-password", new ResetPasswordRequest("short"), AdminJsonContext.Default.ResetPasswordRequest, Ct))
        {
            Assert.Equal(HttpStatusCode.BadRequest, shortPassword.StatusCode);
        }

        using var noKey = server.CreateClient();
        using var unauthorized = await noKey.GetAsync("/admin/api/operators", Ct);
        Assert.Equal(HttpStatusCode.Unauthorized, unauthorized.StatusCode);
    }

    [Fact]
    public async Task TheLastEnabledAdministrator_CanBeNeitherDisabledNorDemotedNorDeleted()
    {
        using var admin = server.CreateAdminClient();
        var last = await CreateAsync(admin, "administrator");
        var others = await DisableEveryAdministratorButAsync(admin, last.Name);
        try
        {
            foreach (var change in new[] { new UpdateOperatorRequest(Disabled: true), new UpdateOperatorRequest(Role: "support"), new UpdateOperatorRequest("customer_success", true) })
            {
                using var refused = await PatchAsync(admin, last.Name, change);
                Assert.Equal((HttpStatusCode.Conflict, AdminProblemCodes.LastAdministrator), (refused.StatusCode, await CodeAsync(refused)));
            }

            using (var refused = await admin.DeleteAsync($"/admin/api/operators/{last.Name}", Ct))
            {
                Assert.Equal((HttpStatusCode.Conflict, AdminProblemCodes.LastAdministrator), (refused.StatusCode, await CodeAsync(refused)));
            }

            // Staying an administrator, or changing nothing, is not losing one.
            using (var same = await PatchAsync(admin, last.Name, new UpdateOperatorRequest("administrator", false)))
            {
                Assert.Equal(HttpStatusCode.OK, same.StatusCode);
            }

            // A second administrator makes the first one free to go.
            var second = await CreateAsync(admin, "administrator");
            using (var demoted = await PatchAsync(admin, last.Name, new UpdateOperatorRequest(Role: "support")))
            {
                Assert.Equal(HttpStatusCode.OK, demoted.StatusCode);
            }

            using (var refused = await PatchAsync(admin, second.Name, new UpdateOperatorRequest(Disabled: true)))
            {
                Assert.Equal(HttpStatusCode.Conflict, refused.StatusCode);
            }

            Assert.Equal(HttpStatusCode.NoContent, (await admin.DeleteAsync($"/admin/api/operators/{last.Name}", Ct)).StatusCode);
        }
        finally
        {
            foreach (var name in others)
            {
                (await PatchAsync(admin, name, new UpdateOperatorRequest(Disabled: false))).EnsureSuccessStatusCode();
            }
        }
    }

    [Fact]
    public async Task TwoAdministratorsDisabledAtOnce_LeaveOneEnabled()
    {
        using var admin = server.CreateAdminClient();
        var first = await CreateAsync(admin, "administrator");
        var second = await CreateAsync(admin, "administrator");
        var others = await DisableEveryAdministratorButAsync(admin, first.Name, second.Name);
        try
        {
            for (var round = 0; round < 10; round++)
            {
                var (a, b) = (round % 2 == 0) ? (first.Name, second.Name) : (second.Name, first.Name);
                using var client1 = server.CreateAdminClient();
                using var client2 = server.CreateAdminClient();
                var outcomes = await Task.WhenAll(
                    round % 3 == 2 ? client1.DeleteAsync($"/admin/api/operators/{a}", Ct) : PatchAsync(client1, a, new UpdateOperatorRequest(Disabled: true)),
                    PatchAsync(client2, b, new UpdateOperatorRequest(Role: "support")));
                Assert.Single(outcomes, o => o.IsSuccessStatusCode);
                Assert.Single(outcomes, o => o.StatusCode == HttpStatusCode.Conflict);
                var enabledAdministrators = (await admin.GetFromJsonAsync("/admin/api/operators", AdminJsonContext.Default.OperatorList, Ct))!.Operators
                    .Where(o => o.Role == "administrator" && !o.Disabled).Select(o => o.Name).ToList();
                Assert.Single(enabledAdministrators);

                // Back to two administrators for the next round.
                foreach (var name in new[] { first.Name, second.Name })
                {
                    using var restore = await PatchAsync(admin, name, new UpdateOperatorRequest("administrator", false));
                    if (restore.StatusCode == HttpStatusCode.NotFound)
                    {
                        (await admin.PostAsJsonAsync("/admin/api/operators", new CreateOperatorRequest(name, "administrator"), AdminJsonContext.Default.CreateOperatorRequest, Ct)).EnsureSuccessStatusCode();
                    }
                }

                foreach (var o in outcomes)
                {
                    o.Dispose();
                }
            }
        }
        finally
        {
            foreach (var name in others)
            {
                (await PatchAsync(admin, name, new UpdateOperatorRequest(Disabled: false))).EnsureSuccessStatusCode();
            }
        }
    }

    [Fact]
    public async Task AnOpenSession_EndsAtItsNextRequest_WhenItsOperatorIsDisabledDemotedResetOrDeleted()
    {
        using var admin = server.CreateAdminClient();
        var changes = new Func<string, Task<HttpResponseMessage>>[]
        {
            name => PatchAsync(admin, name, new UpdateOperatorRequest(Disabled: true)),
            name => PatchAsync(admin, name, new UpdateOperatorRequest(Role: "support")),
            name => admin.PostAsync($"/admin/api/operators/{name}/reset-password", null, Ct),
            name => admin.DeleteAsync($"/admin/api/operators/{name}", Ct),
        };
        foreach (var change in changes)
        {
            var op = await CreateAsync(admin, "customer_success", "the password of this operator");
            using var session = await SignedInAsync(op.Name, "the password of this operator");
            using var untouched = await SignedInAsync((await CreateAsync(admin, "support", "another operator's password")).Name, "another operator's password");
            (await change(op.Name)).EnsureSuccessStatusCode();
            await AssertSessionEndedAsync(session);
            Assert.Equal(HttpStatusCode.OK, (await untouched.GetAsync("/console")).Status);
        }

        // Disabled: no new session either, in the words of a wrong password.
        var disabled = await CreateAsync(admin, "support", "the password of this operator");
        (await PatchAsync(admin, disabled.Name, new UpdateOperatorRequest(Disabled: true))).EnsureSuccessStatusCode();
        using var refused = ConsoleSession.Open(server);
        Assert.Contains("Wrong name or password.", (await refused.SignInAsync(disabled.Name, "the password of this operator")).Html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AnOpenSession_DoesNotComeBack_WhenItsOperatorIsDisabledThenEnabled_OrDemotedThenPromoted()
    {
        using var admin = server.CreateAdminClient();
        var changes = new (UpdateOperatorRequest Away, UpdateOperatorRequest Back)[]
        {
            (new UpdateOperatorRequest(Disabled: true), new UpdateOperatorRequest(Disabled: false)),
            (new UpdateOperatorRequest(Role: "support"), new UpdateOperatorRequest(Role: "customer_success")),
        };
        foreach (var (away, back) in changes)
        {
            var op = await CreateAsync(admin, "customer_success", "the password of this operator");
            using var session = await SignedInAsync(op.Name, "the password of this operator");
            (await PatchAsync(admin, op.Name, away)).EnsureSuccessStatusCode();
            (await PatchAsync(admin, op.Name, back)).EnsureSuccessStatusCode();
            await AssertSessionEndedAsync(session);

            // A change that changes nothing keeps the sessions; a new sign-in works at once.
            using var again = await SignedInAsync(op.Name, "the password of this operator");
            (await PatchAsync(admin, op.Name, back)).EnsureSuccessStatusCode();
            Assert.Equal(HttpStatusCode.OK, (await again.GetAsync("/console")).Status);
        }
    }

    [Fact]
    public async Task ARehashAtSignIn_DoesNotRestoreAPasswordResetMeanwhile()
    {
        using var admin = server.CreateAdminClient();
        var op = await CreateAsync(admin, "support", "the old password of this operator");
        var store = server.Services.GetRequiredService<IFeatureStore>();
        var oldHash = (await store.ReadAsync(s => s.FindOperatorAsync(op.Name), Ct))!.PasswordHash;
        var rehashedOld = new PasswordHasher<OperatorRow>().HashPassword(new OperatorRow(), "the old password of this operator");

        // A sign-in with the old password checked it, then a reset came in before its rehash was written.
        (await admin.PostAsJsonAsync($"/admin/api/operators/{op.Name}/reset-password", new ResetPasswordRequest("the new password of this operator"), AdminJsonContext.Default.ResetPasswordRequest, Ct))
            .EnsureSuccessStatusCode();
        Assert.Equal(0, await store.WriteAsync(s => s.RehashOperatorPasswordAsync(op.Name, oldHash, rehashedOld), Ct));

        using var session = ConsoleSession.Open(server);
        Assert.Contains("Wrong name or password.", (await session.SignInAsync(op.Name, "the old password of this operator")).Html, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Redirect, (await session.SignInAsync(op.Name, "the new password of this operator")).Status);

        // Without a reset in between, the rehash is written.
        var current = (await store.ReadAsync(s => s.FindOperatorAsync(op.Name), Ct))!.PasswordHash;
        var rehashedNew = new PasswordHasher<OperatorRow>().HashPassword(new OperatorRow(), "the new password of this operator");
        Assert.Equal(1, await store.WriteAsync(s => s.RehashOperatorPasswordAsync(op.Name, current, rehashedNew), Ct));
    }

    [Fact]
    public async Task AnswersCarryingASecret_AreNotStored()
    {
        using var admin = server.CreateAdminClient();
        var op = await CreateAsync(admin, "support");
        using var reset = await admin.PostAsync($"/admin/api/operators/{op.Name}/reset-password", null, Ct);
        Assert.Equal(HttpStatusCode.OK, reset.StatusCode);
        Assert.True(reset.Headers.CacheControl?.NoStore);
        using var partner = await admin.PostAsJsonAsync("/admin/api/partners", new { name = "No store" }, Ct);
        Assert.True(partner.Headers.CacheControl?.NoStore);
    }

    [Fact]
    public async Task Unlock_LetsALockedOperatorSignInBeforeTheLockoutEnds()
    {
        using var admin = server.CreateAdminClient();
        var op = await CreateAsync(admin, "support", "the password of this operator");
        using var session = ConsoleSession.Open(server);
        for (var i = 0; i < 5; i++)
        {
            await session.SignInAsync(op.Name, "wrong password " + i);
        }

        var locked = await admin.GetFromJsonAsync($"/admin/api/operators/{op.Name}", AdminJsonContext.Default.OperatorAccount, Ct);
        Assert.Equal(server.Time.GetUtcNow().AddMinutes(15), locked!.LockedUntil);
        Assert.Contains("locked until", (await session.SignInAsync(op.Name, "the password of this operator")).Html, StringComparison.Ordinal);

        var unlocked = (await (await admin.PostAsync($"/admin/api/operators/{op.Name}/unlock", null, Ct)).Content.ReadFromJsonAsync(AdminJsonContext.Default.OperatorAccount, Ct))!;
        Assert.Equal((null, 0), (unlocked.LockedUntil, unlocked.FailedAttempts));
        Assert.Equal(HttpStatusCode.Redirect, (await session.SignInAsync(op.Name, "the password of this operator")).Status);
    }

    [Fact]
    public async Task TheConsole_ChangesOperatorsLikeTheApi_ForAdministratorsOnly()
    {
        using var admin = server.CreateAdminClient();
        var administrator = await CreateAsync(admin, "administrator", "the administrator's password");
        var target = await CreateAsync(admin, "support", "the target's password");
        static Dictionary<string, string> Form(params (string Key, string Value)[] fields) => fields.ToDictionary(f => f.Key, f => f.Value);

        using (var support = await SignedInAsync((await CreateAsync(admin, "support", "a support agent's password")).Name, "a support agent's password"))
        {
            Assert.Equal(HttpStatusCode.Forbidden, (await support.GetAsync($"/console/operators/{target.Name}")).Status);
            await support.GetAsync("/console");
            foreach (var (handler, form) in new[] { ("Role", Form(("Role", "administrator"))), ("Disabled", Form(("Disabled", "true"))), ("Unlock", Form()), ("Reset", Form()), ("Delete", Form()) })
            {
                Assert.Equal(HttpStatusCode.Forbidden, (await support.PostAsync($"/console/operators/{target.Name}?handler={handler}", form)).Status);
            }
        }

        using var session = await SignedInAsync(administrator.Name, "the administrator's password");
        var (status, html) = await session.GetAsync($"/console/operators/{target.Name}");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Contains("Support", html, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Redirect, (await session.PostAsync($"/console/operators/{target.Name}?handler=Role", Form(("Role", "customer_success")))).Status);
        Assert.Equal(HttpStatusCode.Redirect, (await session.PostAsync($"/console/operators/{target.Name}?handler=Disabled", Form(("Disabled", "true")))).Status);
        var account = (await admin.GetFromJsonAsync($"/admin/api/operators/{target.Name}", AdminJsonContext.Default.OperatorAccount, Ct))!;
        Assert.Equal(("customer_success", true), (account.Role, account.Disabled));

        await session.GetAsync($"/console/operators/{target.Name}");
        var reset = await session.PostAsync($"/console/operators/{target.Name}?handler=Reset", Form());
        Assert.Equal(HttpStatusCode.OK, reset.Status);
        Assert.Matches("id=\"new-password\">[A-Za-z0-9_-]{32}<", reset.Html);

        Assert.Equal(HttpStatusCode.Redirect, (await session.PostAsync($"/console/operators/{target.Name}?handler=Delete", Form())).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await session.GetAsync($"/console/operators/{target.Name}")).Status);

        var audit = (await admin.GetFromJsonAsync($"/admin/api/audit?limit=1000", AdminJsonContext.Default.AuditPage, Ct))!.Events
            .Where(e => e.Detail?.StartsWith(target.Name, StringComparison.Ordinal) == true && e.Kind != "operator.created").ToList();
        Assert.Equal(["operator.role_changed", "operator.disabled", "operator.password_reset", "operator.deleted"], audit.Select(e => e.Kind));
        Assert.All(audit, e => Assert.Equal("operator:" + administrator.Name, e.Actor));

        // The last enabled administrator, on the page: refused in the service's words, nothing changed.
        var others = await DisableEveryAdministratorButAsync(admin, administrator.Name);
        try
        {
            await session.GetAsync($"/console/operators/{administrator.Name}");
            var refused = await session.PostAsync($"/console/operators/{administrator.Name}?handler=Disabled", Form(("Disabled", "true")));
            Assert.Equal(HttpStatusCode.Conflict, refused.Status);
            Assert.Contains("last enabled administrator", refused.Html, StringComparison.Ordinal);
            Assert.Equal(HttpStatusCode.OK, (await session.GetAsync("/console")).Status);
        }
        finally
        {
            foreach (var name in others)
            {
                (await PatchAsync(admin, name, new UpdateOperatorRequest(Disabled: false))).EnsureSuccessStatusCode();
            }
        }
    }

    [Fact]
    public async Task TheConsole_AndTheApi_WriteTheSameOperatorEvents_ApartFromActorIdAndTime()
    {
        using var admin = server.CreateAdminClient();
        var administrator = await CreateAsync(admin, "administrator", "the administrator's password");
        var viaConsole = await CreateAsync(admin, "support");
        var viaApi = await CreateAsync(admin, "support");
        static Dictionary<string, string> Form(params (string Key, string Value)[] fields) => fields.ToDictionary(f => f.Key, f => f.Value);

        using var session = await SignedInAsync(administrator.Name, "the administrator's password");
        var page = $"/console/operators/{viaConsole.Name}";
        await session.GetAsync(page);
        Assert.Equal(HttpStatusCode.Redirect, (await session.PostAsync(page + "?handler=Role", Form(("Role", "customer_success")))).Status);
        Assert.Equal(HttpStatusCode.Redirect, (await session.PostAsync(page + "?handler=Disabled", Form(("Disabled", "true")))).Status);
        Assert.Equal(HttpStatusCode.Redirect, (await session.PostAsync(page + "?handler=Disabled", Form(("Disabled", "false")))).Status);
        Assert.Equal(HttpStatusCode.Redirect, (await session.PostAsync(page + "?handler=Unlock", Form())).Status);
        Assert.Equal(HttpStatusCode.OK, (await session.PostAsync(page + "?handler=Reset", Form())).Status);
        Assert.Equal(HttpStatusCode.Redirect, (await session.PostAsync(page + "?handler=Delete", Form())).Status);

        (await PatchAsync(admin, viaApi.Name, new UpdateOperatorRequest(Role: "customer_success"))).EnsureSuccessStatusCode();
        (await PatchAsync(admin, viaApi.Name, new UpdateOperatorRequest(Disabled: true))).EnsureSuccessStatusCode();
        (await PatchAsync(admin, viaApi.Name, new UpdateOperatorRequest(Disabled: false))).EnsureSuccessStatusCode();
        (await admin.PostAsync($"/admin/api/operators/{viaApi.Name}/unlock", null, Ct)).EnsureSuccessStatusCode();
        (await admin.PostAsync($"/admin/api/operators/{viaApi.Name}/reset-password", null, Ct)).EnsureSuccessStatusCode();
        (await admin.DeleteAsync($"/admin/api/operators/{viaApi.Name}", Ct)).EnsureSuccessStatusCode();

        var events = (await admin.GetFromJsonAsync("/admin/api/audit?limit=1000", AdminJsonContext.Default.AuditPage, Ct))!.Events;
        List<AuditEvent> Of(string name) => events
            .Where(e => e.Kind.StartsWith("operator.", StringComparison.Ordinal) && e.Kind != "operator.created" && e.Detail?.StartsWith(name, StringComparison.Ordinal) == true)
            .Select(e => e with { Id = 0, OccurredAt = default, RequestId = null, Actor = "", Detail = e.Detail!.Replace(name, "NAME", StringComparison.Ordinal) })
            .ToList();
        var console = Of(viaConsole.Name);
        Assert.Equal(
            ["operator.role_changed", "operator.disabled", "operator.enabled", "operator.unlocked", "operator.password_reset", "operator.deleted"],
            console.Select(e => e.Kind));
        Assert.Equal(Of(viaApi.Name), console);
    }

    [Fact]
    public async Task TheOperatorPage_ChangesOnlyTheOperatorOfItsAddress_AndNeedsTheDisabledValue()
    {
        using var admin = server.CreateAdminClient();
        var administrator = await CreateAsync(admin, "administrator", "the administrator's password");
        var target = await CreateAsync(admin, "support");
        var other = await CreateAsync(admin, "support");
        (await PatchAsync(admin, target.Name, new UpdateOperatorRequest(Disabled: true))).EnsureSuccessStatusCode();
        static Dictionary<string, string> Form(params (string Key, string Value)[] fields) => fields.ToDictionary(f => f.Key, f => f.Value);
        async Task<OperatorAccount> AccountAsync(string name) =>
            (await admin.GetFromJsonAsync($"/admin/api/operators/{name}", AdminJsonContext.Default.OperatorAccount, Ct))!;

        using var session = await SignedInAsync(administrator.Name, "the administrator's password");
        var page = $"/console/operators/{target.Name}";
        await session.GetAsync(page);

        // No value, or a value that is not a boolean: refused, and the disabled operator stays disabled.
        foreach (var form in new[] { Form(), Form(("Disabled", "maybe")) })
        {
            var refused = await session.PostAsync(page + "?handler=Disabled", form);
            Assert.Equal(HttpStatusCode.BadRequest, refused.Status);
            Assert.Contains("true or false", refused.Html, StringComparison.Ordinal);
            Assert.True((await AccountAsync(target.Name)).Disabled);
        }

        // A form field Name does not override the address's operator.
        Assert.Equal(HttpStatusCode.Redirect, (await session.PostAsync(page + "?handler=Role", Form(("Role", "customer_success"), ("Name", other.Name)))).Status);
        Assert.Equal("customer_success", (await AccountAsync(target.Name)).Role);
        Assert.Equal("support", (await AccountAsync(other.Name)).Role);
        await session.GetAsync(page);
        Assert.Equal(HttpStatusCode.Redirect, (await session.PostAsync($"{page}?handler=Disabled&name={other.Name}", Form(("Disabled", "false"), ("name", other.Name)))).Status);
        Assert.False((await AccountAsync(target.Name)).Disabled);
        Assert.False((await AccountAsync(other.Name)).Disabled);
        await session.GetAsync(page);
        Assert.Equal(HttpStatusCode.Redirect, (await session.PostAsync(page + "?handler=Disabled", Form(("Disabled", "true"), ("Name", other.Name)))).Status);
        Assert.Equal((true, false), ((await AccountAsync(target.Name)).Disabled, (await AccountAsync(other.Name)).Disabled));
    }

    // Disables every enabled administrator not named, and answers their names, to be enabled again afterwards.
    private static async Task<List<string>> DisableEveryAdministratorButAsync(HttpClient admin, params string[] kept)
    {
        var others = (await admin.GetFromJsonAsync("/admin/api/operators", AdminJsonContext.Default.OperatorList, Ct))!.Operators
            .Where(o => o.Role == "administrator" && !o.Disabled && !kept.Contains(o.Name)).Select(o => o.Name).ToList();
        foreach (var name in others)
        {
            (await PatchAsync(admin, name, new UpdateOperatorRequest(Disabled: true))).EnsureSuccessStatusCode();
        }

        return others;
    }
}

public sealed class OperatorManagementTestsOnSqlite(SqliteServer server) : OperatorManagementTests(server), IClassFixture<SqliteServer>;

[NeedsPostgres]
public sealed class OperatorManagementTestsOnPostgres(PostgresServer server) : OperatorManagementTests(server.OrSkip()), IClassFixture<PostgresServer>;
