using System.Globalization;
using System.Text;
using DeviceFeatures.Protocol.Callbacks;

namespace DeviceFeatures.Client.Tests;

/// <summary>The verifier partners run on their callback receivers, against the worked example of docs/protocol.md.</summary>
public sealed class CallbackSignatureTests
{
    // docs/protocol.md, "Change events", worked example.
    internal const string Secret = "4e7f1c9a2b8d3e6f5a0c7b1d9e2f4a6c8b0d2e4f6a8c0e2b4d6f8a0c2e4b6d8f";
    internal const string Timestamp = "1795510801";
    internal const string Body =
        "userid=12345&appli=1000&event=feature.changed&event_id=5f0c9a3e2b7d4e18a6c1f2d3b4a59687&date=1795510800&model=17"
        + "&feature_name=feature_eyes_closed_mode&active=1&devices=%5B%7B%22mac_address%22%3A%2200%3A24%3Ae4%3A12%3A34%3A56%22%2C%22version%22%3A3%7D%5D";
    internal const string Signature = "6631168eebdb939c5912a2c7fa942689ad9bc9847a351f12267462ae4f82c318";

    private static readonly DateTimeOffset SentAt = DateTimeOffset.FromUnixTimeSeconds(long.Parse(Timestamp, CultureInfo.InvariantCulture));
    private static readonly byte[] BodyBytes = Encoding.UTF8.GetBytes(Body);

    [Fact]
    public void WorkedExample_SignsAsDocumented()
    {
        Assert.Equal(Signature, CallbackSigning.Sign(Secret, 1795510801, BodyBytes));
    }

    [Fact]
    public void ValidSignature_IsAccepted_UpperCaseHexToo()
    {
        Assert.True(CallbackSignature.Verify(Secret, Timestamp, Signature, BodyBytes, SentAt));
        Assert.True(CallbackSignature.Verify(Secret, Timestamp, Signature.ToUpperInvariant(), BodyBytes, SentAt.AddSeconds(2)));
    }

    [Fact]
    public void WrongSecret_IsRefused()
    {
        Assert.False(CallbackSignature.Verify(Secret[..^1] + "0", Timestamp, Signature, BodyBytes, SentAt));
        Assert.False(CallbackSignature.Verify(Array.Empty<string>(), Timestamp, Signature, BodyBytes, SentAt));
    }

    [Fact]
    public void TamperedBodyOrTimestamp_IsRefused()
    {
        Assert.False(CallbackSignature.Verify(Secret, Timestamp, Signature, Encoding.UTF8.GetBytes(Body.Replace("active=1", "active=0", StringComparison.Ordinal)), SentAt));
        Assert.False(CallbackSignature.Verify(Secret, "1795510802", Signature, BodyBytes, SentAt));
    }

    [Fact]
    public void TimestampOutsideTheTolerance_IsRefused_EitherWay()
    {
        Assert.True(CallbackSignature.Verify(Secret, Timestamp, Signature, BodyBytes, SentAt.AddMinutes(5)));
        Assert.False(CallbackSignature.Verify(Secret, Timestamp, Signature, BodyBytes, SentAt.AddMinutes(5).AddSeconds(1)));
        Assert.False(CallbackSignature.Verify(Secret, Timestamp, Signature, BodyBytes, SentAt.AddMinutes(-5).AddSeconds(-1)));
        Assert.True(CallbackSignature.Verify(Secret, Timestamp, Signature, BodyBytes, SentAt.AddMinutes(9), TimeSpan.FromMinutes(10)));
        Assert.False(CallbackSignature.Verify(Secret, Timestamp, Signature, BodyBytes, SentAt.AddSeconds(31), TimeSpan.FromSeconds(30)));
    }

    [Fact]
    public void DuringARotation_EitherSecretIsAccepted()
    {
        var newSecret = new string('b', 64);
        var signedWithNew = CallbackSigning.Sign(newSecret, 1795510801, BodyBytes);
        string[] both = [newSecret, Secret];
        Assert.True(CallbackSignature.Verify(both, Timestamp, Signature, BodyBytes, SentAt));
        Assert.True(CallbackSignature.Verify(both, Timestamp, signedWithNew, BodyBytes, SentAt));
        Assert.False(CallbackSignature.Verify([newSecret], Timestamp, Signature, BodyBytes, SentAt));
    }

    [Theory]
    [InlineData(null, Signature)]
    [InlineData(Timestamp, null)]
    [InlineData("not a time", Signature)]
    [InlineData("-1795510801", Signature)]
    [InlineData(Timestamp, "zz31168eebdb939c5912a2c7fa942689ad9bc9847a351f12267462ae4f82c318")]
    [InlineData(Timestamp, "6631168eebdb939c5912a2c7fa942689")]
    public void MissingOrMalformedHeaders_AreRefused(string? timestamp, string? signature)
    {
        Assert.False(CallbackSignature.Verify(Secret, timestamp, signature, BodyBytes, SentAt));
    }
}
