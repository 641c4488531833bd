using System.CommandLine;
using DeviceFeatures.Client;

namespace DeviceFeatures.Cli.Commands;

/// <summary>The arguments several commands share, and how people may write them.</summary>
internal static class Arguments
{
    public static Option<int> User() => new Option<int>("--user", "-u")
    {
        Description = "Withings user id",
        Required = true,
    }.Reads(OptionValues.UserId, OptionValues.TryUserId);

    public static Option<string> Model(bool required = true) => new("--model", "-m")
    {
        Description = "Device model: an id (17) or a name (body-pro-2, bpm-pro-2, sleep-sensor)",
        Required = required,
    };

    public static Argument<string> Feature() => new("feature")
    {
        Description = "Feature name, with or without its prefix: eyes_closed_mode or feature_eyes_closed_mode",
    };

    public static DeviceModel ParseModel(string text) =>
        DeviceModel.TryParse(text, out var model)
            ? model
            : throw new CliException(ExitCodes.Usage, $"'{text}' is not a device model: give an id such as 17, or a name such as body-pro-2 (see 'devfeat catalog').");

    public static string Describe(DeviceModel model) =>
        model.Name is { } name ? $"{name} (model {model.Id})" : $"model {model.Id}";

    public static FeatureName ParseFeature(string text)
    {
        try
        {
            return FeatureName.Parse(text);
        }
        catch (FormatException ex)
        {
            throw new CliException(ExitCodes.Usage, ex.Message);
        }
    }
}
