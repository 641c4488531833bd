using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using DeviceFeatures.Protocol.Envelope;
using DeviceFeatures.Protocol.Signing;

namespace DeviceFeatures.Load;

/// <summary>A partner's credentials, as the admin API answered them (or as given for a pre-seeded database).</summary>
internal sealed record PartnerCredentials(string ClientId, string ClientSecret)
{
    /// <summary>The secret keyed once, as a client that signs many calls would keep it (the SDK does).</summary>
    public WithingsSigner Signer { get; } = new(ClientSecret);
}

/// <summary>
/// Hands out users in turn. The n-th call over a user is an enable when n is even and a disable when it is odd, so
/// that every device call of the feature flow changes a stored choice (a repeated choice would be a cheaper no-op).
/// </summary>
internal sealed class UserCursor(int count, Func<int, int> userAt)
{
    private long _next = -1;

    public int Count => count;

    public (int UserId, bool Enable) Next()
    {
        var n = Interlocked.Increment(ref _next);
        return (userAt((int)(n % count)), n / count % 2 == 0);
    }
}

/// <summary>Where a workload sends its requests, signed as which partner, over which users.</summary>
internal sealed record LoadTarget(Uri BaseAddress, PartnerCredentials Partner, UserCursor Users);

/// <summary>
/// One connection's worth of load: sends one operation at a time and records what it measured. Requests are built
/// as small form bodies and answers are read into a reused buffer, to keep the generator's own cost low, since it
/// shares the machine's cores with the server it measures.
/// </summary>
internal sealed class WireWorker
{
    public const string Feature = "feature_eyes_closed_mode";
    public const int Model = 17;
    private static readonly byte[] SuccessPrefix = "{\"status\":0,"u8.ToArray();
    private static readonly byte[] NonceMarker = "\"nonce\":\""u8.ToArray();

    private readonly HttpClient _http;
    private readonly LoadTarget _target;
    private readonly ErrorTally _errors;
    private readonly ErrorTally _warmupErrors;
    private readonly Uri _health;
    private readonly Uri _signature;
    private readonly Uri _device;
    private readonly byte[] _buffer = new byte[16 * 1024];
    private bool _measuring;

    public WireWorker(HttpClient http, LoadTarget target, ErrorTally errors, ErrorTally warmupErrors)
    {
        _http = http;
        _target = target;
        _errors = errors;
        _warmupErrors = warmupErrors;
        _health = new Uri(target.BaseAddress, "/health/live");
        _signature = new Uri(target.BaseAddress, "/v2/signature");
        _device = new Uri(target.BaseAddress, "/v2/device");
    }

    public LatencyRecorder Measured { get; } = new();

    public LatencyRecorder Flow { get; } = new();

    public LatencyRecorder Nonce { get; } = new();

    public long Operations { get; private set; }

    public long Requests { get; private set; }

    /// <summary>Runs operations until <paramref name="measureTo"/>; those that start at or after <paramref name="measureFrom"/> are counted.</summary>
    public async Task RunAsync(Workload workload, long measureFrom, long measureTo, CancellationToken cancellationToken)
    {
        for (long i = 0; i < LoadLimits.MaxOperationsPerWorker && !cancellationToken.IsCancellationRequested; i++)
        {
            var now = Stopwatch.GetTimestamp();
            if (now >= measureTo)
            {
                return;
            }

            _measuring = now >= measureFrom;
            try
            {
                await RunOnceAsync(workload, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
        }
    }

    private async Task RunOnceAsync(Workload workload, CancellationToken cancellationToken)
    {
        var start = Stopwatch.GetTimestamp();
        if (workload.Kind == WorkloadKind.Health)
        {
            var answer = await SendAsync(HttpMethod.Get, _health, null, cancellationToken).ConfigureAwait(false);
            Count(1);
            Record(Measured, answer.Ticks);
            if (answer.Failure is not null || answer.HttpStatus != 200)
            {
                Fail(answer.Failure ?? $"HTTP {answer.HttpStatus} from /health/live");
            }

            return;
        }

        var (nonce, nonceTicks) = await GetNonceAsync(cancellationToken).ConfigureAwait(false);
        if (workload.Kind == WorkloadKind.GetNonce)
        {
            Count(1);
            Record(Measured, nonceTicks);
            return;
        }

        Record(Nonce, nonceTicks);
        if (nonce is null)
        {
            // The device call cannot be made without a nonce: the operation ends with one request, failed.
            Count(1);
            return;
        }

        var (userId, enable) = _target.Users.Next();
        var action = workload.Kind == WorkloadKind.GetFeaturesFlow ? "getfeatures" : enable ? "enablefeature" : "disablefeature";
        var signature = _target.Partner.Signer.SignCall(action, _target.Partner.ClientId, nonce);
        var userText = userId.ToString(CultureInfo.InvariantCulture);
        var body = workload.Kind == WorkloadKind.GetFeaturesFlow
            ? $"action={action}&client_id={_target.Partner.ClientId}&nonce={nonce}&signature={signature}&userid={userText}&model={Model}"
            : $"action={action}&client_id={_target.Partner.ClientId}&nonce={nonce}&signature={signature}&feature_name={Feature}&userid={userText}&model={Model}";
        var device = await SendAsync(HttpMethod.Post, _device, Encoding.ASCII.GetBytes(body), cancellationToken).ConfigureAwait(false);
        Count(2);
        Record(Measured, device.Ticks);
        Record(Flow, Stopwatch.GetTimestamp() - start);
        CheckWire(device, action);
    }

    private async Task<(string? Nonce, long Ticks)> GetNonceAsync(CancellationToken cancellationToken)
    {
        var partner = _target.Partner;
        var timestamp = TimeProvider.System.GetUtcNow().ToUnixTimeSeconds();
        var signature = partner.Signer.SignNonceRequest(partner.ClientId, timestamp);
        var body = Encoding.ASCII.GetBytes(
            $"action=getnonce&client_id={partner.ClientId}&timestamp={timestamp.ToString(CultureInfo.InvariantCulture)}&signature={signature}");
        var answer = await SendAsync(HttpMethod.Post, _signature, body, cancellationToken).ConfigureAwait(false);
        if (!CheckWire(answer, "getnonce"))
        {
            return (null, answer.Ticks);
        }

        var span = _buffer.AsSpan(0, answer.Length);
        var at = span.IndexOf(NonceMarker);
        var end = at < 0 ? -1 : span[(at + NonceMarker.Length)..].IndexOf((byte)'"');
        if (end <= 0)
        {
            Fail("getnonce answered status 0 without a nonce");
            return (null, answer.Ticks);
        }

        return (Encoding.ASCII.GetString(span.Slice(at + NonceMarker.Length, end)), answer.Ticks);
    }

    /// <summary>Counts an error unless the answer is HTTP 200 with in-body status 0.</summary>
    private bool CheckWire(Answer answer, string action)
    {
        if (answer.Failure is not null)
        {
            Fail($"{action}: {answer.Failure}");
            return false;
        }

        if (answer.HttpStatus != 200)
        {
            Fail($"{action}: HTTP {answer.HttpStatus}");
            return false;
        }

        var body = _buffer.AsSpan(0, answer.Length);
        if (body.StartsWith(SuccessPrefix))
        {
            return true;
        }

        var parsed = WireEnvelope.TryParse(body);
        Fail(parsed is null
            ? $"{action}: not a Withings envelope: {Encoding.UTF8.GetString(body[..Math.Min(body.Length, 80)])}"
            : $"{action}: status {parsed.Status}: {parsed.Error}");
        return false;
    }

    private async Task<Answer> SendAsync(HttpMethod method, Uri uri, byte[]? form, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(method, uri) { Version = HttpVersion.Version11, VersionPolicy = HttpVersionPolicy.RequestVersionExact };
        if (form is not null)
        {
            request.Content = new ByteArrayContent(form);
            request.Content.Headers.TryAddWithoutValidation("Content-Type", "application/x-www-form-urlencoded");
        }

        var start = Stopwatch.GetTimestamp();
        try
        {
            using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
            var stream = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
            await using (stream.ConfigureAwait(false))
            {
                var length = 0;
                var overflow = false;
                while (true)
                {
                    // An answer larger than the buffer is drained (so the connection can be reused) and counted as an error.
                    var room = overflow ? _buffer.AsMemory() : _buffer.AsMemory(length);
                    var read = await stream.ReadAsync(room, cancellationToken).ConfigureAwait(false);
                    if (read == 0)
                    {
                        break;
                    }

                    if (!overflow)
                    {
                        length += read;
                        overflow = length == _buffer.Length;
                    }
                }

                var ticks = Stopwatch.GetTimestamp() - start;
                return new Answer((int)response.StatusCode, length, ticks, overflow ? $"answer larger than {_buffer.Length} bytes" : null);
            }
        }
        catch (HttpRequestException ex)
        {
            return new Answer(0, 0, Stopwatch.GetTimestamp() - start, $"transport error: {ex.HttpRequestError} {ex.Message}");
        }
        catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return new Answer(0, 0, Stopwatch.GetTimestamp() - start, $"no answer within {LoadLimits.RequestTimeout.TotalSeconds:0} s");
        }
        catch (IOException ex)
        {
            return new Answer(0, 0, Stopwatch.GetTimestamp() - start, $"transport error: {ex.Message}");
        }
    }

    private void Record(LatencyRecorder recorder, long ticks)
    {
        if (_measuring)
        {
            recorder.Record(ticks);
        }
    }

    private void Count(int requests)
    {
        if (_measuring)
        {
            Operations++;
            Requests += requests;
        }
    }

    private void Fail(string kind) => (_measuring ? _errors : _warmupErrors).Add(kind);

    private readonly record struct Answer(int HttpStatus, int Length, long Ticks, string? Failure);
}
