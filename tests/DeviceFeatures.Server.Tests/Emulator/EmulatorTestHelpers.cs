using System.Net;
using System.Net.Http.Json;
using DeviceFeatures.Protocol.Admin;
using DeviceFeatures.Server.Tests.Infrastructure;

namespace DeviceFeatures.Server.Tests.Emulator;

/// <summary>The admin calls of the emulator's tests: fault rules and the journal, read with the shared contracts.</summary>
internal static class EmulatorAdmin
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public static ServerFactory Enabled(this ServerFactory server)
    {
        server.Settings["Emulator:Enabled"] = "true";
        return server;
    }

    public static async Task<FaultRule> AddFaultAsync(this ServerFactory server, FaultRuleRequest rule)
    {
        using var admin = server.CreateAdminClient();
        using var response = await admin.PostAsJsonAsync("/admin/api/emulator/faults", rule, AdminJsonContext.Default.FaultRuleRequest, Ct);
        Assert.True(response.StatusCode == HttpStatusCode.Created, await response.Content.ReadAsStringAsync(Ct));
        return (await response.Content.ReadFromJsonAsync(AdminJsonContext.Default.FaultRule, Ct))!;
    }

    public static async Task<IReadOnlyList<FaultRule>> ListFaultsAsync(this ServerFactory server)
    {
        using var admin = server.CreateAdminClient();
        return (await admin.GetFromJsonAsync("/admin/api/emulator/faults", AdminJsonContext.Default.FaultRuleList, Ct))!.Faults;
    }

    public static async Task ClearFaultsAsync(this ServerFactory server)
    {
        using var admin = server.CreateAdminClient();
        using var response = await admin.DeleteAsync("/admin/api/emulator/faults", Ct);
        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
    }

    public static async Task<string> JournalTextAsync(this ServerFactory server, string query = "")
    {
        using var admin = server.CreateAdminClient();
        return await admin.GetStringAsync("/admin/api/emulator/journal" + query, Ct);
    }

    public static async Task<JournalPage> JournalAsync(this ServerFactory server, string query = "")
    {
        using var admin = server.CreateAdminClient();
        return (await admin.GetFromJsonAsync("/admin/api/emulator/journal" + query, AdminJsonContext.Default.JournalPage, Ct))!;
    }

    public static async Task<AdminProblem> ProblemAsync(HttpResponseMessage response, HttpStatusCode status, string code)
    {
        Assert.Equal(status, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = (await response.Content.ReadFromJsonAsync(AdminJsonContext.Default.AdminProblem, Ct))!;
        Assert.Equal(code, problem.Code);
        return problem;
    }
}
