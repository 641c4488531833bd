using System.Diagnostics.Metrics;
using System.Globalization;
using System.Net.Sockets;
using System.Text;
using DeviceFeatures.Protocol.Callbacks;
using DeviceFeatures.Server.Observability;
using DeviceFeatures.Server.Partners;
using DeviceFeatures.Server.Storage;
using Microsoft.Extensions.Options;

namespace DeviceFeatures.Server.ChangeEvents;

/// <summary>
/// Delivers the outbox's change events to partners' callback URLs, at least once: woken after a commit that wrote
/// events (<see cref="ChangeEventSignal"/>) and every poll interval for events whose retry is due. Each pass claims a
/// batch with a lease, sends it outside any transaction, and records each outcome: delivered on a 2xx; otherwise the
/// next attempt on the schedule, or parked after the last. Everything it needs is in the database, so pending events
/// survive a restart and are delivered by whichever instance claims them first. An outcome is recorded only under the
/// claim it was sent under, and a send starts only while the lease outlasts its timeout: two instances never send the
/// same attempt at once, and an attempt is counted once. A kill during a send leaves the claim behind: on SQLite (one
/// instance) the dispatcher clears it when it starts; on PostgreSQL the event is claimed again once the lease is over.
/// </summary>
internal sealed partial class CallbackDispatcher(
    IFeatureStore store,
    PartnerDirectory partners,
    IHttpClientFactory httpClients,
    ChangeEventSignal signal,
    CallbackMetrics metrics,
    IOptions<CallbackOptions> options,
    IOptions<StorageOptions> storage,
    TimeProvider time,
    ILogger<CallbackDispatcher> logger) : BackgroundService
{
    public const string HttpClientName = "DeviceFeatures.Callbacks";

    private readonly IReadOnlyList<TimeSpan> _delays = options.Value.Delays ?? throw new InvalidOperationException("Callbacks:RetrySchedule cannot be read.");

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var poll = TimeSpan.FromSeconds(options.Value.PollIntervalSeconds);
        if (!storage.Value.IsPostgres)
        {
            await ReleaseClaimsAsync(stoppingToken).ConfigureAwait(false);
        }

        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                // A full pass may have left more due events behind it: look again at once.
                if (await DeliverDueAsync(stoppingToken).ConfigureAwait(false) > 0)
                {
                    continue;
                }
            }
            catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
            {
                LogPassFailed(ex.GetType().Name, ex.Message);
            }

            try
            {
                await signal.WaitAsync(poll, time, stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
        }
    }

    /// <summary>
    /// SQLite serves one instance: a claim found at start was left by this server killed during a send, and waiting
    /// for its lease would only delay the event. Retried until it succeeds (the database may not be there yet).
    /// </summary>
    private async Task ReleaseClaimsAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                var released = await store.WriteAsync(s => s.ReleaseChangeEventClaimsAsync(), stoppingToken).ConfigureAwait(false);
                if (released > 0)
                {
                    LogClaimsReleased(released);
                }

                return;
            }
            catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
            {
                LogPassFailed(ex.GetType().Name, ex.Message);
            }

            try
            {
                await Task.Delay(TimeSpan.FromSeconds(options.Value.PollIntervalSeconds), time, stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
        }
    }

    /// <summary>One pass: claims the due events and delivers them together; the number claimed.</summary>
    internal async Task<int> DeliverDueAsync(CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        var o = options.Value;
        var claimed = await store.WriteAsync(
            s => s.ClaimDueChangeEventsAsync(now, now + (o.LeaseSeconds * 1000L), o.BatchSize), cancellationToken).ConfigureAwait(false);
        if (claimed.Count > 0)
        {
            await Task.WhenAll(claimed.Select(e => DeliverOneAsync(e, cancellationToken))).ConfigureAwait(false);
        }

        return claimed.Count;
    }

    /// <summary>
    /// Delivers one event; whatever goes wrong is this event's failed attempt, never the batch's: an event that always
    /// breaks the dispatcher is still counted, and parked at the end of its schedule, instead of being claimed forever.
    /// </summary>
    private async Task DeliverOneAsync(ChangeEventRow e, CancellationToken cancellationToken)
    {
        try
        {
            await DeliverAsync(e, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
        {
            // The kind only: a message may quote the URL. The event keeps its claim if even this cannot be written.
            LogDeliveryBroke(e.EventId, e.Type, ex.GetType().Name);
            try
            {
                await RecordAsync(e, null, $"internal error ({ex.GetType().Name})", park: false, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception again) when (!cancellationToken.IsCancellationRequested)
            {
                LogPassFailed(again.GetType().Name, again.Message);
            }
        }
    }

    private async Task DeliverAsync(ChangeEventRow e, CancellationToken cancellationToken)
    {
        var partner = await store.ReadAsync(s => s.FindPartnerAsync(e.ClientId), cancellationToken).ConfigureAwait(false);
        if (partner?.CallbackUrl is not { } url || !Uri.TryCreate(url, UriKind.Absolute, out var target))
        {
            // Cleared between the claim and now (clearing parks pending events; this is the race's other side).
            await RecordAsync(e, null, "the partner has no callback URL", park: true, cancellationToken).ConfigureAwait(false);
            return;
        }

        var credentials = await partners.FindAsync(e.ClientId, cancellationToken).ConfigureAwait(false);
        if (credentials is null)
        {
            // Without the secret there is no signature: a failed attempt, so that the schedule ends it.
            await RecordAsync(e, target, "the partner's secret could not be read", park: false, cancellationToken).ConfigureAwait(false);
            return;
        }

        // A send starts only if its timeout ends before the lease does: past the lease, another instance may send it too.
        if (time.GetUtcNow().ToUnixTimeMilliseconds() + (long)options.Value.Timeout.TotalMilliseconds >= e.ClaimedUntil)
        {
            LogLeaseTooShort(e.EventId, e.Type);
            return;
        }

        var body = Encoding.UTF8.GetBytes(FormBody(e));
        var timestamp = time.GetUtcNow().ToUnixTimeSeconds();
        using var request = new HttpRequestMessage(HttpMethod.Post, target) { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new("application/x-www-form-urlencoded");
        request.Headers.Add(CallbackHeaders.Timestamp, timestamp.ToString(CultureInfo.InvariantCulture));
        request.Headers.Add(CallbackHeaders.Signature, CallbackSigning.Sign(credentials.Secret, timestamp, body));
        request.Headers.Add(CallbackHeaders.IdempotencyKey, e.EventId);

        string? error;
        int? status = null;
        try
        {
            using var http = httpClients.CreateClient(HttpClientName);
            using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
            status = (int)response.StatusCode;
            error = response.IsSuccessStatusCode ? null : $"HTTP {status}";
        }
        catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            error = $"no answer within {options.Value.TimeoutSeconds.ToString(CultureInfo.InvariantCulture)} s";
        }
        catch (HttpRequestException ex)
        {
            // The kind of failure only: an exception's message may quote the URL.
            error = ex.InnerException is SocketException socket ? $"connection failed ({socket.SocketErrorCode})" : $"request failed ({ex.HttpRequestError})";
        }

        await RecordAsync(e, target, error, park: false, cancellationToken, status).ConfigureAwait(false);
    }

    private async Task RecordAsync(ChangeEventRow e, Uri? target, string? error, bool park, CancellationToken cancellationToken, int? status = null)
    {
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        var host = target?.Authority ?? "(none)";
        var claim = e.ClaimedUntil ?? throw new InvalidOperationException("A change event is recorded only under the claim it was sent under.");
        if (error is null)
        {
            if (await store.WriteAsync(s => s.ChangeEventDeliveredAsync(e.EventId, claim, now), CancellationToken.None).ConfigureAwait(false) == 0)
            {
                LogNotRecorded(e.EventId, e.Type, "delivered");
                return;
            }

            metrics.Delivered(e.Type);
            LogDelivered(e.EventId, e.Type, host, status ?? 0, e.Attempts + 1);
            return;
        }

        // Attempts counts the ones made before this one; _delays[n - 1] follows the n-th failure.
        var attempt = e.Attempts + 1;
        park |= attempt > _delays.Count;
        var next = park ? now : now + (long)_delays[attempt - 1].TotalMilliseconds;
        if (await store.WriteAsync(s => s.ChangeEventFailedAsync(e.EventId, claim, park, next, error), CancellationToken.None).ConfigureAwait(false) == 0)
        {
            LogNotRecorded(e.EventId, e.Type, error);
            return;
        }

        metrics.Failed(e.Type);
        if (park)
        {
            metrics.Parked(e.Type);
            LogParked(e.EventId, e.Type, host, error, attempt);
        }
        else
        {
            LogFailed(e.EventId, e.Type, host, error, attempt, DateTimeOffset.FromUnixTimeMilliseconds(next));
        }
    }

    /// <summary>The form: Withings' notification fields first (<c>userid</c>, <c>appli</c>), then the event's.</summary>
    internal static string FormBody(ChangeEventRow e)
    {
        var fields = new List<KeyValuePair<string, string>>
        {
            new("userid", Text(e.UserId)),
            new("appli", ChangeEventNames.Appli.ToString(CultureInfo.InvariantCulture)),
            new("event", e.Type),
            new("event_id", e.EventId),
            new("date", (e.CreatedAt / 1000).ToString(CultureInfo.InvariantCulture)),
            new("model", Text(e.Model)),
            new("feature_name", e.FeatureName ?? ""),
            new("active", e.Active is { } active ? (active ? "1" : "0") : ""),
        };
        if (e.Devices is not null)
        {
            fields.Add(new("devices", e.Devices));
        }

        if (e.MacAddress is not null)
        {
            fields.Add(new("mac_address", e.MacAddress));
            fields.Add(new("version", Text(e.Version)));
        }

        if (e.Reason is not null)
        {
            fields.Add(new("reason", e.Reason));
        }

        return string.Join('&', fields.Select(f => Uri.EscapeDataString(f.Key) + "=" + Uri.EscapeDataString(f.Value)));
    }

    private static string Text(long? value) => value?.ToString(CultureInfo.InvariantCulture) ?? "";

    private static string Text(int? value) => value?.ToString(CultureInfo.InvariantCulture) ?? "";

    // The host only: a callback URL's path or query may carry the partner's own token.
    [LoggerMessage(Level = LogLevel.Information, Message = "Change event {EventId} ({Type}) delivered to {Host}: HTTP {Status}, attempt {Attempt}")]
    private partial void LogDelivered(string eventId, string type, string host, int status, int attempt);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Change event {EventId} ({Type}) to {Host} failed: {Error}, attempt {Attempt}; next attempt at {Next:O}")]
    private partial void LogFailed(string eventId, string type, string host, string error, int attempt, DateTimeOffset next);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Change event {EventId} ({Type}) to {Host} parked after attempt {Attempt}: {Error}; an operator can replay it")]
    private partial void LogParked(string eventId, string type, string host, string error, int attempt);

    [LoggerMessage(Level = LogLevel.Warning,
        Message = "Change event {EventId} ({Type}): outcome '{Outcome}' not recorded, the event is no longer pending under this claim (parked, replayed, or claimed again after the lease)")]
    private partial void LogNotRecorded(string eventId, string type, string outcome);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Change event {EventId} ({Type}) not sent: too little of the lease is left for the timeout; it is sent once claimed again")]
    private partial void LogLeaseTooShort(string eventId, string type);

    [LoggerMessage(Level = LogLevel.Error, Message = "Delivering change event {EventId} ({Type}) failed unexpectedly ({Kind}); counted as a failed attempt")]
    private partial void LogDeliveryBroke(string eventId, string type, string kind);

    [LoggerMessage(Level = LogLevel.Information, Message = "Released the claims of {Count} pending change event(s) left by a server stopped during a send")]
    private partial void LogClaimsReleased(int count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "A pass of the change event dispatcher failed ({Kind}: {Message}); it tries again at the next poll")]
    private partial void LogPassFailed(string kind, string message);
}

/// <summary>The dispatcher's instruments, in the server's meter.</summary>
internal sealed class CallbackMetrics
{
    private readonly Counter<long> _delivered;
    private readonly Counter<long> _failed;
    private readonly Counter<long> _parked;

    public CallbackMetrics(IMeterFactory meterFactory)
    {
        var meter = meterFactory.Create(ServerMetrics.MeterName);
        _delivered = meter.CreateCounter<long>("devicefeatures.callbacks.delivered", "{event}", "Change events a partner acknowledged with a 2xx, by type");
        _failed = meter.CreateCounter<long>("devicefeatures.callbacks.failed", "{attempt}", "Failed delivery attempts of change events, by type");
        _parked = meter.CreateCounter<long>("devicefeatures.callbacks.parked", "{event}", "Change events parked after their last attempt, by type");
    }

    public void Delivered(string type) => _delivered.Add(1, new KeyValuePair<string, object?>("type", type));

    public void Failed(string type) => _failed.Add(1, new KeyValuePair<string, object?>("type", type));

    public void Parked(string type) => _parked.Add(1, new KeyValuePair<string, object?>("type", type));
}

internal static class ChangeEventServiceCollectionExtensions
{
    public static IServiceCollection AddChangeEvents(this IServiceCollection services)
    {
        services.AddOptions<CallbackOptions>().BindConfiguration(CallbackOptions.SectionName).ValidateDataAnnotations()
            .Validate(o => o.Delays is not null, "Callbacks:RetrySchedule must be delays separated by commas, e.g. 0s,10s,1m,1h,4h.")
            .Validate(o => o.LeaseSeconds >= o.TimeoutSeconds + CallbackOptions.LeaseMarginSeconds,
                $"Callbacks:LeaseSeconds must exceed Callbacks:TimeoutSeconds by at least {CallbackOptions.LeaseMarginSeconds} s: an instance must finish a send, and record it, before another may claim the event.")
            .ValidateOnStart();
        services.AddSingleton<ChangeEventSignal>();
        services.AddSingleton<ChangeEventWriter>();
        services.AddSingleton<CallbackMetrics>();

        // No redirects: a 3xx is an answer other than 2xx, so a failure, and a signed body never goes where it was not sent.
        services.AddHttpClient(CallbackDispatcher.HttpClientName, (sp, http) => http.Timeout = sp.GetRequiredService<IOptions<CallbackOptions>>().Value.Timeout)
            .ConfigurePrimaryHttpMessageHandler(() => new SocketsHttpHandler { AllowAutoRedirect = false, UseCookies = false })

            // The factory's own loggers write the whole URL, query included; the dispatcher logs the host.
            .RemoveAllLoggers();
        services.AddHostedService<CallbackDispatcher>();
        return services;
    }
}
