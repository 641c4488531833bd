using DeviceFeatures.Protocol.Status;

namespace DeviceFeatures.Protocol.Tests.Status;

public sealed class WireStatusTests
{
    [Theory]
    [InlineData(0, StatusFamily.Success)]
    [InlineData(100, StatusFamily.AuthenticationFailed)]
    [InlineData(102, StatusFamily.AuthenticationFailed)]
    [InlineData(200, StatusFamily.AuthenticationFailed)]
    [InlineData(401, StatusFamily.AuthenticationFailed)]
    [InlineData(201, StatusFamily.InvalidParams)]
    [InlineData(247, StatusFamily.InvalidParams)]
    [InlineData(503, StatusFamily.InvalidParams)]
    [InlineData(3018, StatusFamily.InvalidParams)]
    [InlineData(214, StatusFamily.Unauthorized)]
    [InlineData(2553, StatusFamily.Unauthorized)]
    [InlineData(2554, StatusFamily.NotImplemented)]
    [InlineData(522, StatusFamily.Timeout)]
    [InlineData(524, StatusFamily.BadState)]
    [InlineData(601, StatusFamily.TooManyRequests)]
    [InlineData(215, StatusFamily.ErrorOccurred)]
    [InlineData(2556, StatusFamily.ErrorOccurred)]
    [InlineData(10000, StatusFamily.ErrorOccurred)]
    [InlineData(1, StatusFamily.Unknown)]
    [InlineData(99999, StatusFamily.Unknown)]
    public void FamilyOf_PublishedCodes_AreClassified(int status, StatusFamily family) =>
        Assert.Equal(family, WireStatus.FamilyOf(status));

    [Fact]
    public void Answered_EveryCode_SitsInItsPublishedFamily()
    {
        Assert.NotEmpty(WireStatus.Answered);
        foreach (var row in WireStatus.Answered)
        {
            Assert.Equal(row.Family, WireStatus.FamilyOf(row.Code));
        }

        Assert.Equal(WireStatus.Answered.Count, WireStatus.Answered.Select(r => r.Code).Distinct().Count());
    }
}
