using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using DeviceFeatures.Protocol.Signing;
using DeviceFeatures.Server.Tests.Infrastructure;

namespace DeviceFeatures.Server.Tests.Demo;

/// <summary><c>POST /admin/api/dev/sign</c>: the Development server signs for the .http file, and no other server does.</summary>
public sealed class DevelopmentSigningTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    // No demo data: its walkthrough goes to the console, which StartupTests captures while it runs.
    private static ServerFactory NewServer(string environment) =>
        new(new SqliteTestDatabase(), ServerFactory.NewClock(), ownsDatabase: true) { Environment = environment, Settings = { ["Demo:Enabled"] = "false" } };

    [Fact]
    public async Task InDevelopment_SignsWhatTheWireApiChecks()
    {
        using var server = NewServer("Development");
        var partner = await server.CreatePartnerAsync();
        using var admin = server.CreateAdminClient();

        var response = await admin.PostAsJsonAsync("/admin/api/dev/sign", new { client_id = partner.ClientId, action = "getnonce", timestamp = partner.Now }, Ct);
        response.EnsureSuccessStatusCode();
        var signed = await response.Content.ReadFromJsonAsync<JsonElement>(Ct);
        Assert.Equal(WithingsSignature.SignNonceRequest(partner.ClientSecret, partner.ClientId, partner.Now), signed.GetProperty("signature").GetString());
        Assert.Equal($"getnonce,{partner.ClientId},{partner.Now}", signed.GetProperty("signed_text").GetString());
        Assert.Equal(partner.Now, signed.GetProperty("timestamp").GetInt64());

        // The nonce it was used for is accepted, and so is a call signed the same way.
        var nonce = await partner.GetNonceAsync();
        var call = await admin.PostAsJsonAsync("/admin/api/dev/sign", new { client_id = partner.ClientId, action = "enablefeature", nonce }, Ct);
        var signature = (await call.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("signature").GetString();
        Assert.Equal(WithingsSignature.SignCall(partner.ClientSecret, "enablefeature", partner.ClientId, nonce), signature);
        var parameters = new Dictionary<string, string>(TestPartner.Feature(partner.UserId, 17, "feature_pacemaker"))
        {
            ["action"] = "enablefeature", ["client_id"] = partner.ClientId, ["nonce"] = nonce, ["signature"] = signature!,
        };
        Assert.Equal(0, (await partner.PostFormAsync("/v2/device", parameters)).Status);
    }

    [Theory]
    [InlineData("""{"action":"getnonce","timestamp":1795510800}""", HttpStatusCode.BadRequest, "invalid_request")]
    [InlineData("""{"client_id":"CLIENT","action":"getnonce"}""", HttpStatusCode.BadRequest, "invalid_request")]
    [InlineData("""{"client_id":"CLIENT","action":"getnonce","timestamp":1795510800,"nonce":"ab"}""", HttpStatusCode.BadRequest, "invalid_request")]
    [InlineData("""{"client_id":"CLIENT","action":"enablefeature","timestamp":1795510800}""", HttpStatusCode.BadRequest, "invalid_request")]
    [InlineData("""{"client_id":"nobody","action":"enablefeature","nonce":"ab"}""", HttpStatusCode.NotFound, "partner_not_found")]
    public async Task InDevelopment_RefusesWhatItCannotSign(string body, HttpStatusCode status, string code)
    {
        using var server = NewServer("Development");
        var partner = await server.CreatePartnerAsync();
        using var admin = server.CreateAdminClient();

        var response = await admin.PostAsync("/admin/api/dev/sign",
            new StringContent(body.Replace("CLIENT", partner.ClientId, StringComparison.Ordinal), System.Text.Encoding.UTF8, "application/json"), Ct);

        Assert.Equal(status, response.StatusCode);
        Assert.Equal(code, (await response.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("code").GetString());
    }

    [Fact]
    public async Task InDevelopment_NeedsTheAdminKey()
    {
        using var server = NewServer("Development");
        using var anonymous = server.CreateClient();

        var response = await anonymous.PostAsJsonAsync("/admin/api/dev/sign", new { client_id = "demo-partner", action = "getnonce", timestamp = 1 }, Ct);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Theory]
    [InlineData("Production")]
    [InlineData("Testing")]
    public async Task OutsideDevelopment_DoesNotExist(string environment)
    {
        using var server = NewServer(environment);
        var partner = await server.CreatePartnerAsync();
        using var admin = server.CreateAdminClient();

        var response = await admin.PostAsJsonAsync("/admin/api/dev/sign", new { client_id = partner.ClientId, action = "getnonce", timestamp = partner.Now }, Ct);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }
}
