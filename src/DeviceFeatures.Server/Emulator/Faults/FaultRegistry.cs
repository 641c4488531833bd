using System.Globalization;
using DeviceFeatures.Protocol.Admin;
using DeviceFeatures.Protocol.Status;
using DeviceFeatures.Server.Admin;

namespace DeviceFeatures.Server.Emulator.Faults;

/// <summary>What a rule decided for one request: wait, then answer (or, with no answer, let the request run).</summary>
internal sealed record FaultHit(string RuleId, int? LatencyMs, FaultAnswer? Answer);

/// <summary>
/// The fault rules of this instance, in memory: they are a test suite's tool, not state to keep, so a restart or another
/// instance starts with none. Every matching request draws from each rule's own <see cref="Random"/>, under one lock and
/// so in arrival order, which makes a seeded sequence of answers repeatable.
/// </summary>
internal sealed class FaultRegistry(TimeProvider time)
{
    public const int MaxRules = 100;
    public const int MaxMilliseconds = 60_000;

    private readonly Lock _lock = new();
    private readonly List<Rule> _rules = [];
    private int _lastId;

    // Read without the lock on every wire request: with no rule, the pipeline pays one volatile read.
    private volatile int _count;

    public bool IsEmpty => _count == 0;

    /// <summary>The first rule (oldest first) that matches, is active and draws a hit; null when none does.</summary>
    public FaultHit? Draw(string? clientId, string service, string action)
    {
        lock (_lock)
        {
            var now = time.GetUtcNow();
            foreach (var rule in _rules)
            {
                if (!rule.Matches(clientId, service, action) || !rule.IsActive(now))
                {
                    continue;
                }

                rule.Matched++;
                if (rule.Random.NextDouble() < rule.Probability)
                {
                    rule.Injected++;
                    return new FaultHit(rule.Id, rule.LatencyMs, rule.Answer);
                }
            }

            return null;
        }
    }

    public (FaultRule? Rule, AdminError? Error) Add(FaultRuleRequest? request)
    {
        if (Validate(request) is { } error)
        {
            return (null, error);
        }

        lock (_lock)
        {
            if (_rules.Count >= MaxRules)
            {
                return (null, AdminError.Invalid($"At most {MaxRules} fault rules at once; delete some first (DELETE /admin/api/emulator/faults)."));
            }

            var rule = new Rule(request!, "f" + (++_lastId).ToString(CultureInfo.InvariantCulture), time.GetUtcNow());
            _rules.Add(rule);
            _count = _rules.Count;
            return (rule.ToContract(time.GetUtcNow()), null);
        }
    }

    public IReadOnlyList<FaultRule> List()
    {
        lock (_lock)
        {
            var now = time.GetUtcNow();
            return _rules.Select(r => r.ToContract(now)).ToArray();
        }
    }

    public bool Remove(string id)
    {
        lock (_lock)
        {
            var removed = _rules.RemoveAll(r => r.Id == id) > 0;
            _count = _rules.Count;
            return removed;
        }
    }

    public int Clear()
    {
        lock (_lock)
        {
            var count = _rules.Count;
            _rules.Clear();
            _count = 0;
            return count;
        }
    }

    /// <summary>The first problem of a rule, naming its field; null when the rule can be added.</summary>
    internal static AdminError? Validate(FaultRuleRequest? request)
    {
        if (request is null)
        {
            return AdminError.Invalid("The body must be a fault rule, e.g. {\"action\": \"enablefeature\", \"answer\": {\"status\": 601, \"wait_seconds\": 30}}.");
        }

        if (request.ClientId is { } clientId && (clientId.Length is 0 or > 128))
        {
            return AdminError.Invalid("'client_id' must be 1 to 128 characters, or left out for every partner.");
        }

        if (request.Service is { } service && !IsName(service))
        {
            return AdminError.Invalid("'service' must be the name of a /v2 web service (signature, device, user, oauth2), or left out for all.");
        }

        if (request.Action is { } action && !IsName(action))
        {
            return AdminError.Invalid("'action' must be an action's name in lower case, e.g. enablefeature, or left out for all.");
        }

        if (request.Probability is { } p && (double.IsNaN(p) || p < 0 || p > 1))
        {
            return AdminError.Invalid("'probability' must be from 0 to 1.");
        }

        if (request.LatencyMs is { } latency && (latency < 1 || latency > MaxMilliseconds))
        {
            return AdminError.Invalid($"'latency_ms' must be from 1 to {MaxMilliseconds}.");
        }

        if (request.Limit is { Count: { } count } && count < 1)
        {
            return AdminError.Invalid("'limit.count' must be 1 or more.");
        }

        if (request.Answer is not { } answer)
        {
            return request.LatencyMs is null
                ? AdminError.Invalid("'answer' is required (or 'latency_ms' alone for a rule that only slows requests down): one of status, http_status, drop or slow_body_ms.")
                : null;
        }

        var kinds = (answer.Status is null ? 0 : 1) + (answer.HttpStatus is null ? 0 : 1) + (answer.Drop is true ? 1 : 0) + (answer.SlowBodyMs is null ? 0 : 1);
        if (kinds != 1)
        {
            return AdminError.Invalid("'answer' must have exactly one of 'status', 'http_status', 'drop': true or 'slow_body_ms'.");
        }

        if (answer.Status is { } status && (status == WireStatus.Success || WireStatus.FamilyOf(status) == StatusFamily.Unknown))
        {
            return AdminError.Invalid($"'answer.status' must be a Withings status of a published family (e.g. 601, 522, 2554), not {status}.");
        }

        if (answer.WaitSeconds is { } wait && (answer.Status != WireStatus.TooManyRequests || wait < 0 || wait > 86_400))
        {
            return AdminError.Invalid("'answer.wait_seconds' goes with status 601 only, from 0 to 86400.");
        }

        if (answer.HttpStatus is { } http && (http < 400 || http > 599))
        {
            return AdminError.Invalid("'answer.http_status' must be from 400 to 599.");
        }

        if (answer.SlowBodyMs is { } slow && (slow < 1 || slow > MaxMilliseconds))
        {
            return AdminError.Invalid($"'answer.slow_body_ms' must be from 1 to {MaxMilliseconds}.");
        }

        return null;
    }

    private static bool IsName(string value) =>
        value.Length is > 0 and <= 64 && value.All(c => c is (>= 'a' and <= 'z') or (>= '0' and <= '9') or '_' or '-');

    private sealed class Rule(FaultRuleRequest request, string id, DateTimeOffset createdAt)
    {
        public string Id { get; } = id;

        public double Probability { get; } = request.Probability ?? 1;

        public int? LatencyMs { get; } = request.LatencyMs;

        public FaultAnswer? Answer { get; } = request.Answer is { Drop: false } a ? a with { Drop = null } : request.Answer;

        public Random Random { get; } = new(request.Seed ?? 0);

        public long Matched { get; set; }

        public long Injected { get; set; }

        public bool Matches(string? clientId, string service, string action) =>
            (request.ClientId is null || string.Equals(request.ClientId, clientId, StringComparison.Ordinal))
            && (request.Service is null || string.Equals(request.Service, service, StringComparison.Ordinal))
            && (request.Action is null || string.Equals(request.Action, action, StringComparison.Ordinal));

        public bool IsActive(DateTimeOffset now) =>
            (request.Limit?.Count is not { } count || Injected < count) && (request.Limit?.Until is not { } until || now < until);

        public FaultRule ToContract(DateTimeOffset now) => new(
            Id, request.ClientId, request.Service, request.Action, Probability, LatencyMs, Answer, request.Limit, request.Seed ?? 0,
            Matched, Injected, IsActive(now), createdAt);
    }
}
