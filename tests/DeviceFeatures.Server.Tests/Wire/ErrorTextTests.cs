using System.Text;
using DeviceFeatures.Server.Tests.Infrastructure;

namespace DeviceFeatures.Server.Tests.Wire;

/// <summary>
/// Error texts stay short and true: client input is echoed cut to a bounded length, and a lifetime under a minute
/// is given in seconds.
/// </summary>
public abstract class ErrorTextTests : OwnServerTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task ExpiredNonce_WithALifetimeOfTwoSeconds_SaysTwoSeconds()
    {
        using var server = NewServer();
        server.Settings["Signature:NonceLifetimeSeconds"] = "2";
        var partner = await server.CreatePartnerAsync();
        var nonce = await partner.GetNonceAsync();

        server.Time.Advance(TimeSpan.FromSeconds(3));
        var expired = await partner.PostFormAsync("/v2/device",
            await partner.SignedAsync("enablefeature", TestPartner.Feature(partner.UserId, 17, "feature_pwv"), nonce));

        Assert.Equal(401, expired.Status);
        Assert.Contains("nonces are valid for 2 seconds", expired.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("0 minutes", expired.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ExpiredNonce_WithALifetimeOfNinetySeconds_SaysNinetySeconds()
    {
        using var server = NewServer();
        server.Settings["Signature:NonceLifetimeSeconds"] = "90";
        var partner = await server.CreatePartnerAsync();
        var nonce = await partner.GetNonceAsync();

        server.Time.Advance(TimeSpan.FromSeconds(91));
        var expired = await partner.PostFormAsync("/v2/device",
            await partner.SignedAsync("enablefeature", TestPartner.Feature(partner.UserId, 17, "feature_pwv"), nonce));

        Assert.Contains("nonces are valid for 90 seconds", expired.Error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("application/x-www-form-urlencoded")]
    [InlineData("query")]
    public async Task AVeryLongParameterName_IsEchoedCutShort(string where)
    {
        using var server = NewServer();
        var partner = await server.CreatePartnerAsync();
        var name = new string('n', 12_288);

        // A name the parser reads whole, followed by a value it cannot decode: the refusal names the parameter.
        using var response = where == "query"
            ? await partner.Http.PostAsync($"/v2/device?{name}=%zz", null, Ct)
            : await partner.Http.PostAsync("/v2/device", new StringContent($"{name}=%zz", Encoding.ASCII, where), Ct);
        var answer = await TestPartner.ReadAsync(response);

        Assert.Equal(503, answer.Status);
        Assert.DoesNotContain(new string('n', 65), answer.Error, StringComparison.Ordinal);
        Assert.InRange(answer.Error!.Length, 1, 300);
    }
}

public sealed class ErrorTextTestsOnSqlite : ErrorTextTests
{
    protected override TestDatabase NewDatabase() => new SqliteTestDatabase();
}

[NeedsPostgres]
public sealed class ErrorTextTestsOnPostgres : ErrorTextTests
{
    public ErrorTextTestsOnPostgres() => PostgresTestDatabase.SkipUnlessConfigured();

    protected override TestDatabase NewDatabase() => new PostgresTestDatabase();
}
