using DeviceFeatures.Server.Storage;

namespace DeviceFeatures.Server.Device;

/// <summary>What <c>devicefeatures_set_feature</c> did: see <see cref="DeviceCallStatements"/>.</summary>
internal sealed record SetFeatureOutcome(string Outcome, string? Detail, string? ChangedDevices, bool EventWritten);

/// <summary>The arguments of <c>devicefeatures_set_feature</c>.</summary>
internal sealed record SetFeatureCall(
    byte[] Nonce, string ClientId, long NonceExpiresAt, int UserId, int Model, string FeatureName, bool Active, bool Gated, string Markets,
    bool DefaultOn, long Now, string RequestId, string Kind, string EventId);

/// <summary>
/// The device calls as one statement each, on PostgreSQL (<c>Storage/Migrations/Postgres/0013_device_call_functions.sql</c>):
/// the nonce spent and the whole of <see cref="FeatureService"/>'s work in one round trip and one implicit transaction.
/// The outcomes are the functions' words; <see cref="FeatureService"/> turns them into the same answers as its own rules.
/// </summary>
internal static class DeviceCallStatements
{
    public const string NonceUsed = "nonce_used";
    public const string UnknownUser = "unknown_user";
    public const string Terminated = "terminated";
    public const string NotGranted = "not_granted";
    public const string MarketRestricted = "market_restricted";
    public const string Unchanged = "unchanged";
    public const string Changed = "changed";
    public const string Ok = "ok";

    private static readonly SqlQuery<SetFeatureCall, SetFeatureOutcome> Set = new(
        """
        SELECT outcome, detail, changed_devices, event_written FROM devicefeatures_set_feature(
            @nonce, @clientId, @nonceExpiresAt, @userId, @model, @featureName, @active, @gated, @markets, @defaultOn, @now, @requestId, @kind, @eventId)
        """,
        static (a, p) => p.Add("@nonce", a.Nonce).Add("@clientId", a.ClientId).Add("@nonceExpiresAt", a.NonceExpiresAt).Add("@userId", a.UserId)
            .Add("@model", a.Model).Add("@featureName", a.FeatureName).Add("@active", a.Active).Add("@gated", a.Gated).Add("@markets", a.Markets)
            .Add("@defaultOn", a.DefaultOn).Add("@now", a.Now).Add("@requestId", a.RequestId).Add("@kind", a.Kind).Add("@eventId", a.EventId),
        static row => new SetFeatureOutcome(row.Text("outcome"), row.NullableText("detail"), row.NullableText("changed_devices"), row.Boolean("event_written")));

    private static readonly SqlQuery<(byte[] Nonce, string ClientId, long NonceExpiresAt, int UserId, int Model, long Now), (string Outcome, string? FeatureName, bool Active)> Get = new(
        "SELECT outcome, feature_name, active FROM devicefeatures_get_features(@nonce, @clientId, @nonceExpiresAt, @userId, @model, @now)",
        static (a, p) => p.Add("@nonce", a.Nonce).Add("@clientId", a.ClientId).Add("@nonceExpiresAt", a.NonceExpiresAt).Add("@userId", a.UserId)
            .Add("@model", a.Model).Add("@now", a.Now),
        static row => (row.Text("outcome"), row.NullableText("feature_name"), row.NullableBoolean("active") ?? false));

    /// <summary>Spends the nonce and switches the feature, by the rules of <c>enablefeature</c>/<c>disablefeature</c>.</summary>
    public static async Task<SetFeatureOutcome> SetFeatureInOneStatementAsync(this StoreSession session, SetFeatureCall call) =>
        await session.QueryFirstAsync(Set, call).ConfigureAwait(false)
        ?? throw new InvalidOperationException("devicefeatures_set_feature returned no row");

    /// <summary>Spends the nonce and reads the recorded choices of the user's model, by the rules of <c>getfeatures</c>.</summary>
    public static Task<IReadOnlyList<(string Outcome, string? FeatureName, bool Active)>> GetFeaturesInOneStatementAsync(
        this StoreSession session, byte[] nonce, string clientId, long nonceExpiresAt, int userId, int model, long now) =>
        session.QueryAsync(Get, (nonce, clientId, nonceExpiresAt, userId, model, now));
}
