using DeviceFeatures.Client.Admin;
using DeviceFeatures.Protocol.Admin;

namespace DeviceFeatures.Testing;

/// <summary>
/// The fault rules of a <see cref="DeviceFeaturesTestServer"/>: make the next calls answer 601, 522, a 503 without an
/// envelope, a dropped connection or a slow body, to test how your code copes. Rules are deterministic under their seed.
/// </summary>
/// <example>
/// <code>
/// await server.Faults.AddAsync(new FaultRuleRequest(Action: "enablefeature",
///     Answer: new FaultAnswer(Status: 601, WaitSeconds: 30), Limit: new FaultLimit(Count: 1)));
/// </code>
/// </example>
public sealed class TestServerFaults
{
    private readonly DeviceFeaturesAdminClient _admin;

    internal TestServerFaults(DeviceFeaturesAdminClient admin) => _admin = admin;

    /// <summary>Adds a rule; matching requests get its answer until its limit.</summary>
    /// <param name="rule">Which requests (partner, service, action, probability) and what they get.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The rule, with its id and counters.</returns>
    public Task<FaultRule> AddAsync(FaultRuleRequest rule, CancellationToken cancellationToken = default) =>
        _admin.AddFaultAsync(rule, cancellationToken);

    /// <summary>The rules, oldest first, with how often each matched and injected.</summary>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The rules.</returns>
    public Task<IReadOnlyList<FaultRule>> ListAsync(CancellationToken cancellationToken = default) =>
        _admin.ListFaultsAsync(cancellationToken);

    /// <summary>Deletes every rule.</summary>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>A task that completes when the rules are gone.</returns>
    public Task ClearAsync(CancellationToken cancellationToken = default) => _admin.ClearFaultsAsync(cancellationToken);
}

/// <summary>
/// The request journal of a <see cref="DeviceFeaturesTestServer"/>: what your code sent and what it was answered, with
/// secrets redacted; for a refused signature, the string that should have been signed and the likely mistake.
/// </summary>
public sealed class TestServerJournal
{
    private readonly DeviceFeaturesAdminClient _admin;

    internal TestServerJournal(DeviceFeaturesAdminClient admin) => _admin = admin;

    /// <summary>The latest entries (up to 1000), oldest first.</summary>
    /// <param name="clientId">Only this partner's requests; all when null.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The entries.</returns>
    public async Task<IReadOnlyList<JournalEntry>> EntriesAsync(string? clientId = null, CancellationToken cancellationToken = default) =>
        (await _admin.GetJournalAsync(new JournalFilter(ClientId: clientId), null, 1000, cancellationToken).ConfigureAwait(false)).Entries;

    /// <summary>Forgets every entry, or one partner's.</summary>
    /// <param name="clientId">Only this partner's entries; all when null.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>A task that completes when the entries are gone.</returns>
    public Task ClearAsync(string? clientId = null, CancellationToken cancellationToken = default) => _admin.ClearJournalAsync(clientId, cancellationToken);
}
