using System.Text.Encodings.Web;
using System.Text.Json;
using DeviceFeatures.Protocol.Envelope;
using DeviceFeatures.Protocol.Status;
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
    /// Counts the answer in <c>devicefeatures.wire.requests</c> and writes it. Every wire answer passes here, the
    /// pipeline's, the fallback's (2554) and the last-resort handler's (522, 2556), so none escapes the metric.
    /// </summary>
    public async Task ExecuteAsync(HttpContext httpContext)
    {
        if (httpContext.Features.Get<WireAnswerLabels>() is { } labels)
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

    public override string ToString() => _error is null ? $"status {_status}" : $"status {_status}: {_error}";
}

/// <summary>
/// The labels of a wire answer in the metric, carried by the request from the moment the pipeline knows them: the
/// service of the route, and the action once it is found in the table.
/// </summary>
internal sealed class WireAnswerLabels(ServerMetrics metrics, string service)
{
    // The label for anything that is not a service or action of the table: callers must not grow the series at will.
    public const string Other = "other";

    public ServerMetrics Metrics { get; } = metrics;

    public string Service { get; } = service;

    public string Action { get; set; } = Other;
}
