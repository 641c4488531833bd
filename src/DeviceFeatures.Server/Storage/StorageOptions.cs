using System.ComponentModel.DataAnnotations;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace DeviceFeatures.Server.Storage;

/// <summary>Where and how the server stores its state (section <c>Storage</c>).</summary>
internal sealed class StorageOptions : IValidatableObject
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

    /// <summary>
    /// The PostgreSQL settings every connection of the server starts from. With several hosts
    /// (<c>Host=db1:5432,db2:5432</c>: a primary and its standbys) and no <c>Target Session Attributes</c>, Npgsql
    /// would take the first host that answers, a standby included, where every change fails; the server only works on
    /// the primary, so it asks for it (<c>Target Session Attributes=primary</c>), and follows a promotion by itself.
    /// Unless the connection string says otherwise, statements run often are prepared on each connection
    /// (<c>Max Auto Prepare=64</c>: PostgreSQL then plans them once per connection instead of on every call) and a
    /// connection goes back to the pool without <c>DISCARD ALL</c> (<c>No Reset On Close=true</c>: the server keeps
    /// no session state, so the reset only cost every call work on the next statement); both measured in
    /// docs/benchmarks.md.
    /// </summary>
    public NpgsqlConnectionStringBuilder PostgresSettings()
    {
        var settings = new NpgsqlConnectionStringBuilder(ConnectionString);
        if (IsMultiHost(settings) && string.IsNullOrEmpty(settings.TargetSessionAttributes))
        {
            settings.TargetSessionAttributes = "primary";
        }

        // Npgsql's builder knows every keyword whether set or not; the plain builder keeps only those the string has.
        var given = new System.Data.Common.DbConnectionStringBuilder { ConnectionString = ConnectionString }.Keys
            .Cast<string>().Select(k => k.Replace(" ", "", StringComparison.Ordinal).ToUpperInvariant()).ToHashSet(StringComparer.Ordinal);
        if (!given.Contains("MAXAUTOPREPARE"))
        {
            settings.MaxAutoPrepare = 64;
        }

        if (!given.Contains("NORESETONCLOSE"))
        {
            settings.NoResetOnClose = true;
        }

        return settings;
    }

    /// <summary>Whether the connection string names several hosts (Npgsql then fails over between them).</summary>
    public static bool IsMultiHost(NpgsqlConnectionStringBuilder settings) => settings.Host?.Contains(',', StringComparison.Ordinal) == true;

    /// <summary>A connection string of the other provider's kind is the usual slip: say which one was expected.</summary>
    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (string.IsNullOrWhiteSpace(ConnectionString) || string.IsNullOrWhiteSpace(Provider))
        {
            yield break;
        }

        string? problem = null;
        try
        {
            if (IsPostgres)
            {
                _ = new NpgsqlConnectionStringBuilder(ConnectionString);
            }
            else if (string.Equals(Provider, "sqlite", StringComparison.OrdinalIgnoreCase))
            {
                _ = new SqliteConnectionStringBuilder(ConnectionString);
            }
        }
        catch (ArgumentException ex)
        {
            problem = ex.Message;
        }

        if (problem is not null)
        {
            yield return new ValidationResult(IsPostgres
                ? $"Storage:ConnectionString is not a PostgreSQL connection string ({problem}): give one like 'Host=db;Database=devicefeatures;Username=app;Password=...', or set Storage:Provider=sqlite."
                : $"Storage:ConnectionString is not a SQLite connection string ({problem}): give one like 'Data Source=./data/devicefeatures.db', or set Storage:Provider=postgres.",
                [nameof(ConnectionString)]);
        }
    }
}
