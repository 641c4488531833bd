using System.Net;
using System.Net.Http.Json;
using DeviceFeatures.Protocol.Admin;
using DeviceFeatures.Server.Tests.Infrastructure;

namespace DeviceFeatures.Server.Tests.Admin;

public abstract class InventoryApiTests(ServerFactory server)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static async Task<ImportDevicesResponse> ImportAsync(HttpClient admin, params DeviceImportRow?[] rows)
    {
        using var response = await admin.PostAsJsonAsync("/admin/api/devices/import", new ImportDevicesRequest(rows), AdminJsonContext.Default.ImportDevicesRequest, Ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync(AdminJsonContext.Default.ImportDevicesResponse, Ct))!;
    }

    private static async Task<AdminProblem> ProblemAsync(HttpResponseMessage response, HttpStatusCode status, string code)
    {
        Assert.Equal(status, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = (await response.Content.ReadFromJsonAsync(AdminJsonContext.Default.AdminProblem, Ct))!;
        Assert.Equal(code, problem.Code);
        return problem;
    }

    private static async Task<string> NewPartnerAsync(HttpClient admin)
    {
        using var response = await admin.PostAsJsonAsync("/admin/api/partners", new { name = "Inventory partner" }, Ct);
        response.EnsureSuccessStatusCode();
        return (await response.Content.ReadFromJsonAsync(AdminJsonContext.Default.CreatedPartner, Ct))!.ClientId;
    }

    private static string Hex(string mac) => mac.Replace(":", "", StringComparison.Ordinal);

    [Fact]
    public async Task Import_NormalisesEveryMacForm_AndARerunSkipsWhatItImported()
    {
        using var admin = server.CreateAdminClient();
        var clientId = await NewPartnerAsync(admin);
        string[] macs = [ServerFactory.RandomMac(), ServerFactory.RandomMac(), ServerFactory.RandomMac()];
        DeviceImportRow[] rows =
        [
            new(macs[0].ToUpperInvariant(), 17, "EU", "2.1.0", clientId),
            new(macs[1].Replace(':', '-'), 47, "us", null, clientId),
            new(Hex(macs[2]).ToUpperInvariant(), 17, "EU", "2.1.0", null),
        ];

        var first = await ImportAsync(admin, rows);
        Assert.Equal((3, 0, 0, 0), (first.Imported, first.Updated, first.Skipped, first.Refused));
        Assert.Equal(macs, first.Results.Select(r => r.MacAddress));
        Assert.All(first.Results, r => Assert.Equal(DeviceImportOutcomes.Imported, r.Outcome));

        var again = await ImportAsync(admin, rows);
        Assert.Equal((0, 0, 3, 0), (again.Imported, again.Updated, again.Skipped, again.Refused));

        var device = await admin.GetFromJsonAsync($"/admin/api/devices/{Hex(macs[1])}", AdminJsonContext.Default.InventoryDevice, Ct);
        Assert.Equal(macs[1], device!.MacAddress);
        Assert.Equal("US", device.Market);
        Assert.Equal(clientId, device.ClientId);
        Assert.False(device.Linked);
        Assert.Null(device.Userid);
    }

    [Fact]
    public async Task Import_RefusesBadRowsOneByOne_WithTheirCodes_AndImportsTheOthers()
    {
        using var admin = server.CreateAdminClient();
        var clientId = await NewPartnerAsync(admin);
        var known = ServerFactory.RandomMac();
        await ImportAsync(admin, new DeviceImportRow(known, 17, "EU", null, clientId));
        var good = ServerFactory.RandomMac();

        var report = await ImportAsync(admin,
            new DeviceImportRow("00:24:e4:zz:00:01", 17, "EU", null, null),
            new DeviceImportRow("00:24:e4:00:01", 17, "EU", null, null),
            new DeviceImportRow(ServerFactory.RandomMac(), 17, "EU", null, "no-such-partner"),
            new DeviceImportRow(ServerFactory.RandomMac(), 999, "EU", null, null),
            new DeviceImportRow(known, 47, "EU", null, clientId),
            new DeviceImportRow(known, 17, "EU", null, null),
            null,
            new DeviceImportRow(good, 17, "EU", null, clientId));

        Assert.Equal(
            [AdminProblemCodes.InvalidMacAddress, AdminProblemCodes.InvalidMacAddress, AdminProblemCodes.PartnerNotFound,
                AdminProblemCodes.InvalidRequest, AdminProblemCodes.DeviceDiffers, AdminProblemCodes.DeviceDiffers,
                AdminProblemCodes.InvalidRequest, null],
            report.Results.Select(r => r.Code));
        Assert.Equal((1, 7), (report.Imported, report.Refused));
        Assert.Equal(Enumerable.Range(0, 8), report.Results.Select(r => r.Index));
        Assert.Contains("model 17", report.Results[4].Reason);
        Assert.Equal(17, (await admin.GetFromJsonAsync($"/admin/api/devices/{known}", AdminJsonContext.Default.InventoryDevice, Ct))!.Model);
    }

    [Fact]
    public async Task Import_OnlyAFirmwareChange_UpdatesTheDevice_AndIsAudited()
    {
        using var admin = server.CreateAdminClient();
        var clientId = await NewPartnerAsync(admin);
        var mac = ServerFactory.RandomMac();
        await ImportAsync(admin, new DeviceImportRow(mac, 17, "EU", "1.0", clientId));

        var report = await ImportAsync(admin, new DeviceImportRow(mac, 17, "EU", "1.1", clientId));

        Assert.Equal(DeviceImportOutcomes.Updated, report.Results.Single().Outcome);
        Assert.Equal("1.1", (await admin.GetFromJsonAsync($"/admin/api/devices/{mac}", AdminJsonContext.Default.InventoryDevice, Ct))!.Firmware);
        var audit = await admin.GetFromJsonAsync($"/admin/api/audit?client_id={clientId}", AdminJsonContext.Default.AuditPage, Ct);
        Assert.Equal(["partner.created", "device.imported", "device.updated"], audit!.Events.Select(e => e.Kind));
        Assert.Contains("1.0 -> 1.1", audit.Events[^1].Detail);
    }

    [Fact]
    public async Task Import_OfMoreThanAThousandRows_IsInvalid()
    {
        using var admin = server.CreateAdminClient();
        var rows = Enumerable.Range(0, 1001).Select(_ => new DeviceImportRow(ServerFactory.RandomMac(), 17, "EU", null, null)).ToArray();
        using var response = await admin.PostAsJsonAsync("/admin/api/devices/import", new ImportDevicesRequest(rows), AdminJsonContext.Default.ImportDevicesRequest, Ct);
        await ProblemAsync(response, HttpStatusCode.BadRequest, AdminProblemCodes.InvalidRequest);
    }

    [Fact]
    public async Task List_GivesNoNextPage_WhenExactlyALimitOfDevicesIsLeft()
    {
        using var admin = server.CreateAdminClient();
        var clientId = await NewPartnerAsync(admin);
        await ImportAsync(admin, Enumerable.Range(0, 4).Select(_ => new DeviceImportRow(ServerFactory.RandomMac(), 17, "EU", null, clientId)).ToArray());

        var first = await admin.GetFromJsonAsync($"/admin/api/devices?client_id={clientId}&limit=2", AdminJsonContext.Default.InventoryPage, Ct);
        Assert.Equal(2, first!.Devices.Count);
        Assert.Equal(first.Devices[^1].MacAddress, first.NextAfter);
        var second = await admin.GetFromJsonAsync($"/admin/api/devices?client_id={clientId}&limit=2&after={first.NextAfter}", AdminJsonContext.Default.InventoryPage, Ct);
        Assert.Equal((2, null), (second!.Devices.Count, second.NextAfter));
        var whole = await admin.GetFromJsonAsync($"/admin/api/devices?client_id={clientId}&limit=4", AdminJsonContext.Default.InventoryPage, Ct);
        Assert.Equal((4, null), (whole!.Devices.Count, whole.NextAfter));
    }

    [Fact]
    public async Task List_FiltersByPartnerModelAndLink_AndPagesInMacOrder()
    {
        using var admin = server.CreateAdminClient();
        var clientId = await NewPartnerAsync(admin);
        var rows = Enumerable.Range(0, 5).Select(i => new DeviceImportRow(ServerFactory.RandomMac(), i < 3 ? 17 : 47, "EU", null, clientId)).ToArray();
        await ImportAsync(admin, rows);
        var linkedMac = ServerFactory.RandomMac();
        var userId = await CreateUserWithAsync(admin, clientId, linkedMac, 17);

        var all = new List<InventoryDevice>();
        string? after = null;
        do
        {
            var page = await admin.GetFromJsonAsync(
                $"/admin/api/devices?client_id={clientId}&limit=2{(after is null ? "" : $"&after={after}")}", AdminJsonContext.Default.InventoryPage, Ct);
            all.AddRange(page!.Devices);
            after = page.NextAfter;
        }
        while (after is not null);

        Assert.Equal(rows.Select(r => r.MacAddress!).Append(linkedMac).Order(StringComparer.Ordinal), all.Select(d => d.MacAddress));

        var models = await admin.GetFromJsonAsync($"/admin/api/devices?client_id={clientId}&model=47", AdminJsonContext.Default.InventoryPage, Ct);
        Assert.Equal(2, models!.Devices.Count);
        var linked = await admin.GetFromJsonAsync($"/admin/api/devices?client_id={clientId}&linked=true", AdminJsonContext.Default.InventoryPage, Ct);
        Assert.Equal(userId, Assert.Single(linked!.Devices).Userid);
        var unlinked = await admin.GetFromJsonAsync($"/admin/api/devices?client_id={clientId}&linked=false", AdminJsonContext.Default.InventoryPage, Ct);
        Assert.Equal(5, unlinked!.Devices.Count);
    }

    [Theory]
    [InlineData("linked=maybe")]
    [InlineData("model=x")]
    [InlineData("limit=0")]
    [InlineData("limit=1001")]
    public async Task List_WithABadFilter_IsInvalid(string query)
    {
        using var admin = server.CreateAdminClient();
        await ProblemAsync(await admin.GetAsync($"/admin/api/devices?{query}", Ct), HttpStatusCode.BadRequest, AdminProblemCodes.InvalidRequest);
    }

    [Fact]
    public async Task Show_AnUnknownOrInvalidMac_IsAProblemWithItsCode()
    {
        using var admin = server.CreateAdminClient();
        await ProblemAsync(await admin.GetAsync($"/admin/api/devices/{ServerFactory.RandomMac()}", Ct), HttpStatusCode.NotFound, AdminProblemCodes.DeviceNotFound);
        await ProblemAsync(await admin.GetAsync("/admin/api/devices/00-24-e4", Ct), HttpStatusCode.BadRequest, AdminProblemCodes.InvalidMacAddress);
    }

    [Fact]
    public async Task CreateUser_PutsItsDevicesInTheInventory_LinkedAndAssignedToItsPartner()
    {
        using var admin = server.CreateAdminClient();
        var clientId = await NewPartnerAsync(admin);
        var mac = ServerFactory.RandomMac();

        var userId = await CreateUserWithAsync(admin, clientId, mac, 47);

        var device = await admin.GetFromJsonAsync($"/admin/api/devices/{mac}", AdminJsonContext.Default.InventoryDevice, Ct);
        Assert.Equal((clientId, (int?)userId, true, 47), (device!.ClientId, device.Userid, device.Linked, device.Model));
    }

    [Fact]
    public async Task CreateUser_WithADeviceAssignedToAnotherPartner_IsRefused_AndCreatesNothing()
    {
        using var admin = server.CreateAdminClient();
        var owner = await NewPartnerAsync(admin);
        var other = await NewPartnerAsync(admin);
        var mac = ServerFactory.RandomMac();
        var free = ServerFactory.RandomMac();
        await ImportAsync(admin, new DeviceImportRow(mac, 17, "EU", null, owner));

        var body = new { client_id = other, devices = new[] { new { mac_address = free, model = 17, market = "EU" }, new { mac_address = mac, model = 17, market = "EU" } } };
        await ProblemAsync(await admin.PostAsJsonAsync("/admin/api/users", body, Ct), HttpStatusCode.Conflict, AdminProblemCodes.DeviceOfOtherPartner);
        await ProblemAsync(await admin.GetAsync($"/admin/api/devices/{free}", Ct), HttpStatusCode.NotFound, AdminProblemCodes.DeviceNotFound);
    }

    [Fact]
    public async Task Assign_AnUnassignedDevice_AssignsIt_AndIsAudited()
    {
        using var admin = server.CreateAdminClient();
        var clientId = await NewPartnerAsync(admin);
        var mac = ServerFactory.RandomMac();
        await ImportAsync(admin, new DeviceImportRow(mac, 17, "EU", null, null));

        using var response = await admin.PostAsJsonAsync($"/admin/api/devices/{mac.ToUpperInvariant()}/assign", new AssignDeviceRequest(clientId), AdminJsonContext.Default.AssignDeviceRequest, Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(clientId, (await response.Content.ReadFromJsonAsync(AdminJsonContext.Default.InventoryDevice, Ct))!.ClientId);
        var audit = await admin.GetFromJsonAsync($"/admin/api/audit?client_id={clientId}", AdminJsonContext.Default.AuditPage, Ct);
        Assert.Equal("device.assigned", audit!.Events[^1].Kind);
        Assert.Contains(mac, audit.Events[^1].Detail);
    }

    [Fact]
    public async Task Assign_ADeviceLinkedToAnotherPartnersUser_IsRefused()
    {
        using var admin = server.CreateAdminClient();
        var owner = await NewPartnerAsync(admin);
        var other = await NewPartnerAsync(admin);
        var mac = ServerFactory.RandomMac();
        await CreateUserWithAsync(admin, owner, mac, 17);

        using var response = await admin.PostAsJsonAsync($"/admin/api/devices/{mac}/assign", new AssignDeviceRequest(other), AdminJsonContext.Default.AssignDeviceRequest, Ct);

        await ProblemAsync(response, HttpStatusCode.Conflict, AdminProblemCodes.DeviceOfOtherPartner);
        Assert.Equal(owner, (await admin.GetFromJsonAsync($"/admin/api/devices/{mac}", AdminJsonContext.Default.InventoryDevice, Ct))!.ClientId);
    }

    [Fact]
    public async Task Assign_ToAnUnknownPartner_OrAnUnknownDevice_IsNotFound()
    {
        using var admin = server.CreateAdminClient();
        var mac = ServerFactory.RandomMac();
        await ImportAsync(admin, new DeviceImportRow(mac, 17, "EU", null, null));
        await ProblemAsync(await admin.PostAsJsonAsync($"/admin/api/devices/{mac}/assign", new { client_id = "nobody" }, Ct),
            HttpStatusCode.NotFound, AdminProblemCodes.PartnerNotFound);
        await ProblemAsync(await admin.PostAsJsonAsync($"/admin/api/devices/{ServerFactory.RandomMac()}/assign", new { client_id = "nobody" }, Ct),
            HttpStatusCode.NotFound, AdminProblemCodes.DeviceNotFound);
    }

    private static async Task<int> CreateUserWithAsync(HttpClient admin, string clientId, string mac, int model)
    {
        using var response = await admin.PostAsJsonAsync("/admin/api/users",
            new { client_id = clientId, devices = new[] { new { mac_address = mac, model, market = "EU" } } }, Ct);
        response.EnsureSuccessStatusCode();
        return (await response.Content.ReadFromJsonAsync(AdminJsonContext.Default.CreatedUser, Ct))!.Userid;
    }
}

public sealed class InventoryApiTestsOnSqlite(SqliteServer server) : InventoryApiTests(server), IClassFixture<SqliteServer>;

[NeedsPostgres]
public sealed class InventoryApiTestsOnPostgres(PostgresServer server) : InventoryApiTests(server.OrSkip()), IClassFixture<PostgresServer>;
