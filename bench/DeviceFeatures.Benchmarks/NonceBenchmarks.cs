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
        var key = new DeviceFeatures.Server.Hosting.StartupValue<NonceKey>();
        key.Load(new NonceKey(Inputs.Key(5)));
        _nonces = new NonceService(Options.Create(new SignatureOptions()), TimeProvider.System, key);
        _issued = _nonces.Issue(Inputs.ClientId);
        _foreign = Inputs.Hex(6, 20);
    }

    [Benchmark]
    public string Issue() => _nonces.Issue(Inputs.ClientId);

    [Benchmark]
    public bool CheckValid() => _nonces.Check(_issued, Inputs.ClientId).Verdict == NonceVerdict.Valid;

    [Benchmark]
    public bool CheckNotOurs() => _nonces.Check(_foreign, Inputs.ClientId).Verdict == NonceVerdict.Valid;
}
