using System.Buffers;
using System.Text.Encodings.Web;
using System.Text.Json;
using BenchmarkDotNet.Attributes;
using DeviceFeatures.Protocol.Envelope;

namespace DeviceFeatures.Benchmarks;

/// <summary>
/// Writing the Withings envelope. The writer is reused across operations except in
/// <see cref="SuccessNewWriterPerAnswer"/>, which creates one per answer as the server's WireResult does today.
/// </summary>
[MemoryDiagnoser]
public class EnvelopeBenchmarks
{
    // The server's writer options (WireResult): relaxed escaping, no validation.
    private static readonly JsonWriterOptions Options = new() { SkipValidation = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private static readonly (string Name, bool Active)[] Features =
    [
        ("feature_eyes_closed_mode", true),
        ("feature_pacemaker", false),
        ("feature_pwv", true),
    ];

    private readonly ArrayBufferWriter<byte> _buffer = new(1024);
    private Utf8JsonWriter _writer = null!;
    private string _nonce = "";

    [GlobalSetup]
    public void Setup()
    {
        _writer = new Utf8JsonWriter(_buffer, Options);
        _nonce = Inputs.Nonce;
    }

    [GlobalCleanup]
    public void Cleanup() => _writer.Dispose();

    [Benchmark(Baseline = true)]
    public int SuccessEmptyBody()
    {
        Reset();
        WireEnvelope.Write<object?>(_writer, 0, null, null, null);
        return Flush();
    }

    [Benchmark]
    public int SuccessNonce()
    {
        Reset();
        WireEnvelope.Write(_writer, 0, null, _nonce, static (w, nonce) => w.WriteString("nonce"u8, nonce));
        return Flush();
    }

    [Benchmark]
    public int SuccessFeatureList()
    {
        Reset();
        WireEnvelope.Write(_writer, 0, null, Features, static (w, features) =>
        {
            w.WriteStartArray("features"u8);
            foreach (var (name, active) in features)
            {
                w.WriteStartObject();
                w.WriteString("feature_name"u8, name);
                w.WriteBoolean("active"u8, active);
                w.WriteEndObject();
            }

            w.WriteEndArray();
        });
        return Flush();
    }

    [Benchmark]
    public int RefusalWithError()
    {
        Reset();
        WireEnvelope.Write<object?>(_writer, 401, "Authentication failed: the nonce has already been used; every request needs a fresh one", null, null);
        return Flush();
    }

    [Benchmark]
    public int SuccessNewWriterPerAnswer()
    {
        _buffer.ResetWrittenCount();
        using var writer = new Utf8JsonWriter(_buffer, Options);
        WireEnvelope.Write<object?>(writer, 0, null, null, null);
        writer.Flush();
        return _buffer.WrittenCount;
    }

    private void Reset()
    {
        _buffer.ResetWrittenCount();
        _writer.Reset(_buffer);
    }

    private int Flush()
    {
        _writer.Flush();
        return _buffer.WrittenCount;
    }
}
