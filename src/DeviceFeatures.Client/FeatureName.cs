using DeviceFeatures.Protocol.Catalog;

namespace DeviceFeatures.Client;

/// <summary>
/// The name of a device feature, e.g. <c>feature_eyes_closed_mode</c>. An open value: names this version does not
/// know (a feature added later) are carried as they are, so an answer from the server never breaks a caller.
/// </summary>
/// <param name="Value">The <c>feature_name</c> as sent on the wire.</param>
public readonly record struct FeatureName(string Value)
{
    private const string Prefix = "feature_";

    /// <summary>Measures muscle mass (Body Pro 2).</summary>
    public static FeatureName MuscleMass { get; } = new("feature_muscle_mass");

    /// <summary>Measures fat mass (Body Pro 2).</summary>
    public static FeatureName FatMass { get; } = new("feature_fat_mass");

    /// <summary>Measures bone mass (Body Pro 2).</summary>
    public static FeatureName BoneMass { get; } = new("feature_bone_mass");

    /// <summary>Measures water percentage (Body Pro 2).</summary>
    public static FeatureName WaterPercent { get; } = new("feature_water_percent");

    /// <summary>Calculates Body Mass Index (Body Pro 2).</summary>
    public static FeatureName BodyMassIndex { get; } = new("feature_body_mass_index");

    /// <summary>Measures visceral fat (Body Pro 2).</summary>
    public static FeatureName VisceralFat { get; } = new("feature_visceral_fat");

    /// <summary>Monitors standing heart rate (Body Pro 2).</summary>
    public static FeatureName StandingHeartRate { get; } = new("feature_standing_hr");

    /// <summary>Hides the weight during measurement (Body Pro 2).</summary>
    public static FeatureName EyesClosedMode { get; } = new("feature_eyes_closed_mode");

    /// <summary>Adjusts for pacemaker users (Body Pro 2).</summary>
    public static FeatureName Pacemaker { get; } = new("feature_pacemaker");

    /// <summary>Estimates vascular age (Body Pro 2).</summary>
    public static FeatureName VascularAge { get; } = new("feature_vascular_age");

    /// <summary>Measures Electrochemical Skin Conductance (Body Pro 2; prescription only, needs a grant).</summary>
    public static FeatureName ElectrochemicalSkinConductance { get; } = new("feature_esc");

    /// <summary>Measures Nerve Health Score (Body Pro 2; EU devices only).</summary>
    public static FeatureName NerveHealthScore { get; } = new("feature_nhs");

    /// <summary>Measures pulse wave velocity (Body Pro 2).</summary>
    public static FeatureName PulseWaveVelocity { get; } = new("feature_pwv");

    /// <summary>Measures sleep apnea (Sleep Sensor; needs a grant).</summary>
    public static FeatureName SleepApnea { get; } = new("feature_sleep_rx");

    /// <summary>Asks for a retake if systole ≥ 180 or diastole ≥ 120 (BPM Pro 2).</summary>
    public static FeatureName RetakeHighHypertension { get; } = new("feature_retake_high_htn");

    /// <summary>Asks for a retake if systole ≥ 160 or diastole ≥ 100 (BPM Pro 2).</summary>
    public static FeatureName RetakeMediumHypertension { get; } = new("feature_retake_medium_htn");

    /// <summary>Asks for a retake if systole ≥ 140 or diastole ≥ 90 (BPM Pro 2).</summary>
    public static FeatureName RetakeLowHypertension { get; } = new("feature_retake_low_htn");

    /// <summary>Every feature of the catalog this version ships with.</summary>
    public static IReadOnlyList<FeatureName> Known { get; } =
        FeatureCatalog.Default.Features.Select(f => new FeatureName(f.Name)).ToArray();

    /// <summary>Whether this version's catalog knows the feature.</summary>
    public bool IsKnown => Value is not null && FeatureCatalog.Default.TryGetFeature(Value, out _);

    /// <summary>
    /// Reads a feature name as people type it: <c>eyes_closed_mode</c>, <c>feature_eyes_closed_mode</c> or
    /// <c>eyes-closed-mode</c>, in any case. Unknown names are accepted as they are (lower-cased, prefixed).
    /// </summary>
    /// <param name="text">The name.</param>
    /// <returns>The feature name.</returns>
    /// <exception cref="FormatException">The text is empty or has characters other than letters, digits, '_' and '-'.</exception>
    public static FeatureName Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var name = text.Trim().ToLowerInvariant().Replace('-', '_');
        if (name.Length == 0 || !name.All(c => char.IsAsciiLetterOrDigit(c) || c == '_'))
        {
            throw new FormatException($"'{text}' is not a feature name (e.g. eyes_closed_mode or feature_eyes_closed_mode).");
        }

        return new FeatureName(name.StartsWith(Prefix, StringComparison.Ordinal) ? name : Prefix + name);
    }

    /// <summary>A feature name from its wire value.</summary>
    /// <param name="value">The <c>feature_name</c>.</param>
    public static implicit operator FeatureName(string value) => new(value);

    /// <inheritdoc />
    public override string ToString() => Value ?? string.Empty;
}
