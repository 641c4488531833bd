using System.Globalization;
using DeviceFeatures.Protocol.Catalog;

namespace DeviceFeatures.Client;

/// <summary>
/// A Withings device model id, e.g. 17 for Body Pro 2. An open value: ids this version does not know are carried as
/// they are.
/// </summary>
/// <param name="Id">The model id as sent in the <c>model</c> parameter.</param>
public readonly record struct DeviceModel(int Id)
{
    /// <summary>Body Pro 2 (model 17).</summary>
    public static DeviceModel BodyPro2 { get; } = new(17);

    /// <summary>BPM Pro 2 (model 47).</summary>
    public static DeviceModel BpmPro2 { get; } = new(47);

    /// <summary>Sleep Sensor, Aura Sensor V2 (model 63).</summary>
    public static DeviceModel SleepSensor { get; } = new(63);

    /// <summary>The model's name in this version's catalog, or <see langword="null"/> when unknown.</summary>
    public string? Name => FeatureCatalog.Default.TryGetModel(Id, out var model) ? model.Name : null;

    /// <summary>
    /// Reads a model as people type it: an id (<c>17</c>), a short name (<c>body-pro-2</c>) or a full name
    /// (<c>Body Pro 2</c>, any case).
    /// </summary>
    /// <param name="text">The model.</param>
    /// <param name="model">The model when recognised.</param>
    /// <returns><see langword="true"/> when the text is an id or a name in the catalog.</returns>
    public static bool TryParse(string? text, out DeviceModel model)
    {
        model = default;
        if (string.IsNullOrWhiteSpace(text))
        {
            return false;
        }

        text = text.Trim();
        if (int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var id))
        {
            model = new DeviceModel(id);
            return true;
        }

        var wanted = Slug(text);
        foreach (var known in FeatureCatalog.Default.Models)
        {
            if (known.Slug == wanted || Slug(known.Name) == wanted)
            {
                model = new DeviceModel(known.Id);
                return true;
            }
        }

        return false;
    }

    /// <summary>A model from its id.</summary>
    /// <param name="id">The model id.</param>
    public static implicit operator DeviceModel(int id) => new(id);

    /// <inheritdoc />
    public override string ToString() => Name is { } name ? $"{Id} ({name})" : Id.ToString(CultureInfo.InvariantCulture);

    private static string Slug(string name)
    {
        var words = new string(name.ToLowerInvariant().Select(c => char.IsAsciiLetterOrDigit(c) ? c : ' ').ToArray());
        return string.Join('-', words.Split(' ', StringSplitOptions.RemoveEmptyEntries));
    }
}

/// <summary>A recorded feature choice, as <c>getfeatures</c> lists it.</summary>
/// <param name="Name">The feature.</param>
/// <param name="Active">Whether the choice is "on".</param>
public readonly record struct FeatureChoice(FeatureName Name, bool Active);
