namespace DeviceFeatures.Protocol.Admin;

/// <summary>
/// What an injected fault answers instead of the real answer: exactly one of <see cref="Status"/> (a Withings envelope
/// with that status), <see cref="HttpStatus"/> (that HTTP status, no envelope), <see cref="Drop"/> (the connection is
/// aborted) or <see cref="SlowBodyMs"/> (the real answer, its body written slowly).
/// </summary>
/// <param name="Status">A Withings status of a published family, e.g. 601, 522 or 2554; never 0.</param>
/// <param name="WaitSeconds">With status 601 only: the <c>wait_seconds</c> of the envelope's body.</param>
/// <param name="HttpStatus">An HTTP status from 400 to 599, answered with an empty body, as a proxy in front of Withings would.</param>
/// <param name="Drop">True: the connection is aborted before any answer.</param>
/// <param name="SlowBodyMs">The request runs as usual; the first part of its answer is sent, then the rest after this many milliseconds (1 to 60000).</param>
public sealed record FaultAnswer(int? Status = null, int? WaitSeconds = null, int? HttpStatus = null, bool? Drop = null, int? SlowBodyMs = null);

/// <summary>When a fault rule stops: after <see cref="Count"/> injected answers, or at <see cref="Until"/>, whichever comes first.</summary>
/// <param name="Count">At most this many injected answers (1 or more).</param>
/// <param name="Until">No injected answer from this time on (the server's clock).</param>
public sealed record FaultLimit(int? Count = null, DateTimeOffset? Until = null);

/// <summary>The body of <c>POST /admin/api/emulator/faults</c>: which wire requests a rule matches, and what it answers.</summary>
/// <param name="ClientId">Only requests carrying this <c>client_id</c>; every partner when null.</param>
/// <param name="Service">Only this web service of <c>/v2</c>: <c>signature</c>, <c>device</c>, <c>user</c>, <c>oauth2</c>...; all when null.</param>
/// <param name="Action">Only this action, e.g. <c>enablefeature</c>; all when null.</param>
/// <param name="Probability">The chance (0 to 1) that a matching request gets the fault; 1 when null.</param>
/// <param name="LatencyMs">Wait this many milliseconds (1 to 60000) before answering; alone (no <see cref="Answer"/>), the request then runs as usual.</param>
/// <param name="Answer">What to answer; may be null only when <see cref="LatencyMs"/> is set.</param>
/// <param name="Limit">When the rule stops; never when null.</param>
/// <param name="Seed">The seed of the rule's own random draws: the same rules and the same requests give the same answers. 0 when null.</param>
public sealed record FaultRuleRequest(
    string? ClientId = null,
    string? Service = null,
    string? Action = null,
    double? Probability = null,
    int? LatencyMs = null,
    FaultAnswer? Answer = null,
    FaultLimit? Limit = null,
    int? Seed = null);

/// <summary>A fault rule as the server holds it.</summary>
/// <param name="Id">The rule's id, e.g. <c>f3</c>.</param>
/// <param name="ClientId">Only requests carrying this <c>client_id</c>; every partner when null.</param>
/// <param name="Service">Only this web service; all when null.</param>
/// <param name="Action">Only this action; all when null.</param>
/// <param name="Probability">The chance that a matching request gets the fault.</param>
/// <param name="LatencyMs">The wait before answering.</param>
/// <param name="Answer">What it answers; null for a rule that only waits.</param>
/// <param name="Limit">When it stops.</param>
/// <param name="Seed">The seed of its draws.</param>
/// <param name="Matched">Matching requests seen so far (each one drew).</param>
/// <param name="Injected">Requests that got the fault so far.</param>
/// <param name="Active">False once its limit is reached: it matches nothing any more.</param>
/// <param name="CreatedAt">When it was added.</param>
public sealed record FaultRule(
    string Id,
    string? ClientId,
    string? Service,
    string? Action,
    double Probability,
    int? LatencyMs,
    FaultAnswer? Answer,
    FaultLimit? Limit,
    int Seed,
    long Matched,
    long Injected,
    bool Active,
    DateTimeOffset CreatedAt);

/// <summary>The answer of <c>GET /admin/api/emulator/faults</c>.</summary>
/// <param name="Faults">The rules, in the order they are tried (oldest first).</param>
public sealed record FaultRuleList(IReadOnlyList<FaultRule> Faults);
