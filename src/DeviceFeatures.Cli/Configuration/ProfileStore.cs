using System.Text.Json;
using System.Text.Json.Serialization;

namespace DeviceFeatures.Cli.Configuration;

/// <summary>One named set of settings written by <c>devfeat configure</c>.</summary>
internal sealed class Profile
{
    public string? Endpoint { get; set; }

    public string? ClientId { get; set; }

    public string? ClientSecret { get; set; }

    public string? AdminUrl { get; set; }

    public string? AdminKey { get; set; }
}

/// <summary>
/// The profiles file (<c>~/.config/devfeat/profiles.json</c>, or <c>DEVFEAT_CONFIG</c>): readable by its owner only,
/// since it holds secrets.
/// </summary>
internal static class ProfileStore
{
    public static Dictionary<string, Profile> Load(string path)
    {
        if (!File.Exists(path))
        {
            return new(StringComparer.Ordinal);
        }

        try
        {
            return JsonSerializer.Deserialize(File.ReadAllText(path), ProfileJson.Default.DictionaryStringProfile)
                ?? new(StringComparer.Ordinal);
        }
        catch (JsonException ex)
        {
            throw new CliException(ExitCodes.NotConfigured, $"The profiles file {path} is not valid JSON ({ex.Message}); fix it or run 'devfeat configure' again.");
        }
    }

    public static void Save(string path, Dictionary<string, Profile> profiles)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        var temporary = path + ".tmp";
        using (var stream = new FileStream(temporary, FileMode.Create, FileAccess.Write, FileShare.None))
        {
            if (!OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(temporary, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            }

            JsonSerializer.Serialize(stream, profiles, ProfileJson.Default.DictionaryStringProfile);
        }

        File.Move(temporary, path, overwrite: true);
    }
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, WriteIndented = true,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(Dictionary<string, Profile>))]
internal sealed partial class ProfileJson : JsonSerializerContext;
