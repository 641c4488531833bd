using BenchmarkDotNet.Attributes;
using DeviceFeatures.Server.Signature;
using Microsoft.Extensions.Options;

namespace DeviceFeatures.Benchmarks;

/// <summary>
/// Nonces authenticate themselves (two HMACs over 20 bytes), so issuing and checking one needs no database:
/// this is the whole in-memory cost of getnonce's answer and of the nonce check of a device call.
/// </summary>
[MemoryDiagnoser]
public class NonceBenchmarks
{
    private NonceService _nonces = null!;
    private string _issued = "";
    private string _foreign = "";

    [GlobalSetup]
    public void Setup()
    {
        _nonces = new NonceService(Options.Create(new SignatureOptions()), TimeProvider.System);
        _nonces.UseKey(Inputs.Key(5));
        _issued = _nonces.Issue(Inputs.ClientId);
        _foreign = Inputs.Hex(6, 20);
    }

    [Benchmark]
    public string Issue() => _nonces.Issue(Inputs.ClientId);

    [Benchmark]
    public NonceCheck CheckValid() => _nonces.Check(_issued, Inputs.ClientId);

    [Benchmark]
    public NonceCheck CheckNotOurs() => _nonces.Check(_foreign, Inputs.ClientId);
}
