using System.Security.Cryptography;
using System.Text;
using BenchmarkDotNet.Attributes;
using DeviceFeatures.Protocol.Signing;

namespace DeviceFeatures.Benchmarks;

/// <summary>
/// Signature v2: what a client pays to sign a call and what the server pays to check one (every signed request
/// verifies once; getnonce verifies over the timestamp).
/// </summary>
[MemoryDiagnoser]
public class SignatureBenchmarks
{
    private string _validSignature = "";
    private string _wrongSignature = "";
    private string _timestamp = "";
    private string _nonceRequestSignature = "";
    private byte[] _key = [];
    private byte[] _message = [];
    private IncrementalHash _keyedHmac = null!;
    private WithingsSigner _signer = null!;

    [GlobalSetup]
    public void Setup()
    {
        _validSignature = WithingsSignature.SignCall(Inputs.ClientSecret, "enablefeature", Inputs.ClientId, Inputs.Nonce);
        _wrongSignature = Inputs.Hex(4, 32);
        _timestamp = Inputs.Timestamp.ToString(System.Globalization.CultureInfo.InvariantCulture);
        _nonceRequestSignature = WithingsSignature.SignNonceRequest(Inputs.ClientSecret, Inputs.ClientId, Inputs.Timestamp);
        _key = Encoding.UTF8.GetBytes(Inputs.ClientSecret);
        _message = Encoding.UTF8.GetBytes($"enablefeature,{Inputs.ClientId},{Inputs.Nonce}");
        _keyedHmac = IncrementalHash.CreateHMAC(HashAlgorithmName.SHA256, _key);
        _signer = new WithingsSigner(Inputs.ClientSecret);
    }

    [GlobalCleanup]
    public void Cleanup() => _keyedHmac.Dispose();

    [Benchmark]
    public string SignCall() => WithingsSignature.SignCall(Inputs.ClientSecret, "enablefeature", Inputs.ClientId, Inputs.Nonce);

    [Benchmark]
    public string SignNonceRequest() => WithingsSignature.SignNonceRequest(Inputs.ClientSecret, Inputs.ClientId, Inputs.Timestamp);

    [Benchmark]
    public bool VerifyValid() => WithingsSignature.Verify(Inputs.ClientSecret, "enablefeature", Inputs.ClientId, Inputs.Nonce, _validSignature);

    [Benchmark]
    public bool VerifyWrong() => WithingsSignature.Verify(Inputs.ClientSecret, "enablefeature", Inputs.ClientId, Inputs.Nonce, _wrongSignature);

    [Benchmark]
    public bool VerifyGetNonce() => WithingsSignature.Verify(Inputs.ClientSecret, "getnonce", Inputs.ClientId, _timestamp, _nonceRequestSignature);

    /// <summary>What the server does: a partner's secret keyed once (<see cref="WithingsSigner"/>), then checked per request.</summary>
    [Benchmark]
    public bool SignerVerifyValid() => _signer.Verify("enablefeature", Inputs.ClientId, Inputs.Nonce, _validSignature);

    [Benchmark]
    public bool SignerVerifyWrong() => _signer.Verify("enablefeature", Inputs.ClientId, Inputs.Nonce, _wrongSignature);

    /// <summary>What the SDK and the load tool do per call.</summary>
    [Benchmark]
    public string SignerSignCall() => _signer.SignCall("enablefeature", Inputs.ClientId, Inputs.Nonce);

    /// <summary>Reference point: the bare one-shot HMAC that Sign and Verify are built on (a new key schedule per call).</summary>
    [Benchmark]
    public int HmacOneShot()
    {
        Span<byte> hash = stackalloc byte[32];
        return HMACSHA256.HashData(_key, _message, hash);
    }

    /// <summary>Reference point: the same HMAC from an instance keyed once and reused, as a cache of keyed hashers would do.</summary>
    [Benchmark]
    public int HmacKeyedReused()
    {
        Span<byte> hash = stackalloc byte[32];
        _keyedHmac.AppendData(_message);
        return _keyedHmac.GetHashAndReset(hash);
    }
}
