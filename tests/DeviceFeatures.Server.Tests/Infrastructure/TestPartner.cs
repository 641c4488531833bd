using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using DeviceFeatures.Protocol.Envelope;
using DeviceFeatures.Protocol.Signing;

namespace DeviceFeatures.Server.Tests.Infrastructure;

/// <summary>A partner's view of the wire API: it gets nonces and signs calls exactly as Withings clients do.</summary>
public sealed class TestPartner(ServerFactory server, string clientId, string clientSecret, int userId)
{
    public string ClientId { get; } = clientId;

    public string ClientSecret { get; } = clientSecret;

    public int UserId { get; } = userId;

    public HttpClient Http { get; } = server.CreateClient();

    public long Now => server.Time.GetUtcNow().ToUnixTimeSeconds();

    public async Task<WireAnswer> GetNonceAnswerAsync(long? timestamp = null, string? secret = null)
    {
        var ts = (timestamp ?? Now).ToString(CultureInfo.InvariantCulture);
        return await PostFormAsync("/v2/signature", new()
        {
            ["action"] = "getnonce",
            ["client_id"] = ClientId,
            ["timestamp"] = ts,
            ["signature"] = WithingsSignature.Sign(secret ?? ClientSecret, "getnonce", ClientId, ts),
        });
    }

    public async Task<string> GetNonceAsync()
    {
        var answer = await GetNonceAnswerAsync();
        Assert.Equal(0, answer.Status);
        return answer.Body.GetProperty("nonce").GetString()!;
    }

    /// <summary>The signed parameters of a call with a fresh nonce, plus the business parameters.</summary>
    public async Task<Dictionary<string, string>> SignedAsync(string action, Dictionary<string, string>? business = null, string? nonce = null)
    {
        nonce ??= await GetNonceAsync();
        var parameters = new Dictionary<string, string>
        {
            ["action"] = action,
            ["client_id"] = ClientId,
            ["nonce"] = nonce,
            ["signature"] = WithingsSignature.Sign(ClientSecret, action, ClientId, nonce),
        };
        foreach (var (key, value) in business ?? [])
        {
            parameters[key] = value;
        }

        return parameters;
    }

    public static Dictionary<string, string> Feature(int userId, int model, string feature) => new()
    {
        ["userid"] = userId.ToString(CultureInfo.InvariantCulture),
        ["model"] = model.ToString(CultureInfo.InvariantCulture),
        ["feature_name"] = feature,
    };

    public Task<WireAnswer> EnableAsync(string feature, int model = 17, int? userId = null) =>
        CallAsync("enablefeature", Feature(userId ?? UserId, model, feature));

    public Task<WireAnswer> DisableAsync(string feature, int model = 17, int? userId = null) =>
        CallAsync("disablefeature", Feature(userId ?? UserId, model, feature));

    public async Task<WireAnswer> CallAsync(string action, Dictionary<string, string> business) =>
        await PostFormAsync("/v2/device", await SignedAsync(action, business));

    /// <summary>The recorded choices for a model, as getfeatures returns them.</summary>
    public async Task<Dictionary<string, bool>> GetFeaturesAsync(int model = 17, int? userId = null)
    {
        var answer = await CallAsync("getfeatures", new()
        {
            ["userid"] = (userId ?? UserId).ToString(CultureInfo.InvariantCulture),
            ["model"] = model.ToString(CultureInfo.InvariantCulture),
        });
        Assert.Equal(0, answer.Status);
        return answer.Body.GetProperty("features").EnumerateArray()
            .ToDictionary(f => f.GetProperty("feature_name").GetString()!, f => f.GetProperty("active").GetBoolean());
    }

    public async Task<WireAnswer> PostFormAsync(string path, Dictionary<string, string> parameters)
    {
        using var response = await Http.PostAsync(path, new FormUrlEncodedContent(parameters), TestContext.Current.CancellationToken);
        return await ReadAsync(response);
    }

    public async Task<WireAnswer> PostJsonAsync(string path, object body)
    {
        using var response = await Http.PostAsJsonAsync(path, body, TestContext.Current.CancellationToken);
        return await ReadAsync(response);
    }

    public static async Task<WireAnswer> ReadAsync(HttpResponseMessage response)
    {
        Assert.Equal(System.Net.HttpStatusCode.OK, response.StatusCode);
        var bytes = await response.Content.ReadAsByteArrayAsync(TestContext.Current.CancellationToken);
        var answer = WireEnvelope.TryParse(bytes);
        Assert.True(answer is not null, $"Not a Withings envelope: {System.Text.Encoding.UTF8.GetString(bytes)}");
        Assert.Equal(JsonValueKind.Object, answer.Body.ValueKind);
        if (answer.Status != 0)
        {
            Assert.False(string.IsNullOrWhiteSpace(answer.Error), "A refusal must carry an error text.");
        }

        return answer;
    }
}
