using WireMock.Logging;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;
using WireMock.Server;
using WireMock.Settings;

namespace DeviceFeatures.Load;

/// <summary>
/// The peer the issue compares against: a generic HTTP mock (WireMock.Net) answering the two wire calls with fixed
/// bodies, no signature, nonce or storage behind them.
/// </summary>
internal sealed class WireMockPeer : IDisposable
{
    public const string NonceAnswer = """{"status":0,"body":{"nonce":"0123456789abcdef0123456789abcdef01234567"}}""";
    public const string DeviceAnswer = """{"status":0,"body":{}}""";

    private readonly WireMockServer _server;

    private WireMockPeer(WireMockServer server, Uri baseAddress)
    {
        _server = server;
        BaseAddress = baseAddress;
    }

    public Uri BaseAddress { get; }

    public static WireMockPeer Start(int port)
    {
        var baseAddress = new Uri($"http://127.0.0.1:{port}/");
        var server = WireMockServer.Start(new WireMockServerSettings
        {
            Urls = [baseAddress.GetLeftPart(UriPartial.Authority)],
            StartAdminInterface = false,
            Logger = new WireMockNullLogger(),

            // The request log is kept in memory and would grow without bound under load (and add garbage collection to
            // the load generator's process, which hosts the mock): keep none.
            MaxRequestLogCount = 0,
        });
        server.Given(Request.Create().WithPath("/v2/signature").UsingPost())
            .RespondWith(Response.Create().WithStatusCode(200).WithHeader("Content-Type", "application/json").WithBody(NonceAnswer));
        server.Given(Request.Create().WithPath("/v2/device").UsingPost())
            .RespondWith(Response.Create().WithStatusCode(200).WithHeader("Content-Type", "application/json").WithBody(DeviceAnswer));
        return new WireMockPeer(server, baseAddress);
    }

    public void Dispose()
    {
        _server.Stop();
        _server.Dispose();
    }
}
