using System.Globalization;
using System.Net;
using DeviceFeatures.Protocol.Admin;
using DeviceFeatures.Protocol.Signing;
using DeviceFeatures.Server.Tests.Infrastructure;

namespace DeviceFeatures.Server.Tests.Emulator;

/// <summary>The request journal: bounded per partner, redacted, filtered, and explaining refused signatures.</summary>
public abstract class JournalTests : OwnServerTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    // The emulator on: refused signatures are explained only there.
    private ServerFactory JournalServer(int size)
    {
        var server = NewServer().Enabled();
        server.Settings["Emulator:JournalSize"] = size.ToString(CultureInfo.InvariantCulture);
        return server;
    }

    [Fact]
    public async Task UnsetSize_Is200WithTheEmulator_AndOffWithout_AnExplicitSizeWinsEverywhere()
    {
        using (var on = NewServer().Enabled())
        {
            Assert.Equal(200, (await on.JournalAsync()).Size);
        }

        using (var off = NewServer())
        {
            var partner = await off.CreatePartnerAsync();
            await partner.GetNonceAnswerAsync();
            var page = await off.JournalAsync();
            Assert.Equal(0, page.Size);
            Assert.Empty(page.Entries);
        }

        // Kept when asked for, but a refused signature is not explained: that signs with the partner's secret.
        using var server = NewServer();
        server.Settings["Emulator:JournalSize"] = "10";
        var known = await server.CreatePartnerAsync();
        var nonce = await known.GetNonceAsync();
        Assert.Equal(101, (await known.PostFormAsync("/v2/device", new(TestPartner.Feature(known.UserId, 17, "feature_pwv"))
        {
            ["action"] = "enablefeature",
            ["client_id"] = known.ClientId,
            ["nonce"] = nonce,
            ["signature"] = WithingsSignature.Sign(known.ClientSecret, known.ClientId, "enablefeature", nonce),
        })).Status);
        var entry = Assert.Single((await server.JournalAsync("?status=101")).Entries);
        Assert.Equal(10, (await server.JournalAsync()).Size);
        Assert.Null(entry.SignatureExplanation);
    }

    [Fact]
    public async Task ClaimingAPartnersClientId_WithoutItsSignature_CannotPushItsEntriesOut()
    {
        using var server = JournalServer(3);
        var partner = await server.CreatePartnerAsync();
        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(0, (await partner.GetNonceAnswerAsync()).Status);
        }

        var impostor = new TestPartner(server, partner.ClientId, "not-its-secret", 0);
        for (var i = 0; i < 5; i++)
        {
            Assert.NotEqual(0, (await impostor.GetNonceAnswerAsync()).Status);
        }

        // Its own ring still holds its three; the claims went to the shared ring, which keeps its last three.
        var entries = (await server.JournalAsync($"?client_id={partner.ClientId}")).Entries;
        Assert.Equal(3, entries.Count(e => e.Status == 0));
        Assert.Equal(3, entries.Count(e => e.Status != 0));
    }

    [Fact]
    public async Task LongValues_AreCut_AndMarked()
    {
        using var server = JournalServer(10);
        var partner = await server.CreatePartnerAsync();
        var signed = await partner.SignedAsync("enablefeature", TestPartner.Feature(partner.UserId, 17, "feature_pwv"));
        signed["note"] = new string('x', 1000);
        await partner.PostFormAsync("/v2/device", signed);

        var entry = Assert.Single((await server.JournalAsync("?action=enablefeature")).Entries);
        Assert.Equal(new string('x', 256) + "...(truncated)", entry.Parameters["note"]);
        Assert.Equal("feature_pwv", entry.Parameters["feature_name"]);
    }

    [Fact]
    public async Task Journal_KeepsTheLastNRequestsOfAPartner()
    {
        using var server = JournalServer(5);
        var partner = await server.CreatePartnerAsync();
        for (var i = 0; i < 15; i++)
        {
            await partner.GetNonceAnswerAsync();
        }

        var page = await server.JournalAsync($"?client_id={partner.ClientId}");
        Assert.Equal(5, page.Size);
        Assert.Equal(5, page.Entries.Count);
        Assert.All(page.Entries, e => Assert.Equal(0, e.Status));
        Assert.Equal(page.Entries.Select(e => e.Sequence).Order(), page.Entries.Select(e => e.Sequence));
        Assert.Equal(page.Entries[^1].Sequence, page.NextAfter);

        // What follows 'after' is only what came since.
        await partner.GetNonceAnswerAsync();
        var next = await server.JournalAsync($"?client_id={partner.ClientId}&after={page.NextAfter}");
        Assert.Equal(page.NextAfter + 1, Assert.Single(next.Entries).Sequence);
    }

    [Fact]
    public async Task JournalSizeZero_KeepsNothing()
    {
        using var server = JournalServer(0);
        var partner = await server.CreatePartnerAsync();
        await partner.EnableAsync("feature_pwv");

        var page = await server.JournalAsync();
        Assert.Equal(0, page.Size);
        Assert.Empty(page.Entries);
    }

    [Fact]
    public async Task Journal_RedactsSignaturesNoncesSecretsAndTokens()
    {
        using var server = JournalServer(50);
        var partner = await server.CreatePartnerAsync();
        var signed = await partner.SignedAsync("enablefeature", TestPartner.Feature(partner.UserId, 17, "feature_pwv"));
        signed["api_secret"] = "value-of-a-secret-parameter";
        signed["my_token"] = "value-of-a-token-parameter";
        signed["client_secret"] = partner.ClientSecret;
        Assert.Equal(0, (await partner.PostFormAsync("/v2/device", signed)).Status);

        var text = await server.JournalTextAsync();
        Assert.DoesNotContain(signed["nonce"], text, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain(signed["signature"], text, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain(partner.ClientSecret, text, StringComparison.Ordinal);
        Assert.DoesNotContain("value-of-a-", text, StringComparison.Ordinal);

        var entry = Assert.Single((await server.JournalAsync("?action=enablefeature")).Entries);
        Assert.Equal("***", entry.Parameters["signature"]);
        Assert.Equal("***", entry.Parameters["nonce"]);
        Assert.Equal("***", entry.Parameters["client_secret"]);
        Assert.Equal("***", entry.Parameters["api_secret"]);
        Assert.Equal("***", entry.Parameters["my_token"]);
        Assert.Equal("feature_pwv", entry.Parameters["feature_name"]);
        Assert.Equal(partner.ClientId, entry.ClientId);
        Assert.Equal("device", entry.Service);
        Assert.Equal(200, entry.HttpStatus);
        Assert.False(entry.Injected);
    }

    [Fact]
    public async Task Journal_RedactsWhateverTheCaseOfTheName_AndRecoveryCodes()
    {
        using var server = JournalServer(50);
        var partner = await server.CreatePartnerAsync();
        var nonce = await partner.GetNonceAsync();
        Assert.NotEqual(0, (await partner.PostFormAsync("/v2/device", new()
        {
            ["action"] = "enablefeature",
            ["client_id"] = partner.ClientId,
            ["NONCE"] = nonce,
            ["Signature"] = "value-of-a-signature",
            ["recovery_code"] = "value-of-a-recovery-code",
            ["Code"] = "value-of-a-code",
            ["icdcodeids"] = "I10",
        })).Status);

        var text = await server.JournalTextAsync();
        Assert.DoesNotContain(nonce, text, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("value-of-a-", text, StringComparison.Ordinal);
        var entry = Assert.Single((await server.JournalAsync("?action=enablefeature")).Entries);
        Assert.Equal("***", entry.Parameters["NONCE"]);
        Assert.Equal("***", entry.Parameters["Signature"]);
        Assert.Equal("***", entry.Parameters["recovery_code"]);
        Assert.Equal("***", entry.Parameters["Code"]);
        Assert.Equal("I10", entry.Parameters["icdcodeids"]);
    }

    [Fact]
    public async Task Journal_FiltersByPartnerActionStatusAndTime_AndClears()
    {
        using var server = JournalServer(50);
        var partner = await server.CreatePartnerAsync();
        var other = await server.CreatePartnerAsync();
        await partner.EnableAsync("feature_pwv");
        await partner.EnableAsync("feature_time_travel");
        server.Time.Advance(TimeSpan.FromMinutes(1));
        var later = server.Time.GetUtcNow();
        await other.EnableAsync("feature_pwv");

        var mine = (await server.JournalAsync($"?client_id={partner.ClientId}")).Entries;
        Assert.Equal(4, mine.Count);
        Assert.All(mine, e => Assert.Equal(partner.ClientId, e.ClientId));
        Assert.Equal(2, (await server.JournalAsync($"?client_id={partner.ClientId}&action=enablefeature")).Entries.Count);
        Assert.Equal(504, Assert.Single((await server.JournalAsync("?status=504")).Entries).Status);
        Assert.All((await server.JournalAsync($"?since={Uri.EscapeDataString(later.ToString("O", CultureInfo.InvariantCulture))}")).Entries,
            e => Assert.Equal(other.ClientId, e.ClientId));
        Assert.Single((await server.JournalAsync("?limit=1")).Entries);

        using var admin = server.CreateAdminClient();
        await EmulatorAdmin.ProblemAsync(await admin.GetAsync("/admin/api/emulator/journal?limit=0", Ct), HttpStatusCode.BadRequest, AdminProblemCodes.InvalidRequest);
        Assert.Equal(HttpStatusCode.NoContent, (await admin.DeleteAsync($"/admin/api/emulator/journal?client_id={partner.ClientId}", Ct)).StatusCode);
        Assert.Empty((await server.JournalAsync($"?client_id={partner.ClientId}")).Entries);
        Assert.NotEmpty((await server.JournalAsync($"?client_id={other.ClientId}")).Entries);
        Assert.Equal(HttpStatusCode.NoContent, (await admin.DeleteAsync("/admin/api/emulator/journal", Ct)).StatusCode);
        Assert.Empty((await server.JournalAsync()).Entries);
    }

    [Fact]
    public async Task UnknownClientIds_ShareOneRing()
    {
        using var server = JournalServer(3);
        var partner = await server.CreatePartnerAsync();
        var stranger = new TestPartner(server, "no-such-client", "whatever", 0);
        for (var i = 0; i < 5; i++)
        {
            Assert.Equal(100, (await stranger.GetNonceAnswerAsync()).Status);
        }

        await partner.GetNonceAnswerAsync();
        var entries = (await server.JournalAsync()).Entries;
        Assert.Equal(3, entries.Count(e => e.ClientId == "no-such-client"));
        Assert.Single(entries, e => e.ClientId == partner.ClientId);
    }

    public static TheoryData<string> Mistakes =>
    [
        SignatureMistakes.AllParametersSigned,
        SignatureMistakes.TimestampInsteadOfNonce,
        SignatureMistakes.WrongOrder,
        SignatureMistakes.UpperCaseHex,
        SignatureMistakes.TrailingNewline,
        SignatureMistakes.WrongSecretOrUnknown,
    ];

    [Theory]
    [MemberData(nameof(Mistakes))]
    public async Task RefusedSignature_IsExplained_NamingWhatDiffers(string mistake)
    {
        using var server = JournalServer(50);
        var partner = await server.CreatePartnerAsync();
        var nonce = await partner.GetNonceAsync();
        var timestamp = partner.Now.ToString(CultureInfo.InvariantCulture);
        var secret = partner.ClientSecret;
        var parameters = new Dictionary<string, string>(TestPartner.Feature(partner.UserId, 17, "feature_pwv"))
        {
            ["action"] = "enablefeature",
            ["client_id"] = partner.ClientId,
            ["nonce"] = nonce,
        };
        string[] differing;
        switch (mistake)
        {
            case SignatureMistakes.AllParametersSigned:
                parameters["signature"] = WithingsSignature.Sign(secret, parameters);
                differing = ["feature_name", "model", "userid"];
                break;
            case SignatureMistakes.TimestampInsteadOfNonce:
                parameters["timestamp"] = timestamp;
                parameters["signature"] = WithingsSignature.Sign(secret, "enablefeature", partner.ClientId, timestamp);
                differing = ["nonce"];
                break;
            case SignatureMistakes.WrongOrder:
                parameters["signature"] = WithingsSignature.Sign(secret, partner.ClientId, "enablefeature", nonce);
                differing = ["action", "client_id"];
                break;
            case SignatureMistakes.UpperCaseHex:
                parameters["signature"] = WithingsSignature.Sign(secret, "enablefeature", partner.ClientId, nonce.ToUpperInvariant());
                differing = ["nonce"];
                break;
            case SignatureMistakes.TrailingNewline:
                parameters["signature"] = WithingsSignature.Sign(secret, "enablefeature", partner.ClientId, nonce + "\n");
                differing = ["nonce"];
                break;
            default:
                parameters["signature"] = WithingsSignature.Sign("not-the-secret", "enablefeature", partner.ClientId, nonce);
                differing = [];
                break;
        }

        Assert.Equal(101, (await partner.PostFormAsync("/v2/device", parameters)).Status);

        var entry = Assert.Single((await server.JournalAsync("?status=101")).Entries);
        var explanation = entry.SignatureExplanation!;
        Assert.Equal($"enablefeature,{partner.ClientId},{nonce}", explanation.ExpectedString);
        Assert.Equal(mistake, explanation.Mistake);
        Assert.Equal(differing, explanation.Differing);
        Assert.Equal("***", entry.Parameters["signature"]);
    }

    [Fact]
    public async Task RefusedNonceRequest_IsExplainedOverItsTimestamp()
    {
        using var server = JournalServer(50);
        var partner = await server.CreatePartnerAsync();
        var timestamp = partner.Now.ToString(CultureInfo.InvariantCulture);
        Assert.Equal(101, (await partner.PostFormAsync("/v2/signature", new()
        {
            ["action"] = "getnonce",
            ["client_id"] = partner.ClientId,
            ["timestamp"] = timestamp,
            ["signature"] = WithingsSignature.Sign(partner.ClientSecret, "getnonce", partner.ClientId, timestamp + "\r\n"),
        })).Status);

        var explanation = Assert.Single((await server.JournalAsync("?status=101")).Entries).SignatureExplanation!;
        Assert.Equal($"getnonce,{partner.ClientId},{timestamp}", explanation.ExpectedString);
        Assert.Equal(SignatureMistakes.TrailingNewline, explanation.Mistake);
        Assert.Equal(["timestamp"], explanation.Differing);
    }

    [Fact]
    public async Task Explanation_OfAllParametersSigned_RedactsTheSecretValuesItSigned()
    {
        using var server = JournalServer(50);
        var partner = await server.CreatePartnerAsync();
        var nonce = await partner.GetNonceAsync();
        var parameters = new Dictionary<string, string>
        {
            ["action"] = "requesttoken",
            ["client_id"] = partner.ClientId,
            ["nonce"] = nonce,
            ["grant_type"] = "refresh_token",
            ["refresh_token"] = "value-of-the-refresh-token",
        };
        parameters["signature"] = WithingsSignature.Sign(partner.ClientSecret, parameters);
        Assert.Equal(101, (await partner.PostFormAsync("/v2/oauth2", parameters)).Status);

        var explanation = Assert.Single((await server.JournalAsync("?status=101")).Entries).SignatureExplanation!;
        Assert.Equal(SignatureMistakes.AllParametersSigned, explanation.Mistake);
        Assert.Equal($"requesttoken,{partner.ClientId},refresh_token,{nonce},***", explanation.SignedString);
        var text = await server.JournalTextAsync();
        Assert.DoesNotContain("value-of-the-refresh-token", text, StringComparison.Ordinal);
        Assert.DoesNotContain(partner.ClientSecret, text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Explanation_NeverShowsTheExpectedSignature()
    {
        using var server = JournalServer(50);
        var partner = await server.CreatePartnerAsync();
        var nonce = await partner.GetNonceAsync();
        var expected = WithingsSignature.Sign(partner.ClientSecret, "enablefeature", partner.ClientId, nonce);
        var parameters = new Dictionary<string, string>(TestPartner.Feature(partner.UserId, 17, "feature_pwv"))
        {
            ["action"] = "enablefeature",
            ["client_id"] = partner.ClientId,
            ["nonce"] = nonce,
            ["signature"] = WithingsSignature.Sign(partner.ClientSecret, partner.ClientId, nonce, "enablefeature"),
        };
        Assert.Equal(101, (await partner.PostFormAsync("/v2/device", parameters)).Status);

        var text = await server.JournalTextAsync();
        Assert.Contains("signature_explanation", text, StringComparison.Ordinal);
        Assert.DoesNotContain(expected, text, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain(parameters["signature"], text, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain(partner.ClientSecret, text, StringComparison.Ordinal);
    }
}

public sealed class JournalTestsOnSqlite : JournalTests
{
    protected override TestDatabase NewDatabase() => new SqliteTestDatabase();
}

[NeedsPostgres]
public sealed class JournalTestsOnPostgres : JournalTests
{
    public JournalTestsOnPostgres() => PostgresTestDatabase.SkipUnlessConfigured();

    protected override TestDatabase NewDatabase() => new PostgresTestDatabase();
}
