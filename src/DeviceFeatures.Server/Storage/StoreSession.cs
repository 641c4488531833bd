using System.Data.Common;
using Dapper;

namespace DeviceFeatures.Server.Storage;

/// <summary>
/// The SQL the server runs, on one connection and (for writes) one transaction. The statements are plain SQL that
/// SQLite and PostgreSQL both accept; the few clauses that differ come from the <see cref="SqlDialect"/>, and the rest
/// of what differs between providers lives in the store classes.
/// </summary>
internal sealed class StoreSession(
    DbConnection connection, DbTransaction? transaction, SqlDialect dialect, CancellationToken cancellationToken, PreparedCommands? prepared = null)
{
    static StoreSession() => DefaultTypeMap.MatchNamesWithUnderscores = true;

    private CommandDefinition Command(string sql, object? parameters = null) =>
        new(sql, parameters, transaction, cancellationToken: cancellationToken);

    // --- keys and settings

    public async Task<byte[]> GetOrAddServerKeyAsync(string name, byte[] candidate, long now)
    {
        await connection.ExecuteAsync(Command(
            "INSERT INTO server_keys (name, key_material, created_at) VALUES (@name, @candidate, @now) ON CONFLICT (name) DO NOTHING",
            new { name, candidate, now })).ConfigureAwait(false);
        return await connection.QuerySingleAsync<byte[]>(Command(
            "SELECT key_material FROM server_keys WHERE name = @name", new { name })).ConfigureAwait(false);
    }

    public Task<string?> GetSettingAsync(string name) =>
        connection.QuerySingleOrDefaultAsync<string?>(Command("SELECT value FROM settings WHERE name = @name", new { name }));

    public Task<int> AddSettingAsync(string name, string value) =>
        connection.ExecuteAsync(Command(
            "INSERT INTO settings (name, value) VALUES (@name, @value) ON CONFLICT (name) DO NOTHING", new { name, value }));

    // --- nonces

    /// <summary>Records the use of a nonce; <see langword="false"/> when it was already used.</summary>
    public async Task<bool> TryUseNonceAsync(byte[] nonce, string clientId, long expiresAt)
    {
        const string Sql = "INSERT INTO used_nonces (nonce, client_id, expires_at) VALUES (@nonce, @clientId, @expiresAt) ON CONFLICT (nonce) DO NOTHING";
        var inserted = prepared is not null
            ? prepared.Get(Sql).Bind("@nonce", nonce).Bind("@clientId", clientId).Bind("@expiresAt", expiresAt).Execute()
            : await connection.ExecuteAsync(Command(Sql, new { nonce, clientId, expiresAt })).ConfigureAwait(false);
        return inserted == 1;
    }

    public Task<int> DeleteExpiredNoncesAsync(long now) =>
        connection.ExecuteAsync(Command("DELETE FROM used_nonces WHERE expires_at < @now", new { now }));

    // --- partners

    public Task<PartnerRow?> FindPartnerAsync(string clientId) =>
        connection.QuerySingleOrDefaultAsync<PartnerRow>(Command(
            "SELECT client_id, name, client_secret, suspended, created_at, updated_at, previous_secret, previous_secret_expires_at, rate_limit_per_minute FROM partners WHERE client_id = @clientId",
            new { clientId }));

    public async Task<IReadOnlyList<PartnerRow>> ListPartnersAsync() =>
        (await connection.QueryAsync<PartnerRow>(Command(
            "SELECT client_id, name, client_secret, suspended, created_at, updated_at, previous_secret, previous_secret_expires_at, rate_limit_per_minute FROM partners ORDER BY created_at, client_id"))
            .ConfigureAwait(false)).AsList();

    public Task<int> CountPartnersAsync() =>
        connection.ExecuteScalarAsync<int>(Command("SELECT COUNT(*) FROM partners"));

    public Task InsertPartnerAsync(PartnerRow partner) =>
        connection.ExecuteAsync(Command(
            "INSERT INTO partners (client_id, name, client_secret, suspended, created_at, updated_at) VALUES (@ClientId, @Name, @ClientSecret, @Suspended, @CreatedAt, @UpdatedAt)",
            partner));

    /// <summary>
    /// Makes <paramref name="newSecret"/> the partner's secret. With <paramref name="previousExpiresAt"/>, the secret it
    /// replaces stays valid until then; without, it stops at once.
    /// </summary>
    public Task<int> RotatePartnerSecretAsync(string clientId, string newSecret, long? previousExpiresAt, long now) =>
        connection.ExecuteAsync(Command(
            """
            UPDATE partners SET
                previous_secret = CASE WHEN @previousExpiresAt IS NULL THEN NULL ELSE client_secret END,
                previous_secret_expires_at = @previousExpiresAt,
                client_secret = @newSecret,
                updated_at = @now
            WHERE client_id = @clientId
            """,
            new { clientId, newSecret, previousExpiresAt, now }));

    /// <summary>Encrypts a secret stored in clear by an earlier version, unless it changed meanwhile.</summary>
    public Task<int> ReplacePlainSecretAsync(string clientId, string plain, string encrypted) =>
        connection.ExecuteAsync(Command(
            "UPDATE partners SET client_secret = @encrypted WHERE client_id = @clientId AND client_secret = @plain",
            new { clientId, plain, encrypted }));

    /// <summary>Sets the partner's quota; the count of changed rows is 0 when it already had that quota (or no such partner).</summary>
    public Task<int> SetPartnerRateLimitAsync(string clientId, int? requestsPerMinute, long now) =>
        connection.ExecuteAsync(Command(
            """
            UPDATE partners SET rate_limit_per_minute = @requestsPerMinute, updated_at = @now
            WHERE client_id = @clientId AND rate_limit_per_minute IS DISTINCT FROM @requestsPerMinute
            """,
            new { clientId, requestsPerMinute, now }));

    /// <summary>
    /// Counts one request of the partner in the window starting at <paramref name="windowStart"/>; returns the count.
    /// The window only moves forward: an instance whose clock lags counts into the window already open.
    /// </summary>
    public Task<int> CountRequestAsync(string clientId, long windowStart) =>
        connection.QuerySingleAsync<int>(Command(
            """
            INSERT INTO rate_windows (client_id, window_start, count) VALUES (@clientId, @windowStart, 1)
            ON CONFLICT (client_id) DO UPDATE SET
                count = CASE WHEN excluded.window_start > rate_windows.window_start THEN 1 ELSE rate_windows.count + 1 END,
                window_start = CASE WHEN excluded.window_start > rate_windows.window_start THEN excluded.window_start ELSE rate_windows.window_start END
            RETURNING count
            """,
            new { clientId, windowStart }));

    public Task<int> SetPartnerSuspendedAsync(string clientId, bool suspended, long now) =>
        connection.ExecuteAsync(Command(
            "UPDATE partners SET suspended = @suspended, updated_at = @now WHERE client_id = @clientId AND suspended <> @suspended",
            new { clientId, suspended, now }));

    // --- entitlements

    public async Task<bool> HasEntitlementAsync(string clientId, string featureName) =>
        await connection.ExecuteScalarAsync<int>(Command(
            "SELECT COUNT(*) FROM entitlements WHERE client_id = @clientId AND feature_name = @featureName",
            new { clientId, featureName })).ConfigureAwait(false) > 0;

    public async Task<IReadOnlyList<EntitlementRow>> ListEntitlementsAsync(string clientId) =>
        (await connection.QueryAsync<EntitlementRow>(Command(
            "SELECT feature_name, granted_at FROM entitlements WHERE client_id = @clientId ORDER BY feature_name",
            new { clientId })).ConfigureAwait(false)).AsList();

    public Task<int> GrantEntitlementAsync(string clientId, string featureName, long now) =>
        connection.ExecuteAsync(Command(
            "INSERT INTO entitlements (client_id, feature_name, granted_at) VALUES (@clientId, @featureName, @now) ON CONFLICT (client_id, feature_name) DO NOTHING",
            new { clientId, featureName, now }));

    public Task<int> RevokeEntitlementAsync(string clientId, string featureName) =>
        connection.ExecuteAsync(Command(
            "DELETE FROM entitlements WHERE client_id = @clientId AND feature_name = @featureName",
            new { clientId, featureName }));

    // --- users and devices

    public Task<UserRow?> FindUserAsync(int userId) =>
        FindUserAsync("SELECT userid AS user_id, client_id, created_at FROM users WHERE userid = @userId", userId);

    /// <summary>
    /// Reads the user and, where writers run side by side, locks the row until the transaction ends: every change
    /// to the user's choices takes this lock first, so each one reads the previous choice only after the change
    /// before it has committed, and its audit event continues from that choice.
    /// </summary>
    public async Task<UserRow?> FindUserForUpdateAsync(int userId)
    {
        return await FindUserAsync("SELECT userid AS user_id, client_id, created_at FROM users WHERE userid = @userId" + dialect.LockForUpdate, userId)
            .ConfigureAwait(false);
    }

    private async Task<UserRow?> FindUserAsync(string sql, int userId)
    {
        if (prepared is null)
        {
            return await connection.QuerySingleOrDefaultAsync<UserRow>(Command(sql, new { userId })).ConfigureAwait(false);
        }

        return prepared.Get(sql).Bind("@userId", userId)
            .ReadFirst(static row => new UserRow { UserId = (int)row.Number(0), ClientId = row.Text(1), CreatedAt = row.Number(2) });
    }

    public Task<int> InsertUserAsync(string clientId, long now) =>
        connection.QuerySingleAsync<int>(Command(
            "INSERT INTO users (client_id, created_at) VALUES (@clientId, @now) RETURNING userid", new { clientId, now }));

    public Task<int?> FindDeviceOwnerAsync(string macAddress) =>
        connection.QuerySingleOrDefaultAsync<int?>(Command(
            "SELECT userid FROM devices WHERE mac_address = @macAddress", new { macAddress }));

    /// <summary>Links the device; <see langword="false"/> when it is already linked (to anyone).</summary>
    public async Task<bool> TryInsertDeviceAsync(DeviceRow device) =>
        await connection.ExecuteAsync(Command(
            """
            INSERT INTO devices (mac_address, userid, model, market, linked_at) VALUES (@MacAddress, @UserId, @Model, @Market, @LinkedAt)
            ON CONFLICT (mac_address) DO NOTHING
            """,
            device)).ConfigureAwait(false) == 1;

    public async Task<IReadOnlyList<DeviceRow>> ListDevicesAsync(int userId) =>
        (await connection.QueryAsync<DeviceRow>(Command(
            "SELECT mac_address, userid AS user_id, model, market, linked_at FROM devices WHERE userid = @userId ORDER BY linked_at, mac_address",
            new { userId })).ConfigureAwait(false)).AsList();

    public async Task<IReadOnlyList<string>> ListMarketsAsync(int userId, int model) =>
        (await connection.QueryAsync<string>(Command(
            "SELECT DISTINCT market FROM devices WHERE userid = @userId AND model = @model ORDER BY market",
            new { userId, model })).ConfigureAwait(false)).AsList();

    // --- choices

    public async Task<bool?> FindChoiceAsync(int userId, int model, string featureName)
    {
        const string Sql = "SELECT active FROM choices WHERE userid = @userId AND model = @model AND feature_name = @featureName";
        if (prepared is null)
        {
            return await connection.QuerySingleOrDefaultAsync<bool?>(Command(Sql, new { userId, model, featureName })).ConfigureAwait(false);
        }

        return prepared.Get(Sql).Bind("@userId", userId).Bind("@model", model).Bind("@featureName", featureName)
            .ReadFirst(static row => row.IsNull(0) ? (bool?)null : row.Number(0) != 0);
    }

    public Task SetChoiceAsync(int userId, int model, string featureName, bool active, long now)
    {
        const string Sql = """
            INSERT INTO choices (userid, model, feature_name, active, updated_at) VALUES (@userId, @model, @featureName, @active, @now)
            ON CONFLICT (userid, model, feature_name) DO UPDATE SET active = excluded.active, updated_at = excluded.updated_at
            """;
        if (prepared is null)
        {
            return connection.ExecuteAsync(Command(Sql, new { userId, model, featureName, active, now }));
        }

        prepared.Get(Sql).Bind("@userId", userId).Bind("@model", model).Bind("@featureName", featureName).Bind("@active", active).Bind("@now", now).Execute();
        return Task.CompletedTask;
    }

    public async Task<IReadOnlyList<ChoiceRow>> ListChoicesAsync(int userId, int? model)
    {
        const string Sql = "SELECT model, feature_name, active, updated_at FROM choices WHERE userid = @userId AND (@model IS NULL OR model = @model) ORDER BY model, feature_name";
        if (prepared is null)
        {
            return (await connection.QueryAsync<ChoiceRow>(Command(Sql, new { userId, model })).ConfigureAwait(false)).AsList();
        }

        return prepared.Get(Sql).Bind("@userId", userId).Bind("@model", model)
            .ReadAll(static row => new ChoiceRow { Model = (int)row.Number(0), FeatureName = row.Text(1), Active = row.Number(2) != 0, UpdatedAt = row.Number(3) });
    }

    // --- audit

    public Task AppendAuditAsync(AuditRow e)
    {
        const string Sql = """
            INSERT INTO audit_events (occurred_at, kind, actor, client_id, userid, model, feature_name, old_value, new_value, request_id, detail)
            VALUES (@OccurredAt, @Kind, @Actor, @ClientId, @UserId, @Model, @FeatureName, @OldValue, @NewValue, @RequestId, @Detail)
            """;
        if (prepared is null)
        {
            return connection.ExecuteAsync(Command(Sql, e));
        }

        prepared.Get(Sql)
            .Bind("@OccurredAt", e.OccurredAt).Bind("@Kind", e.Kind).Bind("@Actor", e.Actor).Bind("@ClientId", e.ClientId).Bind("@UserId", e.UserId)
            .Bind("@Model", e.Model).Bind("@FeatureName", e.FeatureName).Bind("@OldValue", e.OldValue).Bind("@NewValue", e.NewValue)
            .Bind("@RequestId", e.RequestId).Bind("@Detail", e.Detail).Execute();
        return Task.CompletedTask;
    }

    public async Task<IReadOnlyList<AuditRow>> QueryAuditAsync(AuditQuery query) =>
        (await connection.QueryAsync<AuditRow>(Command(
            """
            SELECT id, occurred_at, kind, actor, client_id, userid AS user_id, model, feature_name, old_value, new_value, request_id, detail
            FROM audit_events
            WHERE id > @AfterId
              AND (@ClientId IS NULL OR client_id = @ClientId)
              AND (@UserId IS NULL OR userid = @UserId)
              AND (@SinceMs IS NULL OR occurred_at >= @SinceMs)
            ORDER BY id
            LIMIT @Limit
            """,
            query)).ConfigureAwait(false)).AsList();
}
