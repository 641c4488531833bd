using System.Buffers;
using System.Text;
using System.Text.Json;
using DeviceFeatures.Protocol.Envelope;

namespace DeviceFeatures.Protocol.Tests.Envelope;

public sealed class WireEnvelopeTests
{
    private static string Write(int status, string? error, Action<Utf8JsonWriter>? body)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            WireEnvelope.Write(writer, status, error, body, static (w, b) => b?.Invoke(w));
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    [Fact]
    public void Write_Success_IsTheWithingsShape() =>
        Assert.Equal("""{"status":0,"body":{}}""", Write(0, null, null));

    [Fact]
    public void Write_Refusal_CarriesTheError() =>
        Assert.Equal("""{"status":503,"body":{},"error":"Invalid Params: missing parameter"}""", Write(503, "Invalid Params: missing parameter", null));

    [Fact]
    public void Write_Body_IsWrittenInside() =>
        Assert.Equal("""{"status":0,"body":{"nonce":"abc"}}""", Write(0, null, w => w.WriteString("nonce", "abc")));

    [Fact]
    public void TryParse_ReadsStatusBodyAndError()
    {
        var answer = WireEnvelope.TryParse("""{"status":601,"body":{"wait_seconds":10},"error":"Too many request"}"""u8);
        Assert.NotNull(answer);
        Assert.Equal(601, answer.Status);
        Assert.Equal(10, answer.Body.GetProperty("wait_seconds").GetInt32());
        Assert.Equal("Too many request", answer.Error);
    }

    [Theory]
    [InlineData("<html>Bad gateway</html>")]
    [InlineData("""{"body":{}}""")]
    [InlineData("""[]""")]
    public void TryParse_NotAnEnvelope_IsNull(string text) =>
        Assert.Null(WireEnvelope.TryParse(Encoding.UTF8.GetBytes(text)));
}
