using System.Collections.Concurrent;
using System.Threading.Channels;
using DeviceFeatures.Protocol.Callbacks;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.Logging;

namespace DeviceFeatures.Server.Tests.ChangeEvents;

/// <summary>One request a partner's receiver got: the raw body, the parsed form and the signing headers.</summary>
public sealed record ReceivedCallback(byte[] Body, Dictionary<string, string> Form, string? Timestamp, string? Signature, string? IdempotencyKey, string? ContentType)
{
    public string this[string field] => Form[field];
}

/// <summary>
/// A partner's callback receiver on a real loopback socket: it records every request and answers the statuses queued
/// in <see cref="Answers"/> (200 when none is queued).
/// </summary>
public sealed class CallbackReceiver : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly Channel<ReceivedCallback> _received = Channel.CreateUnbounded<ReceivedCallback>();

    private CallbackReceiver(WebApplication app) => _app = app;

    public ConcurrentQueue<int> Answers { get; } = new();

    /// <summary>Whether a request, once recorded, is left without an answer until the sender gives up (a receiver that hangs).</summary>
    public bool Hangs { get; set; }

    /// <summary>The status answered when no other is queued.</summary>
    public int DefaultAnswer { get; set; } = 200;

    public Uri Url { get; private set; } = null!;

    public static async Task<CallbackReceiver> StartAsync(int port = 0, string path = "/devicefeatures/events?token=partner-own")
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseKestrel(o => o.Listen(System.Net.IPAddress.Loopback, port));
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var receiver = new CallbackReceiver(app);
        app.MapPost(path.Split('?')[0], async (HttpContext context) =>
        {
            using var buffer = new MemoryStream();
            await context.Request.Body.CopyToAsync(buffer, context.RequestAborted);
            var body = buffer.ToArray();
            var form = QueryHelpers.ParseQuery(System.Text.Encoding.UTF8.GetString(body)).ToDictionary(p => p.Key, p => p.Value.ToString());
            var headers = context.Request.Headers;
            receiver._received.Writer.TryWrite(new ReceivedCallback(body, form, headers[CallbackHeaders.Timestamp], headers[CallbackHeaders.Signature],
                headers[CallbackHeaders.IdempotencyKey], context.Request.ContentType));
            if (receiver.Hangs)
            {
                await Task.Delay(Timeout.Infinite, context.RequestAborted);
            }

            return Results.StatusCode(receiver.Answers.TryDequeue(out var status) ? status : receiver.DefaultAnswer);
        });
        await app.StartAsync(TestContext.Current.CancellationToken);
        var address = new Uri(app.Urls.First());
        receiver.Url = new Uri($"http://127.0.0.1:{address.Port}{path}");
        return receiver;
    }

    /// <summary>The next request; the time limit only keeps a broken test from hanging.</summary>
    public async Task<ReceivedCallback> NextAsync()
    {
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        limit.CancelAfter(TimeSpan.FromSeconds(60));
        return await _received.Reader.ReadAsync(limit.Token);
    }

    /// <summary>Whether a request is waiting that has not been read.</summary>
    public bool HasMore => _received.Reader.TryPeek(out _);

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
