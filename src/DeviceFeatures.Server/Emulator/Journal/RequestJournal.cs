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
/// their secrets redacted. A ring per partner the server knows; requests whose client id it does not know (or that
/// carry none) share one ring, so that made-up client ids cannot grow it. With a size of 0 nothing is kept, and a
/// request pays one comparison.
/// </summary>
internal sealed class RequestJournal(IOptions<EmulatorOptions> options, TimeProvider time, PartnerDirectory partners)
{
    public const string Redacted = "***";
    public const int MaxPage = 1000;

    private static readonly HashSet<string> RedactedNames = new(StringComparer.Ordinal)
    {
        WireParameterNames.Signature, WireParameterNames.Nonce, WireParameterNames.ClientSecret,
        "code", "access_token", "refresh_token",
    };

    private readonly ConcurrentDictionary<string, Ring> _rings = new(StringComparer.Ordinal);
    private readonly Ring _shared = new(options.Value.JournalSize);
    private readonly Lock _order = new();
    private long _sequence;

    public int Size { get; } = options.Value.JournalSize;

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
        if (status == WireStatus.InvalidSignature && clientId is not null && parameters is not null
            && await partners.FindAsync(clientId, CancellationToken.None).ConfigureAwait(false) is { } partner)
        {
            explanation = SignatureExplainer.Explain(partner, parameters);
        }

        var now = time.GetUtcNow();
        var elapsed = labels is null ? TimeSpan.Zero : time.GetElapsedTime(labels.Started);
        var copy = Copy(parameters);

        // Made-up client ids go to the shared ring: only partners the server has looked up get one of their own.
        var ring = clientId is not null && partners.IsKnown(clientId) ? _rings.GetOrAdd(clientId, _ => new Ring(Size)) : _shared;

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
        IEnumerable<Ring> rings = query.ClientId is { } clientId
            ? _rings.TryGetValue(clientId, out var own) ? [own, _shared] : [_shared]
            : [.. _rings.Values, _shared];
        var matching = rings.SelectMany(r => r.Snapshot())
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

    internal static bool IsSecret(string name) =>
        RedactedNames.Contains(name)
        || name.Contains("secret", StringComparison.OrdinalIgnoreCase)
        || name.Contains("token", StringComparison.OrdinalIgnoreCase)
        || name.Contains("password", StringComparison.OrdinalIgnoreCase);

    private static Dictionary<string, string> Copy(WireParameters? parameters)
    {
        var copy = new Dictionary<string, string>(parameters?.Count ?? 0, StringComparer.Ordinal);
        foreach (var (name, value) in parameters?.Items ?? [])
        {
            copy.TryAdd(name, IsSecret(name) ? Redacted : value);
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
