using System.Net;
using System.Net.Http.Json;
using DeviceFeatures.Protocol.Admin;
using DeviceFeatures.Server.OperatorConsole;
using DeviceFeatures.Server.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace DeviceFeatures.Server.Tests.OperatorConsole;

/// <summary>Gated grants with four eyes, through the console's forms, on both providers.</summary>
public abstract class GrantRequestTests(ServerFactory server)
{
    private const string Gated = "feature_esc";
    private const string OtherGated = "feature_sleep_rx";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static Dictionary<string, string> Form(params (string Key, string Value)[] fields) => fields.ToDictionary(f => f.Key, f => f.Value);

    private async Task<(ConsoleSession Session, string Name)> SignedInAsync(string role)
    {
        using var admin = server.CreateAdminClient();
        var name = $"{role[..3]}-{Guid.NewGuid():N}"[..20];
        using var response = await admin.PostAsJsonAsync("/admin/api/operators", new CreateOperatorRequest(name, role), AdminJsonContext.Default.CreateOperatorRequest, Ct);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var created = (await response.Content.ReadFromJsonAsync(AdminJsonContext.Default.CreatedOperator, Ct))!;
        var session = ConsoleSession.Open(server);
        Assert.Equal(HttpStatusCode.Redirect, (await session.SignInAsync(name, created.Password!)).Status);
        return (session, name);
    }

    /// <summary>Reads the grants page (for its form token), then sends one of its forms.</summary>
    private static async Task<(HttpStatusCode Status, string Html)> SendAsync(ConsoleSession session, string handler, Dictionary<string, string> form)
    {
        await session.GetAsync("/console/grants");
        var (status, html, _) = await session.PostAsync($"/console/grants?handler={handler}", form);
        return (status, html);
    }

    private async Task<GrantRequestRow> RequestAsync(ConsoleSession session, string clientId, string feature = Gated, string reason = "Pilot clinic needs it")
    {
        var (status, html) = await SendAsync(session, "Request", Form(("clientId", clientId), ("featureName", feature), ("reason", reason)));
        Assert.True(status == HttpStatusCode.Redirect, html);
        return (await FindAsync(clientId, feature))!;
    }

    private async Task<GrantRequestRow?> FindAsync(string clientId, string feature)
    {
        var requests = server.Services.GetRequiredService<GrantRequests>();
        var list = await requests.ListAsync(Ct);
        return list.Pending.Concat(list.History).Where(r => r.ClientId == clientId && r.FeatureName == feature).MaxBy(r => r.Id);
    }

    private static Task<(HttpStatusCode Status, string Html)> DecideAsync(ConsoleSession session, string handler, GrantRequestRow request, long? version = null, string note = "") =>
        SendAsync(session, handler, Form(("id", request.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)),
            ("version", (version ?? request.Version).ToString(System.Globalization.CultureInfo.InvariantCulture)), ("note", note)));

    private async Task<IReadOnlyList<AuditEvent>> AuditAsync(string clientId)
    {
        using var admin = server.CreateAdminClient();
        return (await admin.GetFromJsonAsync($"/admin/api/audit?client_id={clientId}&limit=1000", AdminJsonContext.Default.AuditPage, Ct))!.Events;
    }

    private async Task<IReadOnlyList<string>> GrantsAsync(string clientId)
    {
        using var admin = server.CreateAdminClient();
        return (await admin.GetFromJsonAsync($"/admin/api/partners/{clientId}/entitlements", AdminJsonContext.Default.EntitlementList, Ct))!
            .Entitlements.Select(e => e.FeatureName).ToArray();
    }

    [Fact]
    public async Task TheRequester_CannotApproveOrRejectTheirOwnRequest_EvenWithACraftedPost()
    {
        var partner = await server.CreatePartnerAsync();
        var (a, _) = await SignedInAsync("customer_success");
        using var _a = a;
        var request = await RequestAsync(a, partner.ClientId);

        var page = (await a.GetAsync("/console/grants")).Html;
        Assert.DoesNotContain($"Approve #{request.Id}", page, StringComparison.Ordinal);
        Assert.Contains($"Withdraw #{request.Id}", page, StringComparison.Ordinal);

        var (status, html) = await DecideAsync(a, "Approve", request);
        Assert.Equal(HttpStatusCode.Forbidden, status);
        Assert.Contains("another operator must approve it", html, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Forbidden, (await DecideAsync(a, "Reject", request, note: "no")).Status);

        // The service says the same to any caller, whatever a page showed.
        var requests = server.Services.GetRequiredService<GrantRequests>();
        var error = await requests.ApproveAsync(new ConsoleActor(request.RequestedBy, OperatorRoles.Administrator, "t"), request.Id, request.Version, null, Ct);
        Assert.Equal(GrantRequests.OwnRequestCode, error!.Code);

        Assert.Empty(await GrantsAsync(partner.ClientId));
        Assert.Equal(GrantRequestStates.Pending, (await FindAsync(partner.ClientId, Gated))!.State);
    }

    [Fact]
    public async Task AnApprovalByAnother_GrantsAtOnce_WithTheAdminApisAuditEvent_AndBothNames()
    {
        var partner = await server.CreatePartnerAsync();
        var viaApi = await server.CreatePartnerAsync();
        var (a, requester) = await SignedInAsync("customer_success");
        var (b, approver) = await SignedInAsync("administrator");
        using var _a = a;
        using var _b = b;
        var request = await RequestAsync(a, partner.ClientId, reason: "Signed the ESC addendum");

        Assert.Contains($"Approve #{request.Id}", (await b.GetAsync("/console/grants")).Html, StringComparison.Ordinal);
        var (status, html) = await DecideAsync(b, "Approve", request, note: "Checked the contract");
        Assert.True(status == HttpStatusCode.Redirect, html);

        Assert.Equal([Gated], await GrantsAsync(partner.ClientId));
        var approved = (await FindAsync(partner.ClientId, Gated))!;
        Assert.Equal((GrantRequestStates.Approved, approver, "Checked the contract"), (approved.State, approved.DecidedBy, approved.DecisionNote));

        var events = await AuditAsync(partner.ClientId);
        Assert.Equal(
            [("grant_request.created", "operator:" + requester), ("grant_request.approved", "operator:" + approver), ("entitlement.granted", "operator:" + approver)],
            events.Where(e => e.Kind.StartsWith("grant_request.", StringComparison.Ordinal) || e.Kind.StartsWith("entitlement.", StringComparison.Ordinal)).Select(e => (e.Kind, e.Actor)));
        Assert.Contains("Signed the ESC addendum", events.Single(e => e.Kind == "grant_request.created").Detail, StringComparison.Ordinal);
        Assert.Contains($"by {requester}", events.Single(e => e.Kind == "grant_request.approved").Detail, StringComparison.Ordinal);

        // The grant itself is the admin API's, apart from the actor.
        using var admin = server.CreateAdminClient();
        (await admin.PutAsync($"/admin/api/partners/{viaApi.ClientId}/entitlements/{Gated}", null, Ct)).EnsureSuccessStatusCode();
        static AuditEvent Comparable(AuditEvent e) => e with { Id = 0, OccurredAt = default, RequestId = null, Actor = "", ClientId = null };
        Assert.Equal(
            Comparable((await AuditAsync(viaApi.ClientId)).Single(e => e.Kind == "entitlement.granted")),
            Comparable(events.Single(e => e.Kind == "entitlement.granted")));

        // Decided once: a second decision is refused.
        Assert.Equal(HttpStatusCode.Conflict, (await DecideAsync(b, "Reject", approved, note: "late")).Status);
    }

    [Fact]
    public async Task ARejection_NeedsANote_AndGrantsNothing()
    {
        var partner = await server.CreatePartnerAsync();
        var (a, _) = await SignedInAsync("customer_success");
        var (b, decider) = await SignedInAsync("customer_success");
        using var _a = a;
        using var _b = b;
        var request = await RequestAsync(a, partner.ClientId);

        var (noNote, html) = await DecideAsync(b, "Reject", request);
        Assert.Equal(HttpStatusCode.BadRequest, noNote);
        Assert.Contains("note is required", html, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Redirect, (await DecideAsync(b, "Reject", request, note: "No contract yet")).Status);

        var rejected = (await FindAsync(partner.ClientId, Gated))!;
        Assert.Equal((GrantRequestStates.Rejected, decider, "No contract yet"), (rejected.State, rejected.DecidedBy, rejected.DecisionNote));
        Assert.Empty(await GrantsAsync(partner.ClientId));
        var rejectedEvent = (await AuditAsync(partner.ClientId)).Single(e => e.Kind == "grant_request.rejected");
        Assert.Equal("operator:" + decider, rejectedEvent.Actor);
        Assert.Contains("No contract yet", rejectedEvent.Detail, StringComparison.Ordinal);

        var (late, lateHtml) = await DecideAsync(b, "Approve", rejected);
        Assert.Equal(HttpStatusCode.Conflict, late);
        Assert.Contains("already rejected", lateHtml, StringComparison.Ordinal);

        // A rejected request no longer blocks a new one.
        await RequestAsync(a, partner.ClientId, reason: "Contract signed now");
    }

    [Fact]
    public async Task AnEdit_AfterTheApproverReadTheRequest_RefusesTheStaleApproval_UntilReadAgain()
    {
        var partner = await server.CreatePartnerAsync();
        var (a, requester) = await SignedInAsync("customer_success");
        var (b, _) = await SignedInAsync("customer_success");
        using var _a = a;
        using var _b = b;
        var seen = await RequestAsync(a, partner.ClientId, reason: "First reason");
        Assert.Equal(1, seen.Version);

        // Only the requester edits; the edit may change the feature too.
        Assert.Equal(HttpStatusCode.Forbidden, (await SendAsync(b, "Edit", Form(("id", $"{seen.Id}"), ("version", "1"), ("featureName", Gated), ("reason", "B's words")))).Status);
        var (edited, editHtml) = await SendAsync(a, "Edit", Form(("id", $"{seen.Id}"), ("version", "1"), ("featureName", OtherGated), ("reason", "Second reason")));
        Assert.True(edited == HttpStatusCode.Redirect, editHtml);

        var (stale, html) = await DecideAsync(b, "Approve", seen);
        Assert.Equal(HttpStatusCode.Conflict, stale);
        Assert.Contains("was edited since you opened it", html, StringComparison.Ordinal);
        Assert.Empty(await GrantsAsync(partner.ClientId));

        var current = (await FindAsync(partner.ClientId, OtherGated))!;
        Assert.Equal((2L, "Second reason", seen.Id), (current.Version, current.Reason, current.Id));
        Assert.Equal(HttpStatusCode.Redirect, (await DecideAsync(b, "Approve", current)).Status);
        Assert.Equal([OtherGated], await GrantsAsync(partner.ClientId));

        var edit = (await AuditAsync(partner.ClientId)).Single(e => e.Kind == "grant_request.edited");
        Assert.Equal(("operator:" + requester, OtherGated), (edit.Actor, edit.FeatureName));
        Assert.Contains($"was {Gated}", edit.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ARequest_ExpiresAfterItsDays_AndCanNoLongerBeApproved()
    {
        var partner = await server.CreatePartnerAsync();
        var (a, _) = await SignedInAsync("customer_success");
        using (a)
        {
            var request = await RequestAsync(a, partner.ClientId);
            server.Time.Advance(TimeSpan.FromDays(7) + TimeSpan.FromMinutes(1));

            // Sessions have lapsed on the server's clock too: the approver signs in now.
            var (b, approver) = await SignedInAsync("administrator");
            using var _b = b;
            var (status, html) = await DecideAsync(b, "Approve", request);
            Assert.Equal(HttpStatusCode.Conflict, status);
            Assert.Contains("expired", html, StringComparison.Ordinal);
            Assert.Empty(await GrantsAsync(partner.ClientId));
            Assert.Equal(GrantRequestStates.Expired, (await FindAsync(partner.ClientId, Gated))!.State);

            // Marked by the rule, not by the approver whose change met it (nor by the job, if its tick came first).
            var expired = Assert.Single(await AuditAsync(partner.ClientId), e => e.Kind == "grant_request.expired");
            Assert.Equal("server", expired.Actor);
            Assert.DoesNotContain(await AuditAsync(partner.ClientId), e => e.Actor == "operator:" + approver);
            Assert.Contains("expired unapproved", expired.Detail, StringComparison.Ordinal);
        }

        // The place is free for a new request, which starts its own days.
        var (c, _) = await SignedInAsync("customer_success");
        using var _c = c;
        var again = await RequestAsync(c, partner.ClientId);
        Assert.Equal(GrantRequestStates.Pending, again.State);
    }

    [Fact]
    public async Task TwoApprovers_AtOnce_OneWins_AndTheGrantIsMadeOnce()
    {
        var partner = await server.CreatePartnerAsync();
        var (a, _) = await SignedInAsync("customer_success");
        var (b, _) = await SignedInAsync("customer_success");
        var (c, _) = await SignedInAsync("administrator");
        using var _a = a;
        using var _b = b;
        using var _c = c;
        var request = await RequestAsync(a, partner.ClientId);
        await b.GetAsync("/console/grants");
        await c.GetAsync("/console/grants");

        var form = Form(("id", $"{request.Id}"), ("version", $"{request.Version}"), ("note", ""));
        var answers = await Task.WhenAll(
            b.PostAsync("/console/grants?handler=Approve", form),
            c.PostAsync("/console/grants?handler=Approve", form));

        Assert.Equal([HttpStatusCode.Redirect, HttpStatusCode.Conflict], answers.Select(x => x.Status).Order());
        Assert.Contains("already approved", answers.Single(x => x.Status == HttpStatusCode.Conflict).Html, StringComparison.Ordinal);
        var events = await AuditAsync(partner.ClientId);
        Assert.Single(events, e => e.Kind == "grant_request.approved");
        Assert.Single(events, e => e.Kind == "entitlement.granted");
        Assert.Equal([Gated], await GrantsAsync(partner.ClientId));
    }

    [Fact]
    public async Task ASupportAgent_CanReadTheRequests_ButNotRequestOrDecide()
    {
        var partner = await server.CreatePartnerAsync();
        var (a, _) = await SignedInAsync("customer_success");
        var (support, name) = await SignedInAsync("support");
        using var _a = a;
        using var _s = support;
        var request = await RequestAsync(a, partner.ClientId);

        var (read, page) = await support.GetAsync("/console/grants");
        Assert.Equal(HttpStatusCode.OK, read);
        Assert.Contains($"Request #{request.Id}", page, StringComparison.Ordinal);
        Assert.DoesNotContain($"Approve #{request.Id}", page, StringComparison.Ordinal);
        Assert.DoesNotContain("Request grant", page, StringComparison.Ordinal);

        Assert.Equal(HttpStatusCode.Forbidden, (await DecideAsync(support, "Approve", request)).Status);
        Assert.Equal(HttpStatusCode.Forbidden, (await SendAsync(support, "Request", Form(("clientId", partner.ClientId), ("featureName", OtherGated), ("reason", "x")))).Status);
        Assert.Equal(HttpStatusCode.Forbidden, (await SendAsync(support, "Revoke", Form(("clientId", partner.ClientId), ("featureName", Gated)))).Status);

        var requests = server.Services.GetRequiredService<GrantRequests>();
        var (_, error) = await requests.RequestAsync(new ConsoleActor(name, OperatorRoles.Support, "t"), partner.ClientId, OtherGated, "x", Ct);
        Assert.Equal(GrantRequests.RoleCode, error!.Code);
        Assert.Equal(GrantRequestStates.Pending, (await FindAsync(partner.ClientId, Gated))!.State);
        Assert.Null(await FindAsync(partner.ClientId, OtherGated));
    }

    [Fact]
    public async Task ARequest_NamesAGatedFeatureOfAPartner_WithAReason_OnceAtATime()
    {
        var partner = await server.CreatePartnerAsync();
        var (a, _) = await SignedInAsync("customer_success");
        var (b, _) = await SignedInAsync("customer_success");
        using var _a = a;
        using var _b = b;
        foreach (var (form, expected, words) in new[]
        {
            (Form(("clientId", partner.ClientId), ("featureName", "feature_pwv"), ("reason", "x")), HttpStatusCode.BadRequest, "not a gated feature"),
            (Form(("clientId", partner.ClientId), ("featureName", "feature_nope"), ("reason", "x")), HttpStatusCode.NotFound, "no feature"),
            (Form(("clientId", "no-such-partner"), ("featureName", Gated), ("reason", "x")), HttpStatusCode.NotFound, "No partner"),
            (Form(("clientId", partner.ClientId), ("featureName", Gated), ("reason", "  ")), HttpStatusCode.BadRequest, "reason"),
            (Form(("clientId", partner.ClientId), ("featureName", Gated), ("reason", new string('r', 501))), HttpStatusCode.BadRequest, "reason"),
        })
        {
            var (status, html) = await SendAsync(a, "Request", form);
            Assert.Equal(expected, status);
            Assert.Contains(words, html, StringComparison.Ordinal);
        }

        var first = await RequestAsync(a, partner.ClientId);
        var (duplicate, duplicateHtml) = await SendAsync(b, "Request", Form(("clientId", partner.ClientId), ("featureName", Gated), ("reason", "Me too")));
        Assert.Equal(HttpStatusCode.Conflict, duplicate);
        Assert.Contains($"Request #{first.Id}", duplicateHtml, StringComparison.Ordinal);

        // Another operator may not withdraw it; its requester may, and then the place is free.
        Assert.Equal(HttpStatusCode.Forbidden, (await SendAsync(b, "Withdraw", Form(("id", $"{first.Id}")))).Status);
        Assert.Equal(HttpStatusCode.Redirect, (await SendAsync(a, "Withdraw", Form(("id", $"{first.Id}")))).Status);
        Assert.Equal(GrantRequestStates.Withdrawn, (await FindAsync(partner.ClientId, Gated))!.State);
        Assert.Contains((await AuditAsync(partner.ClientId)), e => e.Kind == "grant_request.withdrawn");
        var second = await RequestAsync(b, partner.ClientId, reason: "Me too");
        Assert.NotEqual(first.Id, second.Id);
    }

    [Fact]
    public async Task AReasonAndANote_OnTwoLines_AsABrowserSendsThem_AreKept_WithLfLineBreaks()
    {
        var partner = await server.CreatePartnerAsync();
        var (a, _) = await SignedInAsync("customer_success");
        var (b, _) = await SignedInAsync("customer_success");
        using var _a = a;
        using var _b = b;

        var request = await RequestAsync(a, partner.ClientId, reason: "Pilot clinic in Lyon\r\nSigned on Monday\tby the CMO");
        Assert.Equal("Pilot clinic in Lyon\nSigned on Monday\tby the CMO", request.Reason);
        Assert.Contains("Pilot clinic in Lyon\nSigned on Monday", Assert.Single(await AuditAsync(partner.ClientId), e => e.Kind == "grant_request.created").Detail, StringComparison.Ordinal);

        var (status, html) = await DecideAsync(b, "Reject", request, note: "No contract\r\nyet");
        Assert.True(status == HttpStatusCode.Redirect, html);
        Assert.Equal("No contract\nyet", (await FindAsync(partner.ClientId, Gated))!.DecisionNote);

        // Other control characters are still refused, in a form value as in a name.
        Assert.Equal(HttpStatusCode.BadRequest, (await SendAsync(a, "Request", Form(("clientId", partner.ClientId), ("featureName", Gated), ("reason", "two\r\nlines\u0007")))).Status);
        Assert.Equal(HttpStatusCode.BadRequest, (await SendAsync(a, "Request", Form(("clientId", partner.ClientId), ("featureName", Gated), ("reason\n", "x")))).Status);
        Assert.Equal(GrantRequestStates.Rejected, (await FindAsync(partner.ClientId, Gated))!.State);
    }

    [Fact]
    public async Task OpeningThePage_WritesNothing_AndTheExpiryJob_MarksTheRequestAsTheServer()
    {
        var partner = await server.CreatePartnerAsync();
        var (a, _) = await SignedInAsync("customer_success");
        using (a)
        {
            await RequestAsync(a, partner.ClientId);
        }

        server.Time.Advance(TimeSpan.FromDays(7) + TimeSpan.FromMinutes(1));
        var (support, supportName) = await SignedInAsync("support");
        using var _s = support;
        var before = (await AuditAsync(partner.ClientId)).Where(e => e.Kind != "grant_request.expired").ToArray();

        // The page shows the request expired (in the history), without writing: whatever the job's own tick did, no
        // event is the support agent's and no other event appeared.
        var (status, page) = await support.GetAsync("/console/grants");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(GrantRequestStates.Expired, (await FindAsync(partner.ClientId, Gated))!.State);
        var after = await AuditAsync(partner.ClientId);
        Assert.Equal(before.Select(e => e.Id), after.Where(e => e.Kind != "grant_request.expired").Select(e => e.Id));
        Assert.DoesNotContain(after, e => e.Actor == "operator:" + supportName);
        Assert.All(after.Where(e => e.Kind == "grant_request.expired"), e => Assert.Equal("server", e.Actor));

        // One pass of the job marks it, as the server; a second pass finds nothing more.
        var job = server.Services.GetServices<Microsoft.Extensions.Hosting.IHostedService>().OfType<GrantRequestExpiry>().Single();
        await job.RunOnceAsync(Ct);
        var expired = Assert.Single(await AuditAsync(partner.ClientId), e => e.Kind == "grant_request.expired");
        Assert.Equal(("server", GrantRequestExpiry.RequestId), (expired.Actor, expired.RequestId));
        Assert.Equal(0, await job.RunOnceAsync(Ct));
        Assert.Equal(GrantRequestStates.Expired, (await FindAsync(partner.ClientId, Gated))!.State);
    }

    [Fact]
    public async Task ApprovingARequest_ForAGrantHeldSince_IsRefused_AndTheRequestStaysPending()
    {
        var partner = await server.CreatePartnerAsync();
        var (a, _) = await SignedInAsync("customer_success");
        var (b, _) = await SignedInAsync("administrator");
        using var _a = a;
        using var _b = b;
        var request = await RequestAsync(a, partner.ClientId);
        using (var admin = server.CreateAdminClient())
        {
            (await admin.PutAsync($"/admin/api/partners/{partner.ClientId}/entitlements/{Gated}", null, Ct)).EnsureSuccessStatusCode();
        }

        var (status, html) = await DecideAsync(b, "Approve", request, note: "Looks fine");
        Assert.Equal(HttpStatusCode.Conflict, status);
        Assert.Contains("already holds a grant of feature_esc", html, StringComparison.Ordinal);
        Assert.Contains("stays pending", html, StringComparison.Ordinal);
        Assert.Equal(GrantRequestStates.Pending, (await FindAsync(partner.ClientId, Gated))!.State);
        var events = await AuditAsync(partner.ClientId);
        Assert.DoesNotContain(events, e => e.Kind == "grant_request.approved");
        Assert.Equal("admin", Assert.Single(events, e => e.Kind == "entitlement.granted").Actor);

        // A rejection (or the requester's withdrawal) closes it.
        Assert.Equal(HttpStatusCode.Redirect, (await DecideAsync(b, "Reject", request, note: "Granted through the admin API already")).Status);
    }

    [Fact]
    public async Task ARefusedForm_ShowsWhatWasTyped_Again()
    {
        var partner = await server.CreatePartnerAsync();
        var (a, _) = await SignedInAsync("customer_success");
        var (b, _) = await SignedInAsync("customer_success");
        using var _a = a;
        using var _b = b;

        var (refused, html) = await SendAsync(a, "Request", Form(("clientId", partner.ClientId), ("featureName", "feature_pwv"), ("reason", "Words typed with care")));
        Assert.Equal(HttpStatusCode.BadRequest, refused);
        Assert.Contains(">Words typed with care</textarea>", html, StringComparison.Ordinal);
        Assert.Contains($"<option value=\"{partner.ClientId}\" selected=\"selected\">", html, StringComparison.Ordinal);

        var request = await RequestAsync(a, partner.ClientId);
        var (editRefused, editHtml) = await SendAsync(a, "Edit", Form(("id", $"{request.Id}"), ("version", "1"), ("featureName", OtherGated), ("reason", new string('e', 501))));
        Assert.Equal(HttpStatusCode.BadRequest, editRefused);
        Assert.Contains($"<details open=\"open\">", editHtml, StringComparison.Ordinal);
        Assert.Contains(new string('e', 501) + "</textarea>", editHtml, StringComparison.Ordinal);
        Assert.Contains($"<option value=\"{OtherGated}\" selected=\"selected\">", editHtml, StringComparison.Ordinal);

        var (rejectRefused, rejectHtml) = await DecideAsync(b, "Reject", request, version: 9, note: "Note kept for the next try");
        Assert.Equal(HttpStatusCode.Conflict, rejectRefused);
        Assert.Contains(">Note kept for the next try</textarea>", rejectHtml, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AnEditThatChangesNothing_KeepsTheVersion_AndAStaleEdit_SaysSo()
    {
        var partner = await server.CreatePartnerAsync();
        var (a, _) = await SignedInAsync("customer_success");
        var (b, _) = await SignedInAsync("customer_success");
        using var _a = a;
        using var _b = b;
        var request = await RequestAsync(a, partner.ClientId, reason: "Same words");

        Assert.Equal(HttpStatusCode.Redirect, (await SendAsync(a, "Edit", Form(("id", $"{request.Id}"), ("version", "1"), ("featureName", Gated), ("reason", " Same words ")))).Status);
        Assert.Contains("is unchanged", (await a.GetAsync("/console/grants")).Html, StringComparison.Ordinal);
        Assert.Equal(1, (await FindAsync(partner.ClientId, Gated))!.Version);
        Assert.DoesNotContain(await AuditAsync(partner.ClientId), e => e.Kind == "grant_request.edited");

        Assert.Equal(HttpStatusCode.Redirect, (await SendAsync(a, "Edit", Form(("id", $"{request.Id}"), ("version", "1"), ("featureName", Gated), ("reason", "New words")))).Status);
        var (stale, html) = await SendAsync(a, "Edit", Form(("id", $"{request.Id}"), ("version", "1"), ("featureName", Gated), ("reason", "Older tab's words")));
        Assert.Equal(HttpStatusCode.Conflict, stale);
        Assert.Contains("was changed since this form was opened", html, StringComparison.Ordinal);
        Assert.DoesNotContain("before deciding", html, StringComparison.Ordinal);
        Assert.Equal("New words", (await FindAsync(partner.ClientId, Gated))!.Reason);
    }

    [Fact]
    public async Task RevokingAGrantThePartnerDoesNotHold_SaysSo()
    {
        var partner = await server.CreatePartnerAsync();
        var (a, _) = await SignedInAsync("customer_success");
        using var _a = a;

        Assert.Equal(HttpStatusCode.Redirect, (await SendAsync(a, "Revoke", Form(("clientId", partner.ClientId), ("featureName", Gated)))).Status);
        var page = (await a.GetAsync("/console/grants")).Html;
        Assert.Contains("The partner held no grant of feature_esc: nothing was revoked.", page, StringComparison.Ordinal);
        Assert.DoesNotContain("is revoked", page, StringComparison.Ordinal);
        Assert.DoesNotContain(await AuditAsync(partner.ClientId), e => e.Kind == "entitlement.revoked");
    }

    [Fact]
    public void AgesAndExpiries_ReadForwards()
    {
        const long now = 1_800_000_000_000;
        Assert.Equal("less than a minute ago", DeviceFeatures.Server.OperatorConsole.Pages.GrantsModel.Ago(now - 10_000, now));
        Assert.Equal("5 min ago", DeviceFeatures.Server.OperatorConsole.Pages.GrantsModel.Ago(now - 300_000, now));
        Assert.Equal("2 d 3 h ago", DeviceFeatures.Server.OperatorConsole.Pages.GrantsModel.Ago(now - (51 * 3_600_000L), now));
        Assert.Equal("in 5 min", DeviceFeatures.Server.OperatorConsole.Pages.GrantsModel.Until(now + 300_000, now));
        Assert.Equal("expired", DeviceFeatures.Server.OperatorConsole.Pages.GrantsModel.Until(now - 300_000, now));
        Assert.Equal("expired", DeviceFeatures.Server.OperatorConsole.Pages.GrantsModel.Until(now, now));
    }

    [Fact]
    public async Task CustomerSuccess_RevokesAGrant_Directly_AsTheAdminApiDoes()
    {
        var partner = await server.CreatePartnerAsync();
        using var admin = server.CreateAdminClient();
        (await admin.PutAsync($"/admin/api/partners/{partner.ClientId}/entitlements/{Gated}", null, Ct)).EnsureSuccessStatusCode();
        var (a, name) = await SignedInAsync("customer_success");
        using var _a = a;

        // Holding the grant already: a request for it is refused.
        Assert.Equal(HttpStatusCode.Conflict, (await SendAsync(a, "Request", Form(("clientId", partner.ClientId), ("featureName", Gated), ("reason", "x")))).Status);

        Assert.Equal(HttpStatusCode.Redirect, (await SendAsync(a, "Revoke", Form(("clientId", partner.ClientId), ("featureName", Gated)))).Status);
        Assert.Empty(await GrantsAsync(partner.ClientId));
        var revoked = (await AuditAsync(partner.ClientId)).Single(e => e.Kind == "entitlement.revoked");
        Assert.Equal(("operator:" + name, Gated, true, false), (revoked.Actor, revoked.FeatureName, revoked.OldValue, revoked.NewValue));
    }
}

public sealed class GrantRequestTestsOnSqlite(SqliteServer server) : GrantRequestTests(server), IClassFixture<SqliteServer>;

[NeedsPostgres]
public sealed class GrantRequestTestsOnPostgres(PostgresServer server) : GrantRequestTests(server.OrSkip()), IClassFixture<PostgresServer>;
