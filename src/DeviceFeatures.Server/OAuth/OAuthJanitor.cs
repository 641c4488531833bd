using DeviceFeatures.Server.Storage;

namespace DeviceFeatures.Server.OAuth;

/// <summary>
/// Deletes authorization codes and tokens a day after they expired (<see cref="OAuthSecrets.KeepExpiredFor"/>): an expired
/// one is refused by its own expiry, so its hash no longer guards anything, and a partner's users who are never seen
/// again would otherwise leave them behind; the day lets a late use be answered "expired" rather than "unknown".
/// </summary>
internal sealed class OAuthJanitor(IFeatureStore store, TimeProvider time, ILogger<OAuthJanitor> logger)
    : ExpiredRecordsJanitor(store, time, logger, "authorization codes and tokens")
{
    protected override Task<int> DeleteExpiredAsync(StoreSession session, long nowMs) => session.DeleteExpiredCodesAndTokensAsync(nowMs);
}
