using DeviceFeatures.Server.RateLimiting;
using DeviceFeatures.Server.Storage;

namespace DeviceFeatures.Server.OperatorConsole;

/// <summary>The overview's numbers, counted in one read.</summary>
internal sealed record OverviewCounts(int Partners, int SuspendedPartners, int Users, int Devices, int ChangesLastDay, int DevicesOutOfSync, int ParkedEvents);

/// <summary>The console's own reads: counts for the overview (everything else goes through <c>AdminService</c>).</summary>
internal static class ConsoleStatements
{
    // Out of sync: the device has not reported the configuration version it should run (never, or an older one), and
    // there is something to apply: a device seen at version 0 that never reported has nothing to apply yet, as the
    // Devices list says, and is not counted. The per-feature rules of getfeaturestatus (a report that proves a value a
    // later change left alone) are finer; the user page shows them device by device.
    private static readonly SqlQuery<long, OverviewCounts> Overview = new(
        """
        SELECT
            (SELECT COUNT(*) FROM partners) AS partners,
            (SELECT COUNT(*) FROM partners WHERE suspended = @yes) AS suspended,
            (SELECT COUNT(*) FROM users) AS users,
            (SELECT COUNT(*) FROM (SELECT mac_address FROM device_inventory UNION SELECT mac_address FROM devices) d) AS devices,
            (SELECT COUNT(*) FROM audit_events WHERE occurred_at >= @since) AS changes,
            (SELECT COUNT(*) FROM device_sync WHERE (reported_version IS NULL AND version > 0) OR reported_version < version) AS out_of_sync,
            (SELECT COUNT(*) FROM change_events WHERE state = 'parked') AS parked
        """,
        static (since, p) => p.Add("@since", since).Add("@yes", true),
        static row => new OverviewCounts(row.Int32("partners"), row.Int32("suspended"), row.Int32("users"), row.Int32("devices"),
            row.Int32("changes"), row.Int32("out_of_sync"), row.Int32("parked")));

    public static Task<OverviewCounts?> CountOverviewAsync(this StoreSession session, long sinceMs) => session.QueryFirstAsync(Overview, sinceMs);
}

/// <summary>What the overview page reads.</summary>
internal sealed class ConsoleQueries(IFeatureStore store, TimeProvider time, PartnerRateLimiter limiter)
{
    public async Task<(OverviewCounts Counts, IReadOnlyList<(string ClientId, long LastRefusedAt)> RateLimited)> OverviewAsync(CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        var counts = await store.ReadAsync(s => s.CountOverviewAsync(now - 86_400_000L), cancellationToken);
        return (counts!, limiter.RefusedSince(now - 3_600_000L));
    }
}

/// <summary>Finding a user by what a support agent is told: an external id, an email address or a device's MAC address.</summary>
internal static class UserLookupStatements
{
    private static readonly SqlQuery<string, int> ByExternalId = new(
        "SELECT userid FROM user_profiles WHERE external_id = @value ORDER BY userid LIMIT 50",
        static (value, p) => p.Add("@value", value), static row => row.Int32("userid"));

    private static readonly SqlQuery<string, int> ByEmail = new(
        "SELECT userid FROM user_profiles WHERE lower(email) = lower(@value) ORDER BY userid LIMIT 50",
        static (value, p) => p.Add("@value", value), static row => row.Int32("userid"));

    private static readonly SqlQuery<string, int> ByMacAddress = new(
        "SELECT userid FROM devices WHERE mac_address = @value",
        static (value, p) => p.Add("@value", value), static row => row.Int32("userid"));

    public static Task<IReadOnlyList<int>> FindUsersByExternalIdAsync(this StoreSession session, string externalId) => session.QueryAsync(ByExternalId, externalId);

    public static Task<IReadOnlyList<int>> FindUsersByEmailAsync(this StoreSession session, string email) => session.QueryAsync(ByEmail, email);

    public static Task<IReadOnlyList<int>> FindUsersByMacAddressAsync(this StoreSession session, string macAddress) => session.QueryAsync(ByMacAddress, macAddress);
}
