namespace DeviceFeatures.Client.Tests;

public sealed class ValueTypeTests
{
    [Theory]
    [InlineData("eyes_closed_mode")]
    [InlineData("feature_eyes_closed_mode")]
    [InlineData("Eyes-Closed-Mode")]
    [InlineData("  FEATURE_EYES_CLOSED_MODE ")]
    public void FeatureName_Parse_AcceptsWhatPeopleType(string text) =>
        Assert.Equal(FeatureName.EyesClosedMode, FeatureName.Parse(text));

    [Theory]
    [InlineData("")]
    [InlineData("eyes closed")]
    [InlineData("feature;drop")]
    public void FeatureName_Parse_RefusesNonsense(string text) =>
        Assert.Throws<FormatException>(() => FeatureName.Parse(text));

    [Fact]
    public void FeatureName_Known_IsTheCatalog()
    {
        Assert.Equal(17, FeatureName.Known.Count);
        Assert.Contains(FeatureName.SleepApnea, FeatureName.Known);
        Assert.True(FeatureName.Pacemaker.IsKnown);
        Assert.False(new FeatureName("feature_new").IsKnown);
        Assert.Equal("feature_new", FeatureName.Parse("new").ToString());
    }

    [Theory]
    [InlineData("17", 17)]
    [InlineData("body-pro-2", 17)]
    [InlineData("Body Pro 2", 17)]
    [InlineData("bpm-pro-2", 47)]
    [InlineData("sleep-sensor", 63)]
    [InlineData("sleep-sensor-aura-sensor-v2", 63)]
    [InlineData("Sleep Sensor (Aura Sensor V2)", 63)]
    [InlineData("9999", 9999)]
    public void DeviceModel_TryParse_AcceptsIdsAndNames(string text, int id)
    {
        Assert.True(DeviceModel.TryParse(text, out var model));
        Assert.Equal(id, model.Id);
    }

    [Theory]
    [InlineData("")]
    [InlineData("toaster")]
    [InlineData(null)]
    public void DeviceModel_TryParse_RefusesUnknownNames(string? text) =>
        Assert.False(DeviceModel.TryParse(text, out _));

    [Fact]
    public void DeviceModel_Names_ComeFromTheCatalog()
    {
        Assert.Equal("Body Pro 2", DeviceModel.BodyPro2.Name);
        Assert.Equal("17 (Body Pro 2)", DeviceModel.BodyPro2.ToString());
        Assert.Equal("9999", new DeviceModel(9999).ToString());
    }
}
