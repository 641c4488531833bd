using DeviceFeatures.Protocol.Parameters;
using DeviceFeatures.Server.Emulator;
using DeviceFeatures.Server.Emulator.Faults;
using DeviceFeatures.Server.Emulator.Journal;
using DeviceFeatures.Server.OAuth;
using DeviceFeatures.Server.Observability;
using DeviceFeatures.Server.Partners;
using DeviceFeatures.Server.Signature;
using DeviceFeatures.Server.Storage;

namespace DeviceFeatures.Server.Wire;

/// <summary>A web service under <c>/v2</c>: its name and the actions it answers.</summary>
internal sealed class WireService(string name, WireAction[] actions)
{
    public string Name { get; } = name;

    public string Path { get; } = "/v2/" + name;

    public IReadOnlyList<WireAction> Actions => actions;

    public WireAction? Find(string action)
    {
        // The parser hands out the shared string for every known action, so the reference usually matches.
        foreach (var candidate in actions)
        {
            if (ReferenceEquals(candidate.Name, action) || string.Equals(candidate.Name, action, StringComparison.Ordinal))
            {
                return candidate;
            }
        }

        return null;
    }
}

/// <summary>One line of the table: an action's name, how it is authenticated, and its handler.</summary>
internal abstract class WireAction(string name)
{
    public string Name { get; } = name;

    /// <summary>How a caller proves who it is, which decides the parameters the API description lists.</summary>
    public abstract WireAuthentication Authentication { get; }

    public abstract Task<WireResult> RunAsync(WirePipeline pipeline, WireParameters parameters, HttpContext context);

    /// <summary>An action signed over a nonce, run in the write transaction that spends the nonce.</summary>
    public static WireAction Signed<TParams>(string name, ISignedHandler<TParams> handler) => new SignedAction<TParams>(name, handler);

    /// <summary>An action signed over a timestamp (<c>getnonce</c>), which writes nothing.</summary>
    public static WireAction TimestampSigned(string name, ITimestampSignedHandler handler) => new TimestampSignedAction(name, handler);

    /// <summary>
    /// An action authenticated by <c>client_id</c> and <c>client_secret</c> (OAuth 2's token endpoint), not signed and
    /// without a nonce, run in a write transaction of its own.
    /// </summary>
    public static WireAction ClientSecret<TParams>(string name, IClientSecretHandler<TParams> handler) => new ClientSecretAction<TParams>(name, handler);

    /// <summary>
    /// An action Withings accepts in two forms: with <c>client_secret</c> (run as <see cref="ClientSecret{TParams}"/>), or
    /// signed over a nonce instead (run as <see cref="Signed{TParams}"/>, the nonce spent in the handler's transaction).
    /// A request carrying a <c>signature</c> and no <c>client_secret</c> is the signed form.
    /// </summary>
    public static WireAction ClientSecretOrSigned<THandler, TParams>(string name, THandler handler)
        where THandler : IClientSecretHandler<TParams>, ISignedHandler<TParams> =>
        new ClientSecretOrSignedAction<TParams>(name, handler, handler);

    /// <summary>An action authenticated by an access token (<c>Authorization: Bearer</c>), which reads only.</summary>
    public static WireAction Bearer<TParams>(string name, IBearerHandler<TParams> handler) => new BearerAction<TParams>(name, handler);

    private sealed class SignedAction<TParams>(string name, ISignedHandler<TParams> handler) : WireAction(name)
    {
        public override WireAuthentication Authentication => WireAuthentication.Signed;

        public override Task<WireResult> RunAsync(WirePipeline pipeline, WireParameters parameters, HttpContext context) =>
            pipeline.RunSignedAsync(Name, handler, parameters, context.TraceIdentifier, context.RequestAborted, context.Features.Get<WireAnswerLabels>());
    }

    private sealed class TimestampSignedAction(string name, ITimestampSignedHandler handler) : WireAction(name)
    {
        public override WireAuthentication Authentication => WireAuthentication.TimestampSigned;

        public override Task<WireResult> RunAsync(WirePipeline pipeline, WireParameters parameters, HttpContext context) =>
            pipeline.RunTimestampSignedAsync(Name, handler, parameters, context.RequestAborted, context.Features.Get<WireAnswerLabels>());
    }

    private sealed class ClientSecretAction<TParams>(string name, IClientSecretHandler<TParams> handler) : WireAction(name)
    {
        public override WireAuthentication Authentication => WireAuthentication.ClientSecret;

        public override Task<WireResult> RunAsync(WirePipeline pipeline, WireParameters parameters, HttpContext context) =>
            pipeline.RunClientSecretAsync(handler, parameters, context.TraceIdentifier, context.RequestAborted, context.Features.Get<WireAnswerLabels>());
    }

    private sealed class ClientSecretOrSignedAction<TParams>(string name, IClientSecretHandler<TParams> bySecret, ISignedHandler<TParams> bySignature)
        : WireAction(name)
    {
        public override WireAuthentication Authentication => WireAuthentication.ClientSecretOrSigned;

        public override Task<WireResult> RunAsync(WirePipeline pipeline, WireParameters parameters, HttpContext context) =>
            !parameters.TryGet(WireParameterNames.ClientSecret, out _) && parameters.TryGet(WireParameterNames.Signature, out _)
                ? pipeline.RunSignedAsync(Name, bySignature, parameters, context.TraceIdentifier, context.RequestAborted, context.Features.Get<WireAnswerLabels>())
                : pipeline.RunClientSecretAsync(bySecret, parameters, context.TraceIdentifier, context.RequestAborted, context.Features.Get<WireAnswerLabels>());
    }

    private sealed class BearerAction<TParams>(string name, IBearerHandler<TParams> handler) : WireAction(name)
    {
        public override WireAuthentication Authentication => WireAuthentication.Bearer;

        public override Task<WireResult> RunAsync(WirePipeline pipeline, WireParameters parameters, HttpContext context) =>
            pipeline.RunBearerAsync(handler, parameters, context.Request, context.TraceIdentifier, context.RequestAborted, context.Features.Get<WireAnswerLabels>());
    }
}

/// <summary>The ways a wire action is authenticated (<see cref="WireAction"/>'s factories).</summary>
internal enum WireAuthentication
{
    /// <summary><c>client_id</c>, <c>timestamp</c> and a signature over them (<c>getnonce</c>).</summary>
    TimestampSigned,

    /// <summary><c>client_id</c>, a <c>nonce</c> from <c>getnonce</c> and a signature over them.</summary>
    Signed,

    /// <summary><c>client_id</c> and <c>client_secret</c>.</summary>
    ClientSecret,

    /// <summary>Either <see cref="ClientSecret"/> or <see cref="Signed"/>.</summary>
    ClientSecretOrSigned,

    /// <summary><c>Authorization: Bearer</c> and an access token.</summary>
    Bearer,
}

/// <summary>The handler of an action authenticated by <c>client_id</c> and <c>client_secret</c>.</summary>
internal interface IClientSecretHandler<TParams>
{
    /// <summary>Reads the action's own parameters, without the database.</summary>
    (TParams Parameters, WireResult? Refusal) Read(WireParameters parameters);

    /// <summary>Runs the action in a write transaction, once the partner is authenticated, not suspended and counted.</summary>
    ValueTask<WireResult> HandleAsync(PartnerCredentials partner, TParams parameters, StoreSession session, string requestId);
}

/// <summary>The handler of an action authenticated by a user's access token.</summary>
internal interface IBearerHandler<TParams>
{
    /// <summary>Reads the action's own parameters, without the database.</summary>
    (TParams Parameters, WireResult? Refusal) Read(WireParameters parameters);

    /// <summary>Runs the action in a read of the database, for the user and partner the token was given to.</summary>
    ValueTask<WireResult> HandleAsync(BearerCall call, TParams parameters, StoreSession session);
}

/// <summary>The handler of an action signed over a nonce.</summary>
internal interface ISignedHandler<TParams>
{
    /// <summary>
    /// Reads the action's own parameters, without the database. A refusal is answered only after the nonce is spent
    /// and the suspension checked.
    /// </summary>
    (TParams Parameters, WireResult? Refusal) Read(WireParameters parameters);

    /// <summary>Runs the action inside the write transaction that has already recorded the nonce as used.</summary>
    ValueTask<WireResult> HandleAsync(SignedCall call, TParams parameters, SignedSession session);
}

/// <summary>
/// A signed handler that can also do its whole database work, the nonce's spending included, in one statement, where
/// the store runs device calls that way (<see cref="IFeatureStore.HasServerFunctions"/>): one round trip to
/// the database instead of one per statement. A call with invalid parameters or of a suspended partner takes the
/// ordinary way, which spends the nonce before the refusal.
/// </summary>
internal interface IOneStatementHandler<TParams> : ISignedHandler<TParams>
{
    /// <summary>Spends the nonce and does the action in one statement; null when the nonce was already used.</summary>
    ValueTask<WireResult?> HandleInOneStatementAsync(SignedCall call, TParams parameters, StoreSession statement);
}

/// <summary>The handler of an action signed over a timestamp; it runs once the partner is authenticated and counted.</summary>
internal interface ITimestampSignedHandler
{
    WireResult Handle(PartnerCredentials partner);
}

/// <summary>
/// The one path of every <c>/v2</c> request, in this order: read the parameters; find the action in the service's
/// table (2554 for an unknown one); let the emulator's fault rules answer instead, before anything changes;
/// authenticate (client, signature, quota, nonce or timestamp, suspension); for a
/// signed action, open one write transaction, spend the nonce, refuse a suspended partner or bad parameters, then
/// run the handler in that transaction (a client-secret action: its own transaction, no nonce; a bearer action: a
/// read, for the token's user); write the envelope, which counts the answer. See docs/architecture.md.
/// </summary>
internal sealed class WirePipeline(
    WireRequestReader reader,
    SignedRequestAuthenticator authenticator,
    OAuthAuthenticator oauth,
    IFeatureStore store,
    TimeProvider time,
    ServerMetrics metrics,
    FaultRegistry faults,
    EmulatorSwitch emulator,
    RequestJournal journal)
{
    public async Task HandleAsync(HttpContext context, WireService service)
    {
        // The labels go with the request, so that an answer written by the last-resort handler (522, 2556) is
        // counted under the action that failed, like every other answer (WireResult.ExecuteAsync counts them).
        var labels = new WireAnswerLabels(metrics, service.Name)
        {
            Journal = journal,
            Started = time.GetTimestamp(),
            ArrivedAt = journal.Enabled ? time.GetUtcNow() : default,
        };
        context.Features.Set(labels);
        var result = await AnswerAsync(context, service, labels).ConfigureAwait(false);

        // No result: a fault rule answered without an envelope (an HTTP status, or a dropped connection).
        if (result is not null)
        {
            await result.ExecuteAsync(context).ConfigureAwait(false);
        }
    }

    private async Task<WireResult?> AnswerAsync(HttpContext context, WireService service, WireAnswerLabels labels)
    {
        var parameters = await reader.ReadAsync(context.Request, context.RequestAborted).ConfigureAwait(false);
        labels.Parameters = parameters;
        if (parameters.Problem is { } problem)
        {
            return Refusals.Unreadable(problem);
        }

        if (!SignedRequestAuthenticator.TryGetRequired(parameters, WireParameterNames.Action, out var name, out var refusal))
        {
            return refusal!;
        }

        if (service.Find(name) is not { } action)
        {
            return Refusals.UnknownAction(service.Name, name);
        }

        labels.Action = action.Name;
        if (!faults.IsEmpty && emulator.Enabled)
        {
            parameters.TryGet(WireParameterNames.ClientId, out var clientId);
            if (faults.Draw(clientId, service.Name, action.Name) is { } hit)
            {
                labels.Fault = hit;
                var (answered, injected) = await InjectAsync(context, labels, hit).ConfigureAwait(false);
                if (answered)
                {
                    return injected;
                }
            }
        }

        return await action.RunAsync(this, parameters, context).ConfigureAwait(false);
    }

    /// <summary>
    /// A fault rule's answer, before authentication so that nothing is spent or changed: an envelope with its status,
    /// an HTTP status without an envelope, or a dropped connection. A slow body, or a rule that only waits, lets the
    /// request run (<see cref="WireResult.ExecuteAsync"/> writes the slow body). Waits are real time, whatever the
    /// server's clock: they are there to be felt by the partner's HTTP client.
    /// </summary>
    private async Task<(bool Answered, WireResult? Result)> InjectAsync(HttpContext context, WireAnswerLabels labels, FaultHit hit)
    {
        metrics.FaultInjected(FaultAnswers.MetricStatus(hit.Answer));
        if (hit.LatencyMs is { } latency)
        {
            await Task.Delay(latency, context.RequestAborted).ConfigureAwait(false);
        }

        switch (hit.Answer)
        {
            case { Status: { } status }:
                return (true, FaultAnswers.Envelope(hit.RuleId, status, hit.Answer.WaitSeconds));
            case { HttpStatus: { } http }:
                context.Response.StatusCode = http;
                context.Response.ContentLength = 0;
                await journal.RecordAsync(context, labels, null, null, http).ConfigureAwait(false);
                return (true, null);
            case { Drop: true }:
                await journal.RecordAsync(context, labels, null, null, null).ConfigureAwait(false);
                context.Abort();
                return (true, null);
            default:
                return (false, null);
        }
    }

    public async Task<WireResult> RunSignedAsync<TParams>(
        string action,
        ISignedHandler<TParams> handler,
        WireParameters parameters,
        string requestId,
        CancellationToken cancellationToken,
        WireAnswerLabels? labels = null)
    {
        var (call, refusal) = await authenticator.AuthenticateAsync(parameters, action, requestId, cancellationToken).ConfigureAwait(false);
        if (call is null)
        {
            return refusal!;
        }

        labels?.Authenticated(call.Partner.ClientId);

        var (read, invalid) = handler.Read(parameters);
        var started = time.GetTimestamp();
        if (invalid is null && !call.Partner.Suspended && store.HasServerFunctions && handler is IOneStatementHandler<TParams> oneStatement)
        {
            var answer = await store.WriteStatementAsync(async statement =>
            {
                if (await oneStatement.HandleInOneStatementAsync(call, read, statement).ConfigureAwait(false) is not { } handled)
                {
                    metrics.NonceRefused("used");
                    return Refusals.UsedNonce();
                }

                metrics.NonceUsed();
                return handled;
            }, cancellationToken).ConfigureAwait(false);
            metrics.WriteCommitted(time.GetElapsedTime(started));
            return answer;
        }

        var result = await store.WriteAsync(async storeSession =>
        {
            // Every request whose signature is good spends its nonce, even when it is refused afterwards.
            if (await SignedSession.TrySpendNonceAsync(storeSession, call).ConfigureAwait(false) is not { } session)
            {
                metrics.NonceRefused("used");
                return Refusals.UsedNonce();
            }

            metrics.NonceUsed();
            if (call.Partner.Suspended)
            {
                return Refusals.PartnerSuspended();
            }

            if (invalid is not null)
            {
                return invalid;
            }

            return await handler.HandleAsync(call, read, session).ConfigureAwait(false);
        }, cancellationToken).ConfigureAwait(false);
        metrics.WriteCommitted(time.GetElapsedTime(started));
        return result;
    }

    public async Task<WireResult> RunTimestampSignedAsync(
        string action,
        ITimestampSignedHandler handler,
        WireParameters parameters,
        CancellationToken cancellationToken,
        WireAnswerLabels? labels = null)
    {
        var (partner, refusal) = await authenticator.AuthenticateTimestampAsync(parameters, action, cancellationToken).ConfigureAwait(false);
        if (partner is null)
        {
            return refusal!;
        }

        labels?.Authenticated(partner.ClientId);
        return handler.Handle(partner);
    }

    public async Task<WireResult> RunClientSecretAsync<TParams>(
        IClientSecretHandler<TParams> handler,
        WireParameters parameters,
        string requestId,
        CancellationToken cancellationToken,
        WireAnswerLabels? labels = null)
    {
        var (partner, refusal) = await oauth.AuthenticateClientSecretAsync(parameters, cancellationToken).ConfigureAwait(false);
        if (partner is null)
        {
            return refusal!;
        }

        labels?.Authenticated(partner.ClientId);

        var (read, invalid) = handler.Read(parameters);
        if (invalid is not null)
        {
            return invalid;
        }

        var started = time.GetTimestamp();
        var result = await store.WriteAsync(session => handler.HandleAsync(partner, read, session, requestId).AsTask(), cancellationToken)
            .ConfigureAwait(false);
        metrics.WriteCommitted(time.GetElapsedTime(started));
        return result;
    }

    public async Task<WireResult> RunBearerAsync<TParams>(
        IBearerHandler<TParams> handler,
        WireParameters parameters,
        HttpRequest request,
        string requestId,
        CancellationToken cancellationToken,
        WireAnswerLabels? labels = null)
    {
        var (call, refusal) = await oauth.AuthenticateBearerAsync(request, requestId, cancellationToken).ConfigureAwait(false);
        if (call is null)
        {
            return refusal!;
        }

        labels?.Authenticated(call.Partner.ClientId);

        var (read, invalid) = handler.Read(parameters);
        if (invalid is not null)
        {
            return invalid;
        }

        return await store.ReadAsync(session => handler.HandleAsync(call, read, session).AsTask(), cancellationToken).ConfigureAwait(false);
    }
}
