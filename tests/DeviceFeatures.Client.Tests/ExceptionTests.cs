using System.Text.Json;
using DeviceFeatures.Protocol.Status;

namespace DeviceFeatures.Client.Tests;

public sealed class ExceptionTests
{
    [Fact]
    public void EveryExceptionOfTheSdk_DerivesFromTheOneAbstractRoot()
    {
        Assert.True(typeof(DeviceFeaturesException).IsAbstract);
        var exceptions = typeof(DeviceFeaturesException).Assembly.GetExportedTypes().Where(t => t.IsSubclassOf(typeof(Exception))).ToArray();
        Assert.Contains(typeof(DeviceFeaturesTransportException), exceptions);
        Assert.Contains(typeof(Admin.DeviceFeaturesAdminException), exceptions);
        Assert.All(exceptions, t => Assert.True(t == typeof(DeviceFeaturesException) || t.IsSubclassOf(typeof(DeviceFeaturesException)), t.Name));
    }

    [Theory]
    [InlineData(100, StatusFamily.AuthenticationFailed)]
    [InlineData(247, StatusFamily.InvalidParams)]
    [InlineData(2553, StatusFamily.Unauthorized)]
    [InlineData(601, StatusFamily.TooManyRequests)]
    [InlineData(99999, StatusFamily.Unknown)]
    public void RefusalFamilies_AreWithingsRefusals_CarryingTheRawStatusAndError(int status, StatusFamily family)
    {
        DeviceFeaturesException root = WithingsRefusalException.FromAnswer(status, "refused", default(JsonElement));
        var refusal = Assert.IsAssignableFrom<WithingsRefusalException>(root);
        Assert.Equal(status, refusal.Status);
        Assert.Equal("refused", refusal.Error);
        Assert.Equal(family, refusal.Family);
    }
}
