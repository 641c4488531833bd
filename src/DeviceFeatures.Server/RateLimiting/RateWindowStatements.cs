using DeviceFeatures.Server.Storage;

namespace DeviceFeatures.Server.RateLimiting;

/// <summary>The request counts that instances share when <c>RateLimit:Store</c> is <c>database</c> (<c>rate_windows</c>).</summary>
internal static class RateWindowStatements
{
    private static readonly SqlQuery<(string ClientId, long WindowStart), int> Count = new(
        """
        INSERT INTO rate_windows (client_id, window_start, count) VALUES (@clientId, @windowStart, 1)
        ON CONFLICT (client_id) DO UPDATE SET
            count = CASE WHEN excluded.window_start > rate_windows.window_start THEN 1 ELSE rate_windows.count + 1 END,
            window_start = CASE WHEN excluded.window_start > rate_windows.window_start THEN excluded.window_start ELSE rate_windows.window_start END
        RETURNING count
        """,
        static (a, p) => p.Add("@clientId", a.ClientId).Add("@windowStart", a.WindowStart),
        static row => row.Int32("count"));

    private static readonly SqlQuery<(string ClientId, long WindowStart), int> CountQuickly = new(
        "SELECT devicefeatures_count_request(@clientId, @windowStart) AS count",
        static (a, p) => p.Add("@clientId", a.ClientId).Add("@windowStart", a.WindowStart),
        static row => row.Int32("count"));

    /// <summary>
    /// Counts one request of the partner in the window starting at <paramref name="windowStart"/>; returns the count.
    /// The window only moves forward: an instance whose clock lags counts into the window already open.
    /// </summary>
    public static Task<int> CountRequestAsync(this StoreSession session, string clientId, long windowStart) =>
        session.QueryFirstAsync(Count, (clientId, windowStart));

    /// <summary>
    /// <see cref="CountRequestAsync"/> as a statement of its own whose commit waits for no disk (PostgreSQL's
    /// <c>devicefeatures_count_request</c>): run it only through <see cref="IFeatureStore.WriteStatementAsync{T}"/>.
    /// </summary>
    public static Task<int> CountRequestQuicklyAsync(this StoreSession session, string clientId, long windowStart) =>
        session.QueryFirstAsync(CountQuickly, (clientId, windowStart));
}
