using DeviceFeatures.Protocol.Signing;

namespace DeviceFeatures.Protocol.Tests.Signing;

public sealed class WithingsSignatureTests
{
    /// <summary>The vectors of the protocol reference (secret <c>clientsecret</c>); the first two come from Withings' own tests.</summary>
    public static TheoryData<string, string, string, string> ReferenceVectors { get; } = new()
    {
        { "getnonce", "client_id", "1637090717", "613fa7b29b5c3a14ca7759886e9783750e057caba3e8e601495d5b470a30d1ac" },
        { "wsname", "client_id", "nonce", "ccb346f0416f06fb4b36d95ca75082098eaf2a8bc885506c689312806afa5b2b" },
        { "enablefeature", "client_id", "nonce", "4b8201b2dd9dee56a36dadf96c5888d380315dda45cad99c20514cf62cb3835c" },
        { "disablefeature", "client_id", "nonce", "5061a8687cfcbd3159048d1db6ae8d61859db73dd6210f874b1269f32cf6b47b" },
    };

    [Theory]
    [MemberData(nameof(ReferenceVectors))]
    public void Sign_ReferenceVectors_MatchWithings(string action, string clientId, string nonce, string expected)
    {
        Assert.Equal(expected, WithingsSignature.Sign("clientsecret", action, clientId, nonce));
        Assert.True(WithingsSignature.Verify("clientsecret", action, clientId, nonce, expected));
    }

    [Fact]
    public void SignNonceRequest_ReferenceVector_MatchesWithings() =>
        Assert.Equal(
            "613fa7b29b5c3a14ca7759886e9783750e057caba3e8e601495d5b470a30d1ac",
            WithingsSignature.SignNonceRequest("clientsecret", "client_id", 1637090717));

    [Fact]
    public void Sign_GenericForm_SortsKeysByName()
    {
        var signature = WithingsSignature.Sign("clientsecret",
        [
            new("nonce", "nonce"),
            new("client_id", "client_id"),
            new("action", "enablefeature"),
        ]);
        Assert.Equal("4b8201b2dd9dee56a36dadf96c5888d380315dda45cad99c20514cf62cb3835c", signature);
    }

    [Fact]
    public void Verify_UppercaseHex_IsAccepted() =>
        Assert.True(WithingsSignature.Verify("clientsecret", "enablefeature", "client_id", "nonce",
            "4B8201B2DD9DEE56A36DADF96C5888D380315DDA45CAD99C20514CF62CB3835C"));

    [Theory]
    [InlineData("4b8201b2dd9dee56a36dadf96c5888d380315dda45cad99c20514cf62cb3835d")] // last digit changed
    [InlineData("4b8201b2dd9dee56a36dadf96c5888d380315dda45cad99c20514cf62cb3835")] // one short
    [InlineData("4b8201b2dd9dee56a36dadf96c5888d380315dda45cad99c20514cf62cb3835c0")] // one long
    [InlineData("zz8201b2dd9dee56a36dadf96c5888d380315dda45cad99c20514cf62cb3835c")] // not hex
    [InlineData("")]
    public void Verify_WrongOrMalformedSignature_IsRejected(string signature) =>
        Assert.False(WithingsSignature.Verify("clientsecret", "enablefeature", "client_id", "nonce", signature));

    [Fact]
    public void Verify_WrongSecret_IsRejected() =>
        Assert.False(WithingsSignature.Verify("otherSecret", "enablefeature", "client_id", "nonce",
            "4b8201b2dd9dee56a36dadf96c5888d380315dda45cad99c20514cf62cb3835c"));

    [Fact]
    public void Verify_LongInputs_UseHeapBuffersAndStillMatch()
    {
        var secret = new string('s', 2000);
        var nonce = new string('n', 3000);
        var signature = WithingsSignature.Sign(secret, [new("action", "getfeatures"), new("client_id", "c"), new("nonce", nonce)]);
        Assert.True(WithingsSignature.Verify(secret, "getfeatures", "c", nonce, signature));
    }

    [Fact]
    public void Sign_NonAsciiValues_AreSignedAsUtf8()
    {
        var signature = WithingsSignature.Sign("clé", "enablefeature", "clïent", "nonce");
        Assert.True(WithingsSignature.Verify("clé", "enablefeature", "clïent", "nonce", signature));
        Assert.Equal(64, signature.Length);
    }
}
