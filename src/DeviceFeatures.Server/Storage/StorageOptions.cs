using System.ComponentModel.DataAnnotations;

namespace DeviceFeatures.Server.Storage;

/// <summary>Where and how the server stores its state (section <c>Storage</c>).</summary>
public sealed class StorageOptions
{
    public const string SectionName = "Storage";

    /// <summary><c>sqlite</c> (the embedded default).</summary>
    [Required]
    [RegularExpression("^(?i)sqlite$", ErrorMessage = "Storage:Provider must be 'sqlite'.")]
    public string Provider { get; set; } = "sqlite";

    /// <summary>The provider's connection string; for SQLite a file under <c>./data/</c> by default.</summary>
    [Required]
    public string ConnectionString { get; set; } = "Data Source=./data/devicefeatures.db";
}
