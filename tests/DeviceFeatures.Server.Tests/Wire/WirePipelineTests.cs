using System.Reflection;
using DeviceFeatures.Server.Signature;
using DeviceFeatures.Server.Tests.Infrastructure;

namespace DeviceFeatures.Server.Tests.Wire;

public sealed class WirePipelineTests
{
    [Fact]
    public void SignedSession_CanOnlyBeHadBySpendingTheNonce()
    {
        const BindingFlags All = BindingFlags.Instance | BindingFlags.Static | BindingFlags.Public | BindingFlags.NonPublic;
        Assert.All(typeof(SignedSession).GetConstructors(All), c => Assert.True(c.IsPrivate, c.ToString()));

        var factories = typeof(SignedSession).GetMethods(BindingFlags.Static | BindingFlags.Public | BindingFlags.NonPublic)
            .Where(m => m.ReturnType.ToString().Contains(nameof(SignedSession), StringComparison.Ordinal))
            .Select(m => m.Name);
        Assert.Equal([nameof(SignedSession.TrySpendNonceAsync)], factories);
    }

    [Fact]
    public async Task User_AnActionOutsideTheTable_IsNotImplemented()
    {
        using var server = new SqliteServer();
        var partner = await server.CreatePartnerAsync();
        var answer = await partner.PostFormAsync("/v2/user", new() { ["action"] = "addtorpm" });
        Assert.Equal(2554, answer.Status);
        Assert.Contains("'addtorpm' is not an action of /v2/user", answer.Error);
    }
}
