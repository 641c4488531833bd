using DeviceFeatures.Server.Storage;

namespace DeviceFeatures.Server.Signature;

/// <summary>
/// Deletes the records of used nonces once they have expired: an expired nonce is refused by its own timestamp,
/// so its record no longer guards anything.
/// </summary>
internal sealed class NonceJanitor(IFeatureStore store, TimeProvider time, ILogger<NonceJanitor> logger)
    : ExpiredRecordsJanitor(store, time, logger, "nonce records")
{
    protected override Task<int> DeleteExpiredAsync(StoreSession session, long nowMs) => session.DeleteExpiredNoncesAsync(nowMs);
}
