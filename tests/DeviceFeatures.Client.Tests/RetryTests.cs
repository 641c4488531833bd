using System.Net;
using DeviceFeatures.Protocol.Signing;
using Microsoft.Extensions.Time.Testing;

namespace DeviceFeatures.Client.Tests;

/// <summary>Retries, 601 waits and the fresh nonce per attempt, on a scripted Withings and a fake clock.</summary>
public sealed class RetryTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private FakeTimeProvider _time = new(new DateTimeOffset(2026, 11, 24, 9, 0, 0, TimeSpan.Zero));

    private DeviceFeaturesClient Client(StubWithings stub, Action<DeviceFeaturesClientOptions>? configure = null)
    {
        var options = new DeviceFeaturesClientOptions
        {
            BaseAddress = new Uri("https://wbsapi.example.test/"),
            ClientId = "client_id",
            ClientSecret = "clientsecret",
        };
        configure?.Invoke(options);
        return new DeviceFeaturesClient(new HttpClient(stub), options, _time);
    }

    /// <summary>Moves the fake clock a second at a time until the call completes, and gives the time moved.</summary>
    private async Task<TimeSpan> AdvanceUntilDoneAsync(Task call, TimeSpan limit)
    {
        var moved = TimeSpan.Zero;
        while (!call.IsCompleted && moved < limit)
        {
            if (await Task.WhenAny(call, Task.Delay(5, Ct)) != call)
            {
                _time.Advance(TimeSpan.FromSeconds(1));
                moved += TimeSpan.FromSeconds(1);
            }
        }

        return moved;
    }

    [Fact]
    public async Task SignedRequests_FollowTheReferenceVectors()
    {
        _time = new FakeTimeProvider(DateTimeOffset.FromUnixTimeSeconds(1637090717));
        var stub = new StubWithings(_time);
        await Client(stub).EnableFeatureAsync(1, DeviceModel.BodyPro2, FeatureName.EyesClosedMode, Ct);

        var nonceRequest = stub.Requests.First().Form;
        Assert.Equal("getnonce", nonceRequest["action"]);
        Assert.Equal("1637090717", nonceRequest["timestamp"]);
        Assert.Equal("613fa7b29b5c3a14ca7759886e9783750e057caba3e8e601495d5b470a30d1ac", nonceRequest["signature"]);

        var call = stub.DeviceCalls.Single().Form;
        Assert.Equal("enablefeature", call["action"]);
        Assert.Equal("feature_eyes_closed_mode", call["feature_name"]);
        Assert.Equal("1", call["userid"]);
        Assert.Equal("17", call["model"]);
        Assert.True(WithingsSignature.Verify("clientsecret", "enablefeature", "client_id", call["nonce"], call["signature"]));
    }

    [Fact]
    public async Task Status522_IsRetried_WithAFreshNonceEachTime()
    {
        var stub = new StubWithings(_time)
            .Then("""{"status":522,"body":{},"error":"Timeout"}""")
            .Then("""{"status":522,"body":{},"error":"Timeout"}""");
        var call = Client(stub).DisableFeatureAsync(1, DeviceModel.BodyPro2, FeatureName.Pacemaker, Ct);
        await AdvanceUntilDoneAsync(call, TimeSpan.FromMinutes(1));
        await call;

        var nonces = stub.DeviceCalls.Select(c => c.Form["nonce"]).ToList();
        Assert.Equal(3, nonces.Count);
        Assert.Equal(3, nonces.Distinct().Count());
        Assert.All(stub.DeviceCalls, c => Assert.True(WithingsSignature.Verify("clientsecret", "disablefeature", "client_id", c.Form["nonce"], c.Form["signature"])));
    }

    [Fact]
    public async Task Http5xxWithoutEnvelope_IsRetried_ThenSucceeds()
    {
        var stub = new StubWithings(_time).Then("<html>Bad gateway</html>", HttpStatusCode.BadGateway, "text/html");
        var call = Client(stub).EnableFeatureAsync(1, DeviceModel.BodyPro2, FeatureName.Pacemaker, Ct);
        await AdvanceUntilDoneAsync(call, TimeSpan.FromMinutes(1));
        await call;
        Assert.Equal(2, stub.DeviceCalls.Count());
    }

    [Fact]
    public async Task ConnectionFailure_IsRetried()
    {
        var stub = new StubWithings(_time).ThenThrow(new HttpRequestException("connection reset"));
        var call = Client(stub).EnableFeatureAsync(1, DeviceModel.BodyPro2, FeatureName.Pacemaker, Ct);
        await AdvanceUntilDoneAsync(call, TimeSpan.FromMinutes(1));
        await call;
        Assert.Equal(2, stub.DeviceCalls.Count());
    }

    [Fact]
    public async Task TransientFailures_BeyondTheRetries_AreTransportExceptions()
    {
        var stub = new StubWithings(_time);
        for (var i = 0; i < 4; i++)
        {
            stub.Then("<html>Service unavailable</html>", HttpStatusCode.ServiceUnavailable, "text/html");
        }

        var call = Client(stub).EnableFeatureAsync(1, DeviceModel.BodyPro2, FeatureName.Pacemaker, Ct);
        await AdvanceUntilDoneAsync(call, TimeSpan.FromMinutes(5));
        var ex = await Assert.ThrowsAsync<DeviceFeaturesTransportException>(() => call);
        Assert.Equal(503, ex.HttpStatus);
        Assert.Equal(4, stub.DeviceCalls.Count());
    }

    [Fact]
    public async Task Status522_BeyondTheRetries_IsServiceTimeout()
    {
        var stub = new StubWithings(_time);
        for (var i = 0; i < 4; i++)
        {
            stub.Then("""{"status":522,"body":{},"error":"Timeout"}""");
        }

        var call = Client(stub).EnableFeatureAsync(1, DeviceModel.BodyPro2, FeatureName.Pacemaker, Ct);
        await AdvanceUntilDoneAsync(call, TimeSpan.FromMinutes(5));
        var ex = await Assert.ThrowsAsync<ServiceTimeoutException>(() => call);
        Assert.Equal(522, ex.Status);
    }

    [Fact]
    public async Task Status601_WaitsWaitSeconds_ThenRetriesWithAFreshNonce()
    {
        var stub = new StubWithings(_time).Then("""{"status":601,"body":{"wait_seconds":10},"error":"Same arguments in less than 10 seconds"}""");
        var call = Client(stub).EnableFeatureAsync(1, DeviceModel.BodyPro2, FeatureName.Pacemaker, Ct);
        await AdvanceUntilDoneAsync(call, TimeSpan.FromMinutes(1));
        await call;

        var calls = stub.DeviceCalls.ToList();
        Assert.Equal(2, calls.Count);
        Assert.NotEqual(calls[0].Form["nonce"], calls[1].Form["nonce"]);
        var waited = calls[1].At - calls[0].At;
        Assert.InRange(waited, TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(12));
    }

    [Fact]
    public async Task Status601_WithoutWaitSeconds_BacksOffForTensOfSeconds()
    {
        var stub = new StubWithings(_time).Then("""{"status":601,"body":{},"error":"Too many request"}""");
        var call = Client(stub).EnableFeatureAsync(1, DeviceModel.BodyPro2, FeatureName.Pacemaker, Ct);
        await AdvanceUntilDoneAsync(call, TimeSpan.FromMinutes(2));
        await call;

        var calls = stub.DeviceCalls.ToList();
        Assert.InRange(calls[1].At - calls[0].At, TimeSpan.FromSeconds(15), TimeSpan.FromSeconds(17));
    }

    [Fact]
    public async Task Status601_Persisting_IsTooManyRequestsWithWaitSeconds_AndTheWaitIsBounded()
    {
        var stub = new StubWithings(_time);
        for (var i = 0; i < 4; i++)
        {
            stub.Then("""{"status":601,"body":{"wait_seconds":3600},"error":"Too many request"}""");
        }

        var call = Client(stub).EnableFeatureAsync(1, DeviceModel.BodyPro2, FeatureName.Pacemaker, Ct);
        var moved = await AdvanceUntilDoneAsync(call, TimeSpan.FromMinutes(30));
        var ex = await Assert.ThrowsAsync<TooManyRequestsException>(() => call);
        Assert.Equal(TimeSpan.FromHours(1), ex.WaitSeconds);
        Assert.InRange(moved, TimeSpan.FromMinutes(6), TimeSpan.FromMinutes(7));
    }

    [Fact]
    public async Task CancellingDuringA601Wait_StopsAtOnce()
    {
        var stub = new StubWithings(_time).Then("""{"status":601,"body":{"wait_seconds":60},"error":"Too many request"}""");
        using var cancel = new CancellationTokenSource();
        var call = Client(stub).EnableFeatureAsync(1, DeviceModel.BodyPro2, FeatureName.Pacemaker, cancel.Token);
        while (!stub.DeviceCalls.Any())
        {
            await Task.Delay(5, Ct);
        }

        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => call);
        Assert.Single(stub.DeviceCalls);
    }

    [Theory]
    [InlineData(503, typeof(InvalidParamsException))]
    [InlineData(101, typeof(AuthenticationFailedException))]
    [InlineData(2553, typeof(UnauthorizedException))]
    [InlineData(2554, typeof(NotImplementedActionException))]
    [InlineData(524, typeof(BadStateException))]
    [InlineData(2556, typeof(ErrorOccurredException))]
    [InlineData(99999, typeof(UnknownStatusException))]
    public async Task Refusals_AreTypedByFamily_AndNeverRetried(int status, Type expected)
    {
        var stub = new StubWithings(_time).Then($$"""{"status":{{status}},"body":{},"error":"refused"}""");
        var ex = await Assert.ThrowsAnyAsync<WithingsRefusalException>(
            () => Client(stub).EnableFeatureAsync(1, DeviceModel.BodyPro2, FeatureName.Pacemaker, Ct));
        Assert.IsType(expected, ex);
        Assert.Equal(status, ex.Status);
        Assert.Equal("refused", ex.Error);
        Assert.Single(stub.DeviceCalls);
    }

    [Fact]
    public async Task OkAnswerThatIsNotAnEnvelope_IsANonTransientTransportFailure()
    {
        var stub = new StubWithings(_time).Then("<html>captive portal</html>", HttpStatusCode.OK, "text/html");
        var ex = await Assert.ThrowsAsync<DeviceFeaturesTransportException>(
            () => Client(stub).EnableFeatureAsync(1, DeviceModel.BodyPro2, FeatureName.Pacemaker, Ct));
        Assert.False(ex.IsTransient);
        Assert.Single(stub.DeviceCalls);
    }

    [Fact]
    public async Task UnknownFeaturesInAnAnswer_AreCarried_NotDropped()
    {
        var stub = new StubWithings(_time).Then("""
            {"status":0,"body":{"features":[
              {"feature_name":"feature_eyes_closed_mode","active":true},
              {"feature_name":"feature_from_the_future","active":1},
              {"feature_name":"feature_pwv","active":false,"extra":"ignored"}
            ]}}
            """);
        var features = await Client(stub).GetFeaturesAsync(1, new DeviceModel(17), Ct);
        Assert.Equal(3, features.Count);
        var future = features[1];
        Assert.Equal("feature_from_the_future", future.Name.Value);
        Assert.False(future.Name.IsKnown);
        Assert.True(future.Active);
        Assert.False(features[2].Active);
    }
}
