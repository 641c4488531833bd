using DeviceFeatures.Server.Storage;

namespace DeviceFeatures.Server.Device;

/// <summary>
/// A partner's choice for every device of a model (<c>programme_choices</c>), recorded by an operator. A user's own
/// choice (<see cref="ChoiceRow"/>) wins over it; no row means the catalog's default.
/// </summary>
internal sealed class ProgrammeChoiceRow
{
    public int Model { get; set; }
    public string FeatureName { get; set; } = "";
    public bool Active { get; set; }
    public long UpdatedAt { get; set; }
}

/// <summary>The programme-level choices: written by the admin API, merged into getfeatures and the effective view.</summary>
internal static class ProgrammeChoiceStatements
{
    private static readonly SqlQuery<string, string> LockPartner = new(
        dialect => "SELECT client_id FROM partners WHERE client_id = @clientId" + dialect.LockForUpdate,
        static (clientId, p) => p.Add("@clientId", clientId),
        static row => row.Text("client_id"));

    private static readonly SqlQuery<(string ClientId, int Model, string FeatureName), bool?> Find = new(
        "SELECT active FROM programme_choices WHERE client_id = @clientId AND model = @model AND feature_name = @featureName",
        static (a, p) => p.Add("@clientId", a.ClientId).Add("@model", a.Model).Add("@featureName", a.FeatureName),
        static row => row.Boolean("active"));

    private static readonly SqlStatement<(string ClientId, int Model, string FeatureName, bool Active, long Now)> Set = new(
        """
        INSERT INTO programme_choices (client_id, model, feature_name, active, updated_at) VALUES (@clientId, @model, @featureName, @active, @now)
        ON CONFLICT (client_id, model, feature_name) DO UPDATE SET active = excluded.active, updated_at = excluded.updated_at
        """,
        static (a, p) => p.Add("@clientId", a.ClientId).Add("@model", a.Model).Add("@featureName", a.FeatureName).Add("@active", a.Active).Add("@now", a.Now));

    private static readonly SqlStatement<(string ClientId, int Model, string FeatureName)> Delete = new(
        "DELETE FROM programme_choices WHERE client_id = @clientId AND model = @model AND feature_name = @featureName",
        static (a, p) => p.Add("@clientId", a.ClientId).Add("@model", a.Model).Add("@featureName", a.FeatureName));

    private static readonly SqlQuery<(string ClientId, int? Model), ProgrammeChoiceRow> List = new(
        """
        SELECT model, feature_name, active, updated_at FROM programme_choices
        WHERE client_id = @clientId AND (@model IS NULL OR model = @model)
        ORDER BY model, feature_name
        """,
        static (a, p) => p.Add("@clientId", a.ClientId).Add("@model", a.Model),
        static row => new ProgrammeChoiceRow
        {
            Model = row.Int32("model"),
            FeatureName = row.Text("feature_name"),
            Active = row.Boolean("active"),
            UpdatedAt = row.Int64("updated_at"),
        });

    /// <summary>
    /// Locks the partner's row until the transaction ends (where writers run side by side), so that changes of its
    /// programme choices follow each other and each audit event's old value is the choice it replaced; false when
    /// there is no such partner.
    /// </summary>
    public static async Task<bool> LockProgrammeAsync(this StoreSession session, string clientId) =>
        await session.QueryFirstAsync(LockPartner, clientId).ConfigureAwait(false) is not null;

    public static Task<bool?> FindProgrammeChoiceAsync(this StoreSession session, string clientId, int model, string featureName) =>
        session.QueryFirstAsync(Find, (clientId, model, featureName));

    public static Task<int> SetProgrammeChoiceAsync(this StoreSession session, string clientId, int model, string featureName, bool active, long now) =>
        session.ExecuteAsync(Set, (clientId, model, featureName, active, now));

    public static Task<int> DeleteProgrammeChoiceAsync(this StoreSession session, string clientId, int model, string featureName) =>
        session.ExecuteAsync(Delete, (clientId, model, featureName));

    /// <summary>The partner's programme choices, of one model or (with <paramref name="model"/> null) of all.</summary>
    public static Task<IReadOnlyList<ProgrammeChoiceRow>> ListProgrammeChoicesAsync(this StoreSession session, string clientId, int? model) =>
        session.QueryAsync(List, (clientId, model));
}
