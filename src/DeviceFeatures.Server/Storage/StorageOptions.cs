using System.ComponentModel.DataAnnotations;

namespace DeviceFeatures.Server.Storage;

/// <summary>Where and how the server stores its state (section <c>Storage</c>).</summary>
public sealed class StorageOptions
{
    public const string SectionName = "Storage";

    /// <summary>
    /// <c>sqlite</c> (the embedded default, one instance) or <c>postgres</c> (a shared database for any number of
    /// instances).
    /// </summary>
    [Required]
    [RegularExpression("^(?i)(sqlite|postgres)$", ErrorMessage = "Storage:Provider must be 'sqlite' or 'postgres'.")]
    public string Provider { get; set; } = "sqlite";

    /// <summary>
    /// The provider's connection string: for SQLite a file under <c>./data/</c> by default; for PostgreSQL an Npgsql
    /// connection string (<c>Host=...;Database=...;Username=...;Password=...</c>).
    /// </summary>
    [Required]
    public string ConnectionString { get; set; } = "Data Source=./data/devicefeatures.db";

    /// <summary>
    /// SQLite only: once the write-ahead log holds this many pages (4 KiB each), the writer pauses between two
    /// commits to copy the rest of it into the database and start the log again from its beginning. Without
    /// that pause a log that is written to without a break would never be copied in full, and would grow as long
    /// as the writes go on.
    /// </summary>
    [Range(16, 1_000_000)]
    public int SqliteLogRestartPages { get; set; } = 4096;

    public bool IsPostgres => string.Equals(Provider, "postgres", StringComparison.OrdinalIgnoreCase);
}
