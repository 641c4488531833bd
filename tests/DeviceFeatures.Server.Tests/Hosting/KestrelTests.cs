using System.Net.Sockets;
using System.Text;
using DeviceFeatures.Server.Tests.Infrastructure;

namespace DeviceFeatures.Server.Tests.Hosting;

/// <summary>The same flows over a real loopback socket, as a partner's process would see them.</summary>
public sealed class KestrelTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task FullSignedFlow_OverARealSocket_Works()
    {
        using var server = new SqliteServer();
        server.UseKestrel(0);
        server.StartServer();

        var partner = await server.CreatePartnerAsync();
        Assert.NotNull(partner.Http.BaseAddress);
        Assert.Equal(0, (await partner.EnableAsync("feature_eyes_closed_mode")).Status);
        Assert.True((await partner.GetFeaturesAsync())["feature_eyes_closed_mode"]);
    }

    [Fact]
    public async Task RawBytesOnTheSocket_GetTheEnvelope()
    {
        using var server = new SqliteServer();
        server.UseKestrel(0);
        server.StartServer();
        using var http = server.CreateClient();
        var address = http.BaseAddress!;

        using var tcp = new TcpClient();
        await tcp.ConnectAsync(address.Host, address.Port, Ct);
        var stream = tcp.GetStream();
        var body = new byte[] { 0x00, 0xFF, 0xFE, 0x7B, 0x22 };
        var head = Encoding.ASCII.GetBytes(
            $"POST /v2/device HTTP/1.1\r\nHost: {address.Authority}\r\nContent-Type: application/json\r\nContent-Length: {body.Length}\r\nConnection: close\r\n\r\n");
        await stream.WriteAsync(head, Ct);
        await stream.WriteAsync(body, Ct);
        using var reader = new StreamReader(stream);
        var response = await reader.ReadToEndAsync(Ct);

        Assert.StartsWith("HTTP/1.1 200 OK", response);
        Assert.Contains("\"status\":503", response);
        Assert.Contains("Invalid Params", response);
    }
}
