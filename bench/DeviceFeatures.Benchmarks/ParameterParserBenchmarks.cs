using System.Buffers;
using System.Text;
using BenchmarkDotNet.Attributes;
using DeviceFeatures.Protocol.Parameters;

namespace DeviceFeatures.Benchmarks;

/// <summary>
/// Reading the parameters of one request, as the server does for every wire call: a fresh
/// <see cref="WireParameters"/> filled from the body or the query string.
/// </summary>
[MemoryDiagnoser]
public class ParameterParserBenchmarks
{
    private byte[] _form = [];
    private byte[] _formEncoded = [];
    private byte[] _json = [];
    private string _query = "";

    [GlobalSetup]
    public void Setup()
    {
        var signature = Inputs.Hex(7, 32);

        // enablefeature as the documented form body.
        _form = Encoding.UTF8.GetBytes(
            $"action=enablefeature&client_id={Inputs.ClientId}&nonce={Inputs.Nonce}&signature={signature}" +
            $"&feature_name={Inputs.FeatureName}&userid=123456&model=17");

        // A form value that needs unescaping: a JSON list in a field, as Withings clients send mac_addresses.
        _formEncoded = Encoding.UTF8.GetBytes(
            $"action=activate&client_id={Inputs.ClientId}&nonce={Inputs.Nonce}&signature={signature}" +
            "&mac_addresses=%5B%2200%3A24%3Ae4%3A12%3A34%3A56%22%2C%2200%3A24%3Ae4%3A12%3A34%3A57%22%5D&shortname=Jo+Doe");

        // getnonce as a GET with a query string, as some clients send it.
        _query = $"?action=getnonce&client_id={Inputs.ClientId}&timestamp={Inputs.Timestamp}&signature={signature}";

        // enablefeature as a JSON body, with the model as a number (Withings' own samples).
        _json = Encoding.UTF8.GetBytes(
            $$"""{"action":"enablefeature","client_id":"{{Inputs.ClientId}}","nonce":"{{Inputs.Nonce}}","signature":"{{signature}}","feature_name":"{{Inputs.FeatureName}}","userid":123456,"model":17}""");
    }

    [Benchmark]
    public WireParameters Form()
    {
        var parameters = new WireParameters();
        WireParameterParser.ReadUrlEncoded(_form, parameters);
        return parameters;
    }

    [Benchmark]
    public WireParameters FormPercentEncoded()
    {
        var parameters = new WireParameters();
        WireParameterParser.ReadUrlEncoded(_formEncoded, parameters);
        return parameters;
    }

    /// <summary>The query string arrives as a string: the server encodes it to UTF-8 into a pooled buffer first.</summary>
    [Benchmark]
    public WireParameters Query()
    {
        var parameters = new WireParameters();
        var rented = ArrayPool<byte>.Shared.Rent(Encoding.UTF8.GetMaxByteCount(_query.Length));
        try
        {
            var length = Encoding.UTF8.GetBytes(_query, rented);
            WireParameterParser.ReadUrlEncoded(rented.AsSpan(0, length), parameters);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }

        return parameters;
    }

    [Benchmark]
    public WireParameters Json()
    {
        var parameters = new WireParameters();
        WireParameterParser.ReadJson(_json, parameters);
        return parameters;
    }
}
