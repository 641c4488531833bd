using System.Data.Common;
using Dapper;

namespace DeviceFeatures.Server.Storage;

/// <summary>
/// Versioned schema migrations: embedded files <c>Storage/Migrations/{Provider}/NNNN_name.sql</c>, applied in order,
/// each in its own transaction together with its row in <c>schema_migrations</c>.
/// </summary>
internal static class Migrations
{
    public sealed record Migration(int Version, string Name, string Sql);

    public static IReadOnlyList<Migration> Load(string provider)
    {
        var assembly = typeof(Migrations).Assembly;
        var prefix = $"{assembly.GetName().Name}.Storage.Migrations.{provider}.";
        return assembly.GetManifestResourceNames()
            .Where(n => n.StartsWith(prefix, StringComparison.Ordinal) && n.EndsWith(".sql", StringComparison.Ordinal))
            .Select(n =>
            {
                var file = n[prefix.Length..^4];
                var version = int.Parse(file.AsSpan(0, file.IndexOf('_', StringComparison.Ordinal)), System.Globalization.CultureInfo.InvariantCulture);
                using var reader = new StreamReader(assembly.GetManifestResourceStream(n)!);
                return new Migration(version, file, reader.ReadToEnd());
            })
            .OrderBy(m => m.Version)
            .ToArray();
    }

    /// <summary>
    /// Applies the migrations not yet recorded. Each one is checked again inside its own transaction, so that
    /// servers starting together on one database apply it once: SQLite's write transaction excludes the others from
    /// its start, and the PostgreSQL store holds an advisory lock around the whole call.
    /// </summary>
    /// <remarks>
    /// A database that has every migration is left untouched, so that instances may run with a role that can only
    /// read and write the tables once an owner has migrated it.
    /// </remarks>
    public static async Task<int> ApplyAsync(
        DbConnection connection, SqlDialect dialect, IReadOnlyList<Migration> migrations, long now, CancellationToken cancellationToken)
    {
        if (await connection.ExecuteScalarAsync<int>(new CommandDefinition(
                dialect.CountTables, new { name = "schema_migrations" }, cancellationToken: cancellationToken)).ConfigureAwait(false) == 0)
        {
            await connection.ExecuteAsync(new CommandDefinition(
                "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)",
                cancellationToken: cancellationToken)).ConfigureAwait(false);
        }

        var applied = (await connection.QueryAsync<int>(new CommandDefinition(
            "SELECT version FROM schema_migrations", cancellationToken: cancellationToken)).ConfigureAwait(false)).ToHashSet();

        var count = 0;
        foreach (var migration in migrations.Where(m => !applied.Contains(m.Version)))
        {
            await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
            if (await connection.ExecuteScalarAsync<int>(new CommandDefinition(
                    "SELECT COUNT(*) FROM schema_migrations WHERE version = @Version", new { migration.Version }, transaction,
                    cancellationToken: cancellationToken)).ConfigureAwait(false) > 0)
            {
                continue;
            }

            await connection.ExecuteAsync(new CommandDefinition(migration.Sql, transaction: transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
            await connection.ExecuteAsync(new CommandDefinition(
                "INSERT INTO schema_migrations (version, name, applied_at) VALUES (@Version, @Name, @now)",
                new { migration.Version, migration.Name, now }, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
            await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
            count++;
        }

        return count;
    }
}
