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

    [GlobalSetup]
    public void Setup()
    {
        _validSignature = WithingsSignature.SignCall(Inputs.ClientSecret, "enablefeature", Inputs.ClientId, Inputs.Nonce);
        _wrongSignature = Inputs.Hex(4, 32);
        _timestamp = Inputs.Timestamp.ToString(System.Globalization.CultureInfo.InvariantCulture);
        _nonceRequestSignature = WithingsSignature.SignNonceRequest(Inputs.ClientSecret, Inputs.ClientId, Inputs.Timestamp);
    }

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
}
