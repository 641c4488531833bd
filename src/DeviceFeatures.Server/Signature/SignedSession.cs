using DeviceFeatures.Server.Partners;
using DeviceFeatures.Server.Storage;

namespace DeviceFeatures.Server.Signature;

/// <summary>A signed call whose client, signature, quota and nonce check out, before its nonce is spent.</summary>
internal sealed record SignedCall(PartnerCredentials Partner, byte[] Nonce, DateTimeOffset NonceExpiresAt, string RequestId);

/// <summary>
/// The write transaction of a signed call, in which its nonce is already recorded as used: the only way to get one
/// is <see cref="TrySpendNonceAsync"/>, so no handler can work in the database of a call whose nonce it has not spent.
/// </summary>
internal sealed class SignedSession
{
    private SignedSession(StoreSession store) => Store = store;

    /// <summary>The statements of the transaction, for the handler's own reads and writes.</summary>
    public StoreSession Store { get; }

    /// <summary>Records the nonce as used (its primary key makes that single); null when it already was.</summary>
    public static async Task<SignedSession?> TrySpendNonceAsync(StoreSession store, SignedCall call) =>
        await store.TryUseNonceAsync(call.Nonce, call.Partner.ClientId, call.NonceExpiresAt.ToUnixTimeMilliseconds()).ConfigureAwait(false)
            ? new SignedSession(store)
            : null;
}
