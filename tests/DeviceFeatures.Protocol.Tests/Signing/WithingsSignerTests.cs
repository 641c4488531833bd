using System.Security.Cryptography;
using System.Text;
using DeviceFeatures.Protocol.Signing;

namespace DeviceFeatures.Protocol.Tests.Signing;

/// <summary>The keyed signer gives the same answers as the one-shot functions, from any number of threads.</summary>
public sealed class WithingsSignerTests
{
    [Theory]
    [MemberData(nameof(WithingsSignatureTests.ReferenceVectors), MemberType = typeof(WithingsSignatureTests))]
    public void ReferenceVectors_SignAndVerify(string action, string clientId, string nonce, string expected)
    {
        var signer = new WithingsSigner("clientsecret");

        // Twice: the second use of each keyed instance comes after its reset.
        for (var i = 0; i < 2; i++)
        {
            Assert.Equal(expected, signer.Sign(action, clientId, nonce));
            Assert.True(signer.Verify(action, clientId, nonce, expected));
            Assert.True(signer.Verify(action, clientId, nonce, expected.ToUpperInvariant()));
            Assert.False(signer.Verify(action, clientId, nonce, expected[..^1] + (expected[^1] == '0' ? '1' : '0')));
        }
    }

    [Fact]
    public void SignNonceRequest_ReferenceVector() =>
        Assert.Equal(
            "613fa7b29b5c3a14ca7759886e9783750e057caba3e8e601495d5b470a30d1ac",
            new WithingsSigner("clientsecret").SignNonceRequest("client_id", 1637090717));

    [Theory]
    [InlineData("")]
    [InlineData("zz8201b2dd9dee56a36dadf96c5888d380315dda45cad99c20514cf62cb3835c")]
    [InlineData("4b8201b2dd9dee56a36dadf96c5888d380315dda45cad99c20514cf62cb3835")]
    public void MalformedSignatures_AreRejected(string signature) =>
        Assert.False(new WithingsSigner("clientsecret").Verify("enablefeature", "client_id", "nonce", signature));

    [Fact]
    public void CharactersThatFoldOntoHexDigits_AreRejected()
    {
        // Folding to lower case sets bit 0x20: 0x10 would become '0', 0x41..0x46 ('A'..'F') become 'a'..'f'.
        const string Valid = "4b8201b2dd9dee56a36dadf96c5888d380315dda45cad99c20514cf62cb3835c";
        var signer = new WithingsSigner("clientsecret");
        var folded = Valid.Replace('0', '\u0010');
        Assert.False(signer.Verify("enablefeature", "client_id", "nonce", folded));
        Assert.False(WithingsSignature.Verify("clientsecret", "enablefeature", "client_id", "nonce", folded));
        Assert.True(signer.Verify("enablefeature", "client_id", "nonce", Valid.ToUpperInvariant()));
    }

    [Fact]
    public void LongAndNonAsciiInputs_MatchTheOneShotFunctions()
    {
        var secret = "sécret-" + new string('k', 700);
        var signer = new WithingsSigner(secret);
        var nonce = new string('n', 900) + "é";
        var expected = WithingsSignature.Sign(secret, "enablefeature", "client", nonce);
        Assert.Equal(expected, signer.Sign("enablefeature", "client", nonce));
        Assert.True(signer.Verify("enablefeature", "client", nonce, expected));
    }

    [Fact]
    public void ManyThreadsAtOnce_EachGetTheirOwnAnswer()
    {
        var signer = new WithingsSigner("clientsecret");
        var failures = 0;
        Parallel.For(0, 20_000, new ParallelOptions { MaxDegreeOfParallelism = 16 }, i =>
        {
            var nonce = i.ToString(System.Globalization.CultureInfo.InvariantCulture);
            var expected = WithingsSignature.Sign("clientsecret", "enablefeature", "client_id", nonce);
            if (signer.Sign("enablefeature", "client_id", nonce) != expected || !signer.Verify("enablefeature", "client_id", nonce, expected))
            {
                Interlocked.Increment(ref failures);
            }
        });

        Assert.Equal(0, failures);
    }

    [Fact]
    public void Verify_AllocatesNothing()
    {
        var signer = new WithingsSigner("clientsecret");
        const string Signature = "4b8201b2dd9dee56a36dadf96c5888d380315dda45cad99c20514cf62cb3835c";
        Assert.True(signer.Verify("enablefeature", "client_id", "nonce", Signature));

        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 100; i++)
        {
            signer.Verify("enablefeature", "client_id", "nonce", Signature);
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    [Fact]
    public void KeyedHmac_MatchesTheOneShotHmac()
    {
        var key = Encoding.UTF8.GetBytes("server key");
        var keyed = new KeyedHmacSha256(key);
        Span<byte> expected = stackalloc byte[32];
        Span<byte> actual = stackalloc byte[32];
        foreach (var message in new[] { "", "a", new string('m', 5000) })
        {
            var bytes = Encoding.UTF8.GetBytes(message);
            HMACSHA256.HashData(key, bytes, expected);
            keyed.Compute(bytes, actual);
            Assert.True(expected.SequenceEqual(actual));
        }
    }
}
