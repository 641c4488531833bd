using System.Text;
using DeviceFeatures.Protocol.Parameters;

namespace DeviceFeatures.Protocol.Tests.Parameters;

public sealed class WireParameterParserTests
{
    private static WireParameters Form(string body)
    {
        var parameters = new WireParameters();
        WireParameterParser.ReadUrlEncoded(Encoding.UTF8.GetBytes(body), parameters);
        return parameters;
    }

    private static WireParameters Json(string body) => Json(Encoding.UTF8.GetBytes(body));

    private static WireParameters Json(byte[] body)
    {
        var parameters = new WireParameters();
        WireParameterParser.ReadJson(body, parameters);
        return parameters;
    }

    [Fact]
    public void ReadUrlEncoded_DecodesPercentAndPlus()
    {
        var p = Form("action=enablefeature&feature_name=feature%5Fpacemaker&note=a+b%20c&empty=&flag");
        Assert.Null(p.Problem);
        Assert.True(p.TryGet("feature_name", out var feature));
        Assert.Equal("feature_pacemaker", feature);
        Assert.True(p.TryGet("note", out var note));
        Assert.Equal("a b c", note);
        Assert.True(p.TryGet("empty", out var empty));
        Assert.Equal("", empty);
        Assert.True(p.TryGet("flag", out _));
    }

    [Fact]
    public void ReadUrlEncoded_LeadingQuestionMark_IsSkipped()
    {
        var p = Form("?action=getnonce");
        Assert.True(p.TryGet("action", out var action));
        Assert.Equal("getnonce", action);
    }

    [Fact]
    public void ReadUrlEncoded_Utf8Escapes_AreDecoded()
    {
        var p = Form("name=caf%C3%A9");
        Assert.True(p.TryGet("name", out var name));
        Assert.Equal("café", name);
    }

    [Theory]
    [InlineData("client_id=a%00b")]
    [InlineData("client_id=%00")]
    [InlineData("action=getnonce&client_id=a%00")]
    public void ReadUrlEncoded_NulByte_NamesTheParameter(string body)
    {
        var p = Form(body);
        Assert.Equal("parameter 'client_id' contains a NUL character", p.Problem);
    }

    [Fact]
    public void ReadJson_NulCharacter_NamesTheParameter()
    {
        Assert.Equal("parameter 'client_id' contains a NUL character", Json("{\"client_id\":\"a\\u0000b\"}").Problem);
    }

    [Fact]
    public void ReadUrlEncoded_NulByteInAName_IsAProblem()
    {
        Assert.Equal("a parameter name contains a NUL character", Form("a%00b=1").Problem);
    }

    [Theory]
    [InlineData("userid=%ZZ", "userid")]
    [InlineData("userid=12%", "userid")]
    [InlineData("userid=%4", "userid")]
    public void ReadUrlEncoded_MalformedEscape_NamesTheParameter(string body, string parameter)
    {
        var p = Form(body);
        Assert.NotNull(p.Problem);
        Assert.Contains($"'{parameter}'", p.Problem);
        Assert.Contains("percent-encoding", p.Problem);
    }

    [Fact]
    public void ReadUrlEncoded_InvalidUtf8_IsAProblem()
    {
        var p = Form("feature_name=%FF%FE");
        Assert.Contains("not valid UTF-8", p.Problem);
    }

    [Fact]
    public void ReadUrlEncoded_RawInvalidUtf8_IsAProblem()
    {
        var p = new WireParameters();
        WireParameterParser.ReadUrlEncoded([(byte)'a', (byte)'=', 0xC3, 0x28], p);
        Assert.Contains("'a' is not valid UTF-8", p.Problem);
    }

    [Fact]
    public void Duplicate_WithSameValue_CountsOnce()
    {
        var p = Form("model=17&model=17");
        Assert.Null(p.Problem);
        Assert.Equal(1, p.Count);
    }

    [Fact]
    public void Duplicate_WithDifferentValues_IsAProblem()
    {
        var p = Form("model=17&model=47");
        Assert.Equal("parameter 'model' is given more than once with different values", p.Problem);
    }

    [Fact]
    public void OverlongValue_IsAProblem()
    {
        var p = Form("feature_name=" + new string('x', WireParameters.MaxValueLength + 1));
        Assert.Contains("'feature_name' is longer than", p.Problem);
    }

    [Fact]
    public void TooManyParameters_IsAProblem()
    {
        var body = string.Join("&", Enumerable.Range(0, WireParameters.MaxCount + 1).Select(i => $"p{i}=1"));
        Assert.Contains("more than 64 parameters", Form(body).Problem);
    }

    [Fact]
    public void ReadJson_NumbersAndStrings_ReadTheSame()
    {
        var numbers = Json("""{"action":"enablefeature","userid":12345,"model":17}""");
        var strings = Json("""{"action":"enablefeature","userid":"12345","model":"17"}""");
        foreach (var p in new[] { numbers, strings })
        {
            Assert.Null(p.Problem);
            Assert.True(p.TryGet("userid", out var userId));
            Assert.Equal("12345", userId);
            Assert.True(p.TryGet("model", out var model));
            Assert.Equal("17", model);
        }
    }

    [Fact]
    public void ReadJson_NestedValues_AreKeptAsJsonText()
    {
        var p = Json("""{"mac_addresses":["00:24:e4:00:00:01","00:24:e4:00:00:02"],"flag":true,"gone":null}""");
        Assert.Null(p.Problem);
        Assert.True(p.TryGet("mac_addresses", out var macs));
        Assert.Equal("""["00:24:e4:00:00:01","00:24:e4:00:00:02"]""", macs);
        Assert.True(p.TryGet("flag", out var flag));
        Assert.Equal("true", flag);
        Assert.False(p.TryGet("gone", out _));
    }

    [Theory]
    [InlineData("""{"action":""", "malformed")]
    [InlineData("""[1,2,3]""", "must be an object")]
    [InlineData("\"text\"", "must be an object")]
    [InlineData("""{"a":1} trailing""", "malformed")]
    [InlineData("""{"a":1}{"b":2}""", "malformed")]
    [InlineData("", "malformed")]
    public void ReadJson_Malformed_IsAProblem(string body, string expected) =>
        Assert.Contains(expected, Json(body).Problem);

    [Fact]
    public void ReadJson_TooDeep_IsAProblem()
    {
        var deep = """{"a":""" + new string('[', 100) + new string(']', 100) + "}";
        Assert.Contains("malformed", Json(deep).Problem);
    }

    [Fact]
    public void ReadJson_InvalidUtf8InString_IsAProblem()
    {
        byte[] body = [.. "{\"a\":\""u8, 0xFF, 0xFE, .. "\"}"u8];
        Assert.NotNull(Json(body).Problem);
    }

    [Fact]
    public void ReadJson_DuplicateKeysWithDifferentValues_IsAProblem() =>
        Assert.Contains("'userid' is given more than once", Json("""{"userid":1,"userid":2}""").Problem);

    [Fact]
    public void ReadJson_HugeNumber_IsKeptAsTextForTheCallerToRefuse()
    {
        var p = Json("""{"userid":123456789012345678901234567890}""");
        Assert.Null(p.Problem);
        Assert.True(p.TryGet("userid", out var userId));
        Assert.Equal("123456789012345678901234567890", userId);
    }
}
