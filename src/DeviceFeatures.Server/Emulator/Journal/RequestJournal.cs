using System.Collections.Concurrent;
using DeviceFeatures.Protocol.Admin;
using DeviceFeatures.Protocol.Parameters;
using DeviceFeatures.Protocol.Status;
using DeviceFeatures.Server.Partners;
using DeviceFeatures.Server.Wire;
using Microsoft.Extensions.Options;

namespace DeviceFeatures.Server.Emulator.Journal;

/// <summary>What the journal returns for one query.</summary>
internal sealed record JournalQuery(string? ClientId, string? Action, int? Status, DateTimeOffset? Since, long? After, int Limit);

/// <summary>
/// The last <see cref="EmulatorOptions.JournalSize"/> wire requests of each partner, in memory on this instance, with
/// their secrets redacted and each value cut at <see cref="MaxValueLength"/>. A ring per partner whose credentials a
/// request proved; every other request (a refused or missing signature, a made-up client id, none at all) goes to one
/// shared ring, so that nobody can fill a partner's ring, or grow the journal, by claiming a client id. With a size of
/// 0 nothing is kept, and a request pays one comparison. Refused signatures are explained only while the emulator is
/// on (<see cref="EmulatorSwitch"/>): the explanation signs with the partner's secret, a power for test servers.
/// </summary>
internal sealed class RequestJournal(IOptions<EmulatorOptions> options, EmulatorSwitch emulator, TimeProvider time, PartnerDirectory partners)
{
    public const string Redacted = "***";
    public const int MaxPage = 1000;

    /// <summary>The longest parameter value kept; a longer one is cut there and ends with <see cref="Truncated"/>.</summary>
    public const int MaxValueLength = 256;

    public const string Truncated = "...(truncated)";

    // Matched whatever their case: a form parameter named 'Signature' or 'NONCE' carries the same secret.
    private static readonly HashSet<string> RedactedNames = new(StringComparer.OrdinalIgnoreCase)
    {
        WireParameterNames.Signature, WireParameterNames.Nonce, WireParameterNames.ClientSecret,
        "code", "access_token", "refresh_token",
    };

    private readonly ConcurrentDictionary<string, Ring> _rings = new(StringComparer.Ordinal);
    private readonly Ring _shared = new(options.Value.SizeFor(emulator.Enabled));
    private readonly Lock _order = new();
    private long _sequence;

    public int Size { get; } = options.Value.SizeFor(emulator.Enabled);

    public bool Enabled => Size > 0;

    /// <summary>
    /// Records a request once its answer is known (written, or given up on). For a refused signature, the explanation is
    /// worked out here, with the partner's secret; nothing else costs more than a copy of the parameters.
    /// </summary>
    public async ValueTask RecordAsync(HttpContext context, WireAnswerLabels? labels, int? status, string? error, int? httpStatus)
    {
        if (!Enabled)
        {
            return;
        }

        var parameters = labels?.Parameters;
        string? clientId = null;
        string? action = null;
        parameters?.TryGet(WireParameterNames.ClientId, out clientId!);
        parameters?.TryGet(WireParameterNames.Action, out action!);
        clientId = string.IsNullOrEmpty(clientId) ? null : clientId;
        action = string.IsNullOrEmpty(action) ? null : action;

        SignatureExplanation? explanation = null;
        if (emulator.Enabled && status == WireStatus.InvalidSignature && clientId is not null && parameters is not null
            && await partners.FindAsync(clientId, CancellationToken.None).ConfigureAwait(false) is { } partner)
        {
            explanation = SignatureExplainer.Explain(partner, parameters);
        }

        var now = time.GetUtcNow();
        var elapsed = labels is null ? TimeSpan.Zero : time.GetElapsedTime(labels.Started);
        var copy = Copy(parameters);

        // Only a request that proved its partner's credentials goes to that partner's ring; a client id merely claimed
        // (refused, or made up) goes to the shared one.
        var ring = clientId is not null && labels?.AuthenticatedClientId == clientId ? _rings.GetOrAdd(clientId, _ => new Ring(Size)) : _shared;

        // Numbered and added in one step, so that a reader following with 'after' never passes an entry still to come.
        lock (_order)
        {
            ring.Add(new JournalEntry(
                ++_sequence,
                labels?.ArrivedAt ?? now,
                context.TraceIdentifier,
                clientId,
                labels?.Service ?? WireAnswerLabels.Other,
                action,
                copy,
                status,
                error,
                httpStatus,
                Math.Round(elapsed.TotalMilliseconds, 3),
                labels?.Fault is not null,
                labels?.Fault?.RuleId,
                explanation));
        }
    }

    public IReadOnlyList<JournalEntry> Query(JournalQuery query)
    {
        // Every ring read in one step under the lock that numbers and adds entries: read one at a time, an entry added to
        // a ring already read could carry a lower number than one read later, and a reader following with 'after' would
        // pass it for good. The rings are listed under it too, for a ring made since holds entries numbered since.
        List<JournalEntry> entries;
        lock (_order)
        {
            IEnumerable<Ring> rings = query.ClientId is { } clientId
                ? _rings.TryGetValue(clientId, out var own) ? [own, _shared] : [_shared]
                : [.. _rings.Values, _shared];
            entries = [.. rings.SelectMany(r => r.Snapshot())];
        }

        var matching = entries
            .Where(e => (query.ClientId is null || e.ClientId == query.ClientId)
                && (query.Action is null || e.Action == query.Action)
                && (query.Status is null || e.Status == query.Status)
                && (query.Since is null || e.Time >= query.Since)
                && (query.After is null || e.Sequence > query.After))
            .OrderBy(e => e.Sequence)
            .ToList();

        // Following (after) reads forward from where it was; otherwise the latest entries are what people want.
        return query.After is null ? matching.TakeLast(query.Limit).ToArray() : matching.Take(query.Limit).ToArray();
    }

    /// <summary>Forgets every entry, or one partner's (its own ring, and its entries in the shared one).</summary>
    public void Clear(string? clientId)
    {
        if (clientId is null)
        {
            _rings.Clear();
            _shared.RemoveWhere(_ => true);
            return;
        }

        _rings.TryRemove(clientId, out _);
        _shared.RemoveWhere(e => e.ClientId == clientId);
    }

    /// <summary>
    /// Whether a parameter's value is replaced by <see cref="Redacted"/>: the signature, the nonce, OAuth codes and
    /// tokens, and every name that is <c>code</c> or ends in <c>_code</c> (<c>recovery_code</c>) or contains
    /// <c>secret</c>, <c>token</c> or <c>password</c>, in any case. Names that only contain "code" elsewhere
    /// (<c>icdcodeids</c>, a list of ICD codes) stay readable.
    /// </summary>
    internal static bool IsSecret(string name) =>
        RedactedNames.Contains(name)
        || name.EndsWith("_code", StringComparison.OrdinalIgnoreCase)
        || name.Contains("secret", StringComparison.OrdinalIgnoreCase)
        || name.Contains("token", StringComparison.OrdinalIgnoreCase)
        || name.Contains("password", StringComparison.OrdinalIgnoreCase);

    private static string Bound(string value) =>
        value.Length <= MaxValueLength ? value : string.Concat(value.AsSpan(0, MaxValueLength), Truncated);

    private static Dictionary<string, string> Copy(WireParameters? parameters)
    {
        var copy = new Dictionary<string, string>(parameters?.Count ?? 0, StringComparer.Ordinal);
        foreach (var (name, value) in parameters?.Items ?? [])
        {
            copy.TryAdd(name, IsSecret(name) ? Redacted : Bound(value));
        }

        return copy;
    }

    /// <summary>A bounded ring of entries: the oldest is dropped when a new one comes and it is full.</summary>
    private sealed class Ring(int size)
    {
        private readonly Lock _lock = new();
        private readonly Queue<JournalEntry> _entries = new();

        public void Add(JournalEntry entry)
        {
            lock (_lock)
            {
                if (_entries.Count == size)
                {
                    _entries.Dequeue();
                }

                _entries.Enqueue(entry);
            }
        }

        public JournalEntry[] Snapshot()
        {
            lock (_lock)
            {
                return [.. _entries];
            }
        }

        public void RemoveWhere(Func<JournalEntry, bool> predicate)
        {
            lock (_lock)
            {
                var kept = _entries.Where(e => !predicate(e)).ToArray();
                _entries.Clear();
                foreach (var e in kept)
                {
                    _entries.Enqueue(e);
                }
            }
        }
    }
}
