using Dapper;
using Microsoft.Extensions.Options;
using Npgsql;

namespace DeviceFeatures.Server.Storage;

/// <summary>
/// PostgreSQL, shared by any number of server instances. Each write is one READ COMMITTED transaction; what must be
/// single (a nonce's use) rests on unique keys, and what reads before it writes locks the row it reads. The data
/// source is the only pool of connections of this instance.
/// </summary>
internal sealed partial class PostgresFeatureStore : IFeatureStore, IAsyncDisposable, IDisposable
{
    // pg_advisory_lock takes a bigint: "DFMIGRAT" in ASCII, so that it is recognisable in pg_locks.
    internal const long MigrationLockKey = 0x44464D4947524154;

    private readonly NpgsqlDataSource _dataSource;
    private readonly TimeProvider _time;
    private readonly ILogger<PostgresFeatureStore> _logger;
    private readonly WriteReadiness _readiness;
    private readonly PostgresChangeNotifier _notifier;

    public PostgresFeatureStore(IOptions<StorageOptions> options, TimeProvider time, ILogger<PostgresFeatureStore> logger, Device.DeviceSignals? signals = null)
    {
        Signals = signals ?? new Device.DeviceSignals();
        var builder = new NpgsqlDataSourceBuilder(options.Value.PostgresSettings().ConnectionString);
        builder.ConnectionStringBuilder.ApplicationName ??= "DeviceFeatures";

        // With several hosts this is Npgsql's multi-host source: it keeps a pool per host, remembers which host is
        // the primary, a standby or down (for Host Recheck Seconds), and after a promotion finds the new primary.
        _dataSource = builder.Build();
        _time = time;
        _logger = logger;
        _readiness = new WriteReadiness(time, ReasonNotWritable);
        _notifier = new PostgresChangeNotifier(_dataSource, logger);
    }

    /// <summary>The devices of this instance waiting for a change of their configuration.</summary>
    internal Device.DeviceSignals Signals { get; }

    /// <summary>Where the store connects, without the password.</summary>
    public string Target
    {
        get
        {
            var settings = new NpgsqlConnectionStringBuilder(_dataSource.ConnectionString);
            return StorageOptions.IsMultiHost(settings)
                ? $"{settings.Host}/{settings.Database}"
                : $"{settings.Host}:{settings.Port}/{settings.Database}";
        }
    }

    public async Task MigrateAsync(CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);

        // Instances that start together queue here; each one after the first finds nothing left to apply. The lock
        // belongs to this session, so it is released when the connection dies even if the unlock never runs.
        await connection.ExecuteAsync(new CommandDefinition(
            "SELECT pg_advisory_lock(@key)", new { key = MigrationLockKey }, cancellationToken: cancellationToken)).ConfigureAwait(false);
        try
        {
            var applied = await Migrations.ApplyAsync(connection, SqlDialect.Postgres, Migrations.Load("Postgres"), _time.GetUtcNow().ToUnixTimeMilliseconds(), cancellationToken)
                .ConfigureAwait(false);
            if (applied > 0)
            {
                LogMigrated(applied, Target);
            }
        }
        finally
        {
            await connection.ExecuteAsync(new CommandDefinition(
                "SELECT pg_advisory_unlock(@key)", new { key = MigrationLockKey }, cancellationToken: CancellationToken.None)).ConfigureAwait(false);
        }
    }

    // A lost connection throws out of here and rolls the transaction back on the server. After a database restart
    // only the first call that meets a dead pooled connection fails: Npgsql then drops the others (measured, see
    // PostgresOutageTests).
    public async Task<T> WriteAsync<T>(Func<StoreSession, Task<T>> work, CancellationToken cancellationToken)
    {
        try
        {
            return await CommittedSession.WriteAsync(w => WriteOnceAsync(w, cancellationToken), work, Committed).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            _readiness.Observe(ex);
            throw;
        }
    }

    public bool HasServerFunctions => true;

    public async Task<T> WriteStatementAsync<T>(Func<StoreSession, Task<T>> work, CancellationToken cancellationToken)
    {
        try
        {
            return await CommittedSession.WriteAsync(w => WriteStatementOnceAsync(w, cancellationToken), work, Committed).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            _readiness.Observe(ex);
            throw;
        }
    }

    public Task<string?> CheckWritableAsync(CancellationToken cancellationToken) => _readiness.CheckAsync(this, cancellationToken);

    private async Task<T> WriteOnceAsync<T>(Func<StoreSession, Task<T>> work, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        var result = await work(new CommandSession(connection, transaction, SqlDialect.Postgres, cancellationToken)).ConfigureAwait(false);

        // The commit must not be abandoned half-way because a client went away. A WARNING received during it means
        // the outcome is not the one promised (see CommitWarnings); one small watcher per write, detached before the
        // pooled connection goes back.
        var warnings = new CommitWarnings();
        connection.Notice += warnings.Handler;
        try
        {
            await transaction.CommitAsync(CancellationToken.None).ConfigureAwait(false);
        }
        finally
        {
            connection.Notice -= warnings.Handler;
        }

        if (warnings.First is { } warning)
        {
            throw new CommitNotReplicatedException(warning);
        }

        return result;
    }

    // Without a transaction of its own, the statement is its own transaction: PostgreSQL commits it when it ends, before
    // it says it is ready for the next one, and the reader the session disposes of before returning waits for that.
    // The commit's WARNING, if any, comes in between, so the watcher covers the whole statement.
    private async Task<T> WriteStatementOnceAsync<T>(Func<StoreSession, Task<T>> work, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        var warnings = new CommitWarnings();
        connection.Notice += warnings.Handler;
        T result;
        try
        {
            // Not abandoned half-way either: a cancelled statement may or may not have committed.
            result = await work(new CommandSession(connection, null, SqlDialect.Postgres, CancellationToken.None)).ConfigureAwait(false);
        }
        finally
        {
            connection.Notice -= warnings.Handler;
        }

        if (warnings.First is { } warning)
        {
            throw new CommitNotReplicatedException(warning);
        }

        return result;
    }

    public async Task<T> ReadAsync<T>(Func<StoreSession, Task<T>> work, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        return await work(new CommandSession(connection, null, SqlDialect.Postgres, cancellationToken)).ConfigureAwait(false);
    }

    // 25006 (read_only_sql_transaction) is a standby refusing a change: a connection string that lets Npgsql choose a
    // standby (Target Session Attributes=any) meets it during a failover; no change can be made until a promotion.
    public bool IsUnavailable(Exception exception) => exception switch
    {
        NoPrimaryException or CommitNotReplicatedException => true,
        PostgresException pg => pg.IsTransient || IsConnectionLost(pg) || pg.SqlState == PostgresErrorCodes.ReadOnlySqlTransaction,
        NpgsqlException npgsql => npgsql.IsTransient,
        TimeoutException => true,
        _ => false,
    };

    /// <summary>
    /// A connection from the pool. With several hosts, Npgsql reports that none of them is a primary it can use in one
    /// exception of its own that is not marked transient: wrapping each host's failure, or with no inner exception at
    /// all while every host is remembered as down or as a standby (for Host Recheck Seconds). Between the loss of a
    /// primary and the promotion of a standby that is an outage like a stopped database, and is answered as one (522).
    /// </summary>
    private async ValueTask<NpgsqlConnection> OpenAsync(CancellationToken cancellationToken)
    {
        try
        {
            return await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (NpgsqlException ex) when (_dataSource is NpgsqlMultiHostDataSource && ex is not PostgresException && !ex.IsTransient)
        {
            throw new NoPrimaryException(ex);
        }
    }

    // The host disposes asynchronously (DisposeAsync, which lets the notifier send what is queued); disposed synchronously,
    // the notifier is only told to stop, without a wait on this thread.
    public void Dispose()
    {
        _notifier.Stop();
        _dataSource.Dispose();
    }

    // 53100 disk_full: no change can be committed until space is freed.
    private static string? ReasonNotWritable(Exception exception) =>
        exception is PostgresException { SqlState: PostgresErrorCodes.DiskFull } ? "the disk is full: changes are refused" : null;

    public async ValueTask DisposeAsync()
    {
        await _notifier.DisposeAsync().ConfigureAwait(false);
        await _dataSource.DisposeAsync().ConfigureAwait(false);
    }

    // This instance's waiting devices are woken at once; the other instances' through the notifier, right after.
    private void Committed(IReadOnlyCollection<string> devices)
    {
        Signals.Changed(devices);
        _notifier.Publish(devices);
    }

    // Class 08 is "connection exception"; 57P01-57P03 are an administrator's or a crash's shutdown and a server
    // still starting up.
    private static bool IsConnectionLost(PostgresException exception) =>
        exception.SqlState.StartsWith("08", StringComparison.Ordinal) || exception.SqlState is "57P01" or "57P02" or "57P03";

    /// <summary>No host of a multi-host connection string is a primary that answers (see <see cref="OpenAsync"/>).</summary>
    private sealed class NoPrimaryException(NpgsqlException inner)
        : Exception($"no primary among the hosts answers: {inner.Message.TrimEnd('.')}", inner);

    /// <summary>
    /// The notices PostgreSQL sends during a COMMIT. With a synchronous standby, a COMMIT whose wait for the standby is
    /// cancelled (Npgsql's Command Timeout sends a cancel request, or an administrator runs pg_cancel_backend; measured:
    /// Npgsql then returns from the commit normally) does not roll back: the transaction is committed on the primary
    /// alone, and PostgreSQL says so with a WARNING ("canceling wait for synchronous replication", SQLSTATE 01000), not
    /// an error. The text may be translated (lc_messages), so any notice of invariant severity WARNING without a context
    /// (<c>Where</c>) during a COMMIT, or during a statement that is its own transaction (<see cref="WriteStatementAsync{T}"/>),
    /// counts: an ordinary COMMIT sends none, so without a standby nothing changes.
    /// </summary>
    private sealed class CommitWarnings
    {
        public CommitWarnings() => Handler = OnNotice;

        public NoticeEventHandler Handler { get; }

        public PostgresNotice? First { get; private set; }

        private void OnNotice(object sender, NpgsqlNoticeEventArgs e)
        {
            // A warning raised by a statement or a function carries where it was raised (a PL/pgSQL compiler's warning
            // when a function first runs in a session, say); the commit's own has no such context.
            if (First is null && string.Equals(e.Notice.InvariantSeverity, "WARNING", StringComparison.Ordinal) && string.IsNullOrEmpty(e.Notice.Where))
            {
                First = e.Notice;
            }
        }
    }

    /// <summary>
    /// The COMMIT ended with a WARNING (<see cref="CommitWarnings"/>): the change is on the primary but perhaps on no
    /// standby, and a failover would lose it. Nothing is acknowledged: the outcome is unknown, answered as an outage
    /// (522, 503 on the admin API), like a connection lost during a commit. The message holds PostgreSQL's SQLSTATE,
    /// and neither data nor the notice's possibly translated text.
    /// </summary>
    private sealed class CommitNotReplicatedException(PostgresNotice notice)
        : Exception($"the commit ended with a warning (SQLSTATE {notice.SqlState}): committed on the primary, perhaps not replicated to the synchronous standby");

    [LoggerMessage(Level = LogLevel.Information, Message = "Applied {Count} schema migration(s) to the PostgreSQL database {Target}")]
    private partial void LogMigrated(int count, string target);
}
