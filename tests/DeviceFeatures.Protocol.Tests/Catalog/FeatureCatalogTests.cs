using System.Text;
using DeviceFeatures.Protocol.Catalog;

namespace DeviceFeatures.Protocol.Tests.Catalog;

public sealed class FeatureCatalogTests
{
    private static readonly FeatureCatalog Catalog = FeatureCatalog.Default;

    // Every row of the seed page, with the two gated rows named as in the earlier copy of that page.
    [Theory]
    [InlineData("feature_muscle_mass", 17, true, false)]
    [InlineData("feature_fat_mass", 17, true, false)]
    [InlineData("feature_bone_mass", 17, true, false)]
    [InlineData("feature_water_percent", 17, true, false)]
    [InlineData("feature_body_mass_index", 17, true, false)]
    [InlineData("feature_visceral_fat", 17, true, false)]
    [InlineData("feature_standing_hr", 17, true, false)]
    [InlineData("feature_eyes_closed_mode", 17, false, false)]
    [InlineData("feature_pacemaker", 17, false, false)]
    [InlineData("feature_vascular_age", 17, true, false)]
    [InlineData("feature_esc", 17, false, true)]
    [InlineData("feature_nhs", 17, true, false)]
    [InlineData("feature_pwv", 17, false, false)]
    [InlineData("feature_sleep_rx", 63, false, true)]
    [InlineData("feature_retake_high_htn", 47, true, false)]
    [InlineData("feature_retake_medium_htn", 47, false, false)]
    [InlineData("feature_retake_low_htn", 47, false, false)]
    public void Default_HoldsEverySeedRow(string name, int model, bool defaultOn, bool gated)
    {
        Assert.True(Catalog.TryGetFeature(name, out var feature));
        Assert.Equal([model], feature.Models);
        Assert.Equal(defaultOn, feature.DefaultOn);
        Assert.Equal(gated, feature.Gated);
        Assert.False(string.IsNullOrWhiteSpace(feature.Description));
    }

    [Fact]
    public void Default_HasSeventeenFeatures() => Assert.Equal(17, Catalog.Features.Count);

    [Fact]
    public void Nhs_IsRestrictedToEuDevices()
    {
        Assert.True(Catalog.TryGetFeature("feature_nhs", out var nhs));
        Assert.Equal(["EU"], nhs.Markets);
        Assert.True(nhs.IsAvailableIn("eu"));
        Assert.False(nhs.IsAvailableIn("US"));
    }

    [Fact]
    public void UnrestrictedFeature_IsAvailableEverywhere()
    {
        Assert.True(Catalog.TryGetFeature("feature_pacemaker", out var feature));
        Assert.Empty(feature.Markets);
        Assert.True(feature.IsAvailableIn("US"));
    }

    [Theory]
    [InlineData(17, "Body Pro 2")]
    [InlineData(47, "BPM Pro 2")]
    [InlineData(63, "Sleep Sensor (Aura Sensor V2)")]
    [InlineData(1, "Withings WBS01")]
    [InlineData(1063, "Lingo Sensor")]
    public void Default_KnowsTheModelTable(int id, string name)
    {
        Assert.True(Catalog.TryGetModel(id, out var model));
        Assert.Equal(name, model.Name);
    }

    [Fact]
    public void UnknownModel_IsNotFound() => Assert.False(Catalog.TryGetModel(999, out _));

    [Fact]
    public void FeaturesOf_BpmPro2_AreTheRetakeFeatures() =>
        Assert.Equal(["feature_retake_high_htn", "feature_retake_medium_htn", "feature_retake_low_htn"],
            Catalog.FeaturesOf(47).Select(f => f.Name));

    [Fact]
    public void Load_CustomCatalog_ReplacesTheDefault()
    {
        var json = """
            {"models":[{"id":500,"name":"Test Scale"}],
             "features":[{"name":"feature_test","description":"Test.","models":[500],"default_on":true,"markets":["us"]}]}
            """;
        var catalog = FeatureCatalog.Load(new MemoryStream(Encoding.UTF8.GetBytes(json)));
        Assert.True(catalog.TryGetFeature("feature_test", out var feature));
        Assert.Equal(["US"], feature.Markets);
        Assert.False(catalog.TryGetFeature("feature_pacemaker", out _));
    }

    [Theory]
    [InlineData("""{"models":[{"id":1,"name":"A"}],"features":[{"name":"f","description":"d","models":[2],"default_on":true}]}""", "model the catalog does not list")]
    [InlineData("""{"models":[{"id":1,"name":"A"},{"id":1,"name":"B"}],"features":[]}""", "duplicate")]
    [InlineData("""{"models":[{"id":1,"name":"A"}],"features":[{"name":"f","description":"d","models":[1],"default_on":true},{"name":"f","description":"d","models":[1],"default_on":true}]}""", "duplicate name")]
    [InlineData("""not json""", "not valid JSON")]
    public void Load_InconsistentCatalog_IsRefusedWithReason(string json, string expected)
    {
        var ex = Assert.Throws<InvalidDataException>(() => FeatureCatalog.Load(new MemoryStream(Encoding.UTF8.GetBytes(json))));
        Assert.Contains(expected, ex.Message);
    }
}
