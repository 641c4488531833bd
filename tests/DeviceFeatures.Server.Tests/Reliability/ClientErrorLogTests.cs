using System.Net.Sockets;
using System.Text;
using DeviceFeatures.Server.Tests.Infrastructure;

namespace DeviceFeatures.Server.Tests.Reliability;

/// <summary>
/// An outsider cannot fill the logs: a client's error is one short line, at most Warning, and such lines are
/// rate-limited; only the server's own faults are logged with a stack.
/// </summary>
public sealed class ClientErrorLogTests
{
    private const int Requests = 50;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData("/v2/device")]
    [InlineData("/admin/api/partners")]
    public async Task MalformedChunkedBodies_WithoutCredentials_LogFewShortLines_NoneAboveWarning(string path)
    {
        using var server = new LoggedServer(new SqliteTestDatabase(), ServerFactory.NewClock());
        server.UseKestrel(0);
        server.StartServer();
        using var http = server.CreateClient();
        var address = http.BaseAddress!;
        Assert.Equal(System.Net.HttpStatusCode.OK, (await http.GetAsync("/health/ready", Ct)).StatusCode);
        var before = server.Logs.Lines.Count;

        for (var i = 0; i < Requests; i++)
        {
            using var tcp = new TcpClient();
            await tcp.ConnectAsync(address.Host, address.Port, Ct);
            var stream = tcp.GetStream();
            var request = Encoding.ASCII.GetBytes(
                $"POST {path} HTTP/1.1\r\nHost: {address.Authority}\r\nContent-Type: application/x-www-form-urlencoded\r\n"
                + "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\nzz\r\naction=getnonce\r\n0\r\n\r\n");
            await stream.WriteAsync(request, Ct);
            using var reader = new StreamReader(stream);
            var response = await reader.ReadToEndAsync(Ct);
            Assert.StartsWith("HTTP/1.1 ", response, StringComparison.Ordinal);
            Assert.DoesNotContain(" 500 ", response, StringComparison.Ordinal);
        }

        var lines = server.Logs.Lines.Skip(before).ToList();
        var written = lines.Where(l => !l.StartsWith("Trace ", StringComparison.Ordinal) && !l.StartsWith("Debug ", StringComparison.Ordinal)).ToList();
        Assert.All(written, l => Assert.True(l.StartsWith("Information ", StringComparison.Ordinal) || l.StartsWith("Warning ", StringComparison.Ordinal), l));
        Assert.All(written, l => Assert.DoesNotContain("   at ", l, StringComparison.Ordinal));
        Assert.All(written, l => Assert.True(l.Length < 600, $"{l.Length} characters: {l}"));
        Assert.True(written.Count <= 11, string.Join("\n", written.Take(3)));
    }
}
