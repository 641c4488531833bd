using System.Text.Encodings.Web;
using System.Text.Json;
using DeviceFeatures.Protocol.Envelope;
using DeviceFeatures.Protocol.Parameters;
using DeviceFeatures.Protocol.Status;
using DeviceFeatures.Server.Emulator.Faults;
using DeviceFeatures.Server.Emulator.Journal;
using DeviceFeatures.Server.Observability;

namespace DeviceFeatures.Server.Wire;

/// <summary>
/// An answer of the wire API: always HTTP 200 with the Withings envelope. The body is written straight to the
/// response pipe.
/// </summary>
internal sealed class WireResult : IResult
{
    // Answers go to API clients, not into HTML, so apostrophes and accents stay readable in error texts.
    private static readonly JsonWriterOptions WriterOptions = new() { SkipValidation = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
    [ThreadStatic]
    private static Utf8JsonWriter? t_writer;

    private readonly int _status;
    private readonly string? _error;
    private readonly Action<Utf8JsonWriter>? _writeBody;

    private WireResult(int status, string? error, Action<Utf8JsonWriter>? writeBody)
    {
        _status = status;
        _error = error;
        _writeBody = writeBody;
    }

    public static WireResult Success { get; } = new(WireStatus.Success, null, null);

    public int Status => _status;

    public string? Error => _error;

    public static WireResult Ok(Action<Utf8JsonWriter> writeBody) => new(WireStatus.Success, null, writeBody);

    public static WireResult Refuse(int status, string error) => new(status, error, null);

    public static WireResult Refuse(int status, string error, Action<Utf8JsonWriter> writeBody) => new(status, error, writeBody);

    /// <summary>
    /// Counts the answer in <c>devicefeatures.wire.requests</c>, writes it, and records it in the request journal. Every
    /// wire answer passes here, the pipeline's, the fallback's (2554) and the last-resort handler's (522, 2556), so none
    /// escapes the metric or the journal.
    /// </summary>
    public async Task ExecuteAsync(HttpContext httpContext)
    {
        var labels = httpContext.Features.Get<WireAnswerLabels>();
        if (labels is not null)
        {
            labels.Metrics.Answered(labels.Service, labels.Action, _status);
        }
        else
        {
            // Outside the pipeline (an unknown service, a failure before it ran): no caller-chosen name is a label.
            httpContext.RequestServices.GetRequiredService<ServerMetrics>().Answered(WireAnswerLabels.Other, WireAnswerLabels.Other, _status);
        }

        var response = httpContext.Response;
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = "application/json";
        try
        {
            if (labels?.Fault?.Answer?.SlowBodyMs is { } slowMs)
            {
                await WriteSlowlyAsync(httpContext, slowMs).ConfigureAwait(false);
                return;
            }

            // The JSON writer is kept per thread and only used synchronously: the bytes are handed to the response
            // pipe before anything is awaited.
            var writer = t_writer ??= new Utf8JsonWriter(Stream.Null, WriterOptions);
            writer.Reset(response.BodyWriter);
            try
            {
                WireEnvelope.Write(writer, _status, _error, _writeBody, static (w, body) => body?.Invoke(w));
                writer.Flush();
            }
            finally
            {
                writer.Reset(Stream.Null);
            }

            await response.BodyWriter.FlushAsync(httpContext.RequestAborted).ConfigureAwait(false);
        }
        finally
        {
            var journal = labels?.Journal ?? httpContext.RequestServices.GetRequiredService<RequestJournal>();
            if (journal.Enabled)
            {
                await journal.RecordAsync(httpContext, labels, _status, _error, StatusCodes.Status200OK).ConfigureAwait(false);
            }
        }
    }

    /// <summary>An injected slow body: the envelope's first half, a wait (real time, not the server's clock), then the rest.</summary>
    private async Task WriteSlowlyAsync(HttpContext httpContext, int slowMs)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer, WriterOptions))
        {
            WireEnvelope.Write(writer, _status, _error, _writeBody, static (w, body) => body?.Invoke(w));
        }

        var bytes = buffer.WrittenMemory;
        var half = bytes.Length / 2;
        var body = httpContext.Response.Body;
        await body.WriteAsync(bytes[..half], httpContext.RequestAborted).ConfigureAwait(false);
        await body.FlushAsync(httpContext.RequestAborted).ConfigureAwait(false);
        await Task.Delay(slowMs, httpContext.RequestAborted).ConfigureAwait(false);
        await body.WriteAsync(bytes[half..], httpContext.RequestAborted).ConfigureAwait(false);
        await body.FlushAsync(httpContext.RequestAborted).ConfigureAwait(false);
    }

    public override string ToString() => _error is null ? $"status {_status}" : $"status {_status}: {_error}";
}

/// <summary>
/// What the answer of a wire request needs to know of it, carried by the request from the moment the pipeline knows
/// it: the service of the route and the action once found (the metric's labels), the parameters, when it started,
/// and the fault rule that chose or slowed its answer (the journal's entry).
/// </summary>
internal sealed class WireAnswerLabels(ServerMetrics metrics, string service)
{
    // The label for anything that is not a service or action of the table: callers must not grow the series at will.
    public const string Other = "other";

    public ServerMetrics Metrics { get; } = metrics;

    public string Service { get; } = service;

    public string Action { get; set; } = Other;

    public RequestJournal? Journal { get; init; }

    public long Started { get; init; }

    public DateTimeOffset ArrivedAt { get; init; }

    public WireParameters? Parameters { get; set; }

    public FaultHit? Fault { get; set; }

    /// <summary>
    /// The partner whose credentials (signature, client secret or access token) this request proved, once checked; null
    /// before, or when they did not check. The journal keeps a partner's own ring for such requests only.
    /// </summary>
    public string? AuthenticatedClientId { get; private set; }

    public void Authenticated(string clientId) => AuthenticatedClientId = clientId;
}
