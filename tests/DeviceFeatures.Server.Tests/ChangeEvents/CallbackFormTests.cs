using DeviceFeatures.Protocol.Callbacks;
using DeviceFeatures.Server.ChangeEvents;

namespace DeviceFeatures.Server.Tests.ChangeEvents;

/// <summary>The worked example of docs/protocol.md, "Change events": the server writes exactly that body and signature.</summary>
public sealed class CallbackFormTests
{
    [Fact]
    public void FeatureChanged_IsTheDocumentedForm_AndSignature()
    {
        var body = CallbackDispatcher.FormBody(new ChangeEventRow
        {
            EventId = "5f0c9a3e2b7d4e18a6c1f2d3b4a59687",
            ClientId = "partner",
            Type = ChangeEventNames.FeatureChanged,
            UserId = 12345,
            Model = 17,
            FeatureName = "feature_eyes_closed_mode",
            Active = true,
            Devices = """[{"mac_address":"00:24:e4:12:34:56","version":3}]""",
            CreatedAt = 1795510800_000,
        });
        Assert.Equal(
            "userid=12345&appli=1000&event=feature.changed&event_id=5f0c9a3e2b7d4e18a6c1f2d3b4a59687&date=1795510800&model=17"
            + "&feature_name=feature_eyes_closed_mode&active=1&devices=%5B%7B%22mac_address%22%3A%2200%3A24%3Ae4%3A12%3A34%3A56%22%2C%22version%22%3A3%7D%5D",
            body);
        Assert.Equal("6631168eebdb939c5912a2c7fa942689ad9bc9847a351f12267462ae4f82c318",
            CallbackSigning.Sign("4e7f1c9a2b8d3e6f5a0c7b1d9e2f4a6c8b0d2e4f6a8c0e2b4d6f8a0c2e4b6d8f", 1795510801, System.Text.Encoding.UTF8.GetBytes(body)));
    }

    [Fact]
    public void FeatureFailed_CarriesTheDeviceAndItsReason()
    {
        var body = CallbackDispatcher.FormBody(new ChangeEventRow
        {
            EventId = "0123456789abcdef0123456789abcdef",
            Type = ChangeEventNames.FeatureFailed,
            UserId = 12345,
            Model = 17,
            FeatureName = "feature_eyes_closed_mode",
            Active = false,
            MacAddress = "00:24:e4:12:34:56",
            Version = 4,
            Reason = "sensor busy",
            CreatedAt = 1795510860_000,
        });
        Assert.Equal(
            "userid=12345&appli=1000&event=feature.failed&event_id=0123456789abcdef0123456789abcdef&date=1795510860&model=17"
            + "&feature_name=feature_eyes_closed_mode&active=0&mac_address=00%3A24%3Ae4%3A12%3A34%3A56&version=4&reason=sensor%20busy",
            body);
    }

    [Theory]
    [InlineData(CallbackOptions.DefaultRetrySchedule, 9)]
    [InlineData("1s, 500ms, 00:01:00, 2h, 1d", 5)]
    public void RetrySchedule_IsRead(string text, int delays) =>
        Assert.Equal(delays, CallbackOptions.ParseSchedule(text)!.Count);

    [Theory]
    [InlineData("")]
    [InlineData("10s,,1m")]
    [InlineData("soon")]
    [InlineData("-1s")]
    public void UnreadableRetrySchedule_IsRefused(string text) => Assert.Null(CallbackOptions.ParseSchedule(text));
}
