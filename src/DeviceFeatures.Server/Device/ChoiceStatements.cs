using DeviceFeatures.Server.Storage;

namespace DeviceFeatures.Server.Device;

/// <summary>A recorded choice (<c>choices</c>): one per user, model and feature; no row means the catalog's default.</summary>
internal sealed class ChoiceRow
{
    public int Model { get; set; }
    public string FeatureName { get; set; } = "";
    public bool Active { get; set; }
    public long UpdatedAt { get; set; }
}

/// <summary>The users' choices: read and written by every device call, listed by the admin API.</summary>
internal static class ChoiceStatements
{
    private static readonly SqlQuery<(int UserId, int Model, string FeatureName), bool?> Find = new(
        "SELECT active FROM choices WHERE userid = @userId AND model = @model AND feature_name = @featureName",
        static (a, p) => p.Add("@userId", a.UserId).Add("@model", a.Model).Add("@featureName", a.FeatureName),
        static row => row.Boolean("active"));

    private static readonly SqlStatement<(int UserId, int Model, string FeatureName, bool Active, long Now)> Set = new(
        """
        INSERT INTO choices (userid, model, feature_name, active, updated_at) VALUES (@userId, @model, @featureName, @active, @now)
        ON CONFLICT (userid, model, feature_name) DO UPDATE SET active = excluded.active, updated_at = excluded.updated_at
        """,
        static (a, p) => p.Add("@userId", a.UserId).Add("@model", a.Model).Add("@featureName", a.FeatureName).Add("@active", a.Active).Add("@now", a.Now));

    private static readonly SqlQuery<(int UserId, int? Model), ChoiceRow> List = new(
        "SELECT model, feature_name, active, updated_at FROM choices WHERE userid = @userId AND (@model IS NULL OR model = @model) ORDER BY model, feature_name",
        static (a, p) => p.Add("@userId", a.UserId).Add("@model", a.Model),
        static row => new ChoiceRow
        {
            Model = row.Int32("model"),
            FeatureName = row.Text("feature_name"),
            Active = row.Boolean("active"),
            UpdatedAt = row.Int64("updated_at"),
        });

    /// <summary>The user's recorded choice for the feature on the model; <see langword="null"/> when none is recorded.</summary>
    public static Task<bool?> FindChoiceAsync(this StoreSession session, int userId, int model, string featureName) =>
        session.QueryFirstAsync(Find, (userId, model, featureName));

    public static Task<int> SetChoiceAsync(this StoreSession session, int userId, int model, string featureName, bool active, long now) =>
        session.ExecuteAsync(Set, (userId, model, featureName, active, now));

    /// <summary>The user's recorded choices, of one model or (with <paramref name="model"/> null) of all.</summary>
    public static Task<IReadOnlyList<ChoiceRow>> ListChoicesAsync(this StoreSession session, int userId, int? model) =>
        session.QueryAsync(List, (userId, model));
}
