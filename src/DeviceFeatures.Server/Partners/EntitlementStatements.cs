using DeviceFeatures.Server.Storage;

namespace DeviceFeatures.Server.Partners;

/// <summary>A partner's grant of a gated feature (<c>entitlements</c>).</summary>
internal sealed class EntitlementRow
{
    public string FeatureName { get; set; } = "";
    public long GrantedAt { get; set; }
}

/// <summary>Grants of gated features per partner: given and taken by the admin API, checked when a feature is turned on.</summary>
internal static class EntitlementStatements
{
    private static readonly SqlQuery<(string ClientId, string FeatureName), int> Count = new(
        "SELECT COUNT(*) AS count FROM entitlements WHERE client_id = @clientId AND feature_name = @featureName",
        static (a, p) => p.Add("@clientId", a.ClientId).Add("@featureName", a.FeatureName),
        static row => row.Int32("count"));

    private static readonly SqlQuery<string, EntitlementRow> List = new(
        "SELECT feature_name, granted_at FROM entitlements WHERE client_id = @clientId ORDER BY feature_name",
        static (clientId, p) => p.Add("@clientId", clientId),
        static row => new EntitlementRow { FeatureName = row.Text("feature_name"), GrantedAt = row.Int64("granted_at") });

    private static readonly SqlStatement<(string ClientId, string FeatureName, long Now)> Grant = new(
        "INSERT INTO entitlements (client_id, feature_name, granted_at) VALUES (@clientId, @featureName, @now) ON CONFLICT (client_id, feature_name) DO NOTHING",
        static (a, p) => p.Add("@clientId", a.ClientId).Add("@featureName", a.FeatureName).Add("@now", a.Now));

    private static readonly SqlStatement<(string ClientId, string FeatureName)> Revoke = new(
        "DELETE FROM entitlements WHERE client_id = @clientId AND feature_name = @featureName",
        static (a, p) => p.Add("@clientId", a.ClientId).Add("@featureName", a.FeatureName));

    public static async Task<bool> HasEntitlementAsync(this StoreSession session, string clientId, string featureName) =>
        await session.QueryFirstAsync(Count, (clientId, featureName)).ConfigureAwait(false) > 0;

    public static Task<IReadOnlyList<EntitlementRow>> ListEntitlementsAsync(this StoreSession session, string clientId) =>
        session.QueryAsync(List, clientId);

    public static Task<int> GrantEntitlementAsync(this StoreSession session, string clientId, string featureName, long now) =>
        session.ExecuteAsync(Grant, (clientId, featureName, now));

    public static Task<int> RevokeEntitlementAsync(this StoreSession session, string clientId, string featureName) =>
        session.ExecuteAsync(Revoke, (clientId, featureName));
}
