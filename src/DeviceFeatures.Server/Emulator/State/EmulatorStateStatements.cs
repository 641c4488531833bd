using DeviceFeatures.Server.Device;
using DeviceFeatures.Server.Partners;
using DeviceFeatures.Server.Storage;

namespace DeviceFeatures.Server.Emulator.State;

/// <summary>A stored choice, a user's (<c>choices</c>) or a partner's (<c>programme_choices</c>), with its owner.</summary>
internal sealed record StoredChoice(string Owner, int Model, string FeatureName, bool Active);

/// <summary>A device's stored programme row (<c>device_programme</c>).</summary>
internal sealed record StoredProgramme(string MacAddress, string State, long? TerminatesAt);

/// <summary>
/// The emulator's reads and writes of the whole state: every table a snapshot carries, read whole; the deletes of a
/// reset, for one partner (<c>@clientId</c>) or, with null, for all. The tables a snapshot does not carry but that
/// hang on what it replaces (nonces, tokens, change events, device reports) are deleted with it.
/// </summary>
internal static class EmulatorStateStatements
{
    private const string PartnerColumns =
        "client_id, name, client_secret, suspended, created_at, updated_at, previous_secret, previous_secret_expires_at, rate_limit_per_minute, callback_url";

    private const string ProfileColumns =
        "userid, client_id, external_id, email, shortname, firstname, lastname, birthdate, gender, preflang, timezone, mailingpref, "
        + "unit_pref, measures, goals, phonenumber, recovery_code_hash, activated_at, updated_at";

    // Every MAC address of the partner: its inventory and the devices linked to its users (migrated links may lack
    // an inventory row). With a null client id, every row matches.
    private const string PartnerMacs =
        """
        (@clientId IS NULL OR mac_address IN (
            SELECT mac_address FROM device_inventory WHERE client_id = @clientId
            UNION SELECT d.mac_address FROM devices d JOIN users u ON u.userid = d.userid WHERE u.client_id = @clientId))
        """;

    private const string PartnerUsers = "(@clientId IS NULL OR userid IN (SELECT userid FROM users WHERE client_id = @clientId))";

    private const string PartnerRows = "(@clientId IS NULL OR client_id = @clientId)";

    private static readonly SqlQuery<ValueTuple, PartnerRow> Partners = new(
        $"SELECT {PartnerColumns} FROM partners ORDER BY created_at, client_id", null,
        static row => new PartnerRow
        {
            ClientId = row.Text("client_id"),
            Name = row.Text("name"),
            ClientSecret = row.Text("client_secret"),
            Suspended = row.Boolean("suspended"),
            CreatedAt = row.Int64("created_at"),
            UpdatedAt = row.Int64("updated_at"),
            PreviousSecret = row.NullableText("previous_secret"),
            PreviousSecretExpiresAt = row.NullableInt64("previous_secret_expires_at"),
            RateLimitPerMinute = row.NullableInt32("rate_limit_per_minute"),
            CallbackUrl = row.NullableText("callback_url"),
        });

    private static readonly SqlQuery<ValueTuple, StoredChoice> Entitlements = new(
        "SELECT client_id, feature_name FROM entitlements ORDER BY client_id, feature_name", null,
        static row => new StoredChoice(row.Text("client_id"), 0, row.Text("feature_name"), true));

    private static readonly SqlQuery<ValueTuple, StoredChoice> ProgrammeChoices = new(
        "SELECT client_id, model, feature_name, active FROM programme_choices ORDER BY client_id, model, feature_name", null,
        static row => new StoredChoice(row.Text("client_id"), row.Int32("model"), row.Text("feature_name"), row.Boolean("active")));

    private static readonly SqlQuery<ValueTuple, UserRow> Users = new(
        "SELECT userid, client_id, created_at FROM users ORDER BY userid", null,
        static row => new UserRow { UserId = row.Int32("userid"), ClientId = row.Text("client_id"), CreatedAt = row.Int64("created_at") });

    private static readonly SqlQuery<ValueTuple, DeviceRow> Links = new(
        "SELECT mac_address, userid, model, market, linked_at FROM devices ORDER BY userid, linked_at, mac_address", null,
        static row => new DeviceRow
        {
            MacAddress = row.Text("mac_address"),
            UserId = row.Int32("userid"),
            Model = row.Int32("model"),
            Market = row.Text("market"),
            LinkedAt = row.Int64("linked_at"),
        });

    private static readonly SqlQuery<ValueTuple, StoredChoice> Choices = new(
        "SELECT userid, model, feature_name, active FROM choices ORDER BY userid, model, feature_name", null,
        static row => new StoredChoice(row.Int64("userid").ToString(System.Globalization.CultureInfo.InvariantCulture), row.Int32("model"),
            row.Text("feature_name"), row.Boolean("active")));

    private static readonly SqlQuery<ValueTuple, ProfileRow> Profiles = new(
        $"SELECT {ProfileColumns} FROM user_profiles ORDER BY userid", null,
        static row => new ProfileRow
        {
            UserId = row.Int32("userid"),
            ClientId = row.Text("client_id"),
            ExternalId = row.Text("external_id"),
            Email = row.Text("email"),
            ShortName = row.Text("shortname"),
            FirstName = row.Text("firstname"),
            LastName = row.Text("lastname"),
            Birthdate = row.Int64("birthdate"),
            Gender = row.Int32("gender"),
            PrefLang = row.Text("preflang"),
            Timezone = row.Text("timezone"),
            MailingPref = row.Boolean("mailingpref"),
            UnitPref = row.Text("unit_pref"),
            Measures = row.Text("measures"),
            Goals = row.NullableText("goals"),
            PhoneNumber = row.NullableText("phonenumber"),
            RecoveryCodeHash = row.NullableText("recovery_code_hash"),
            ActivatedAt = row.Int64("activated_at"),
            UpdatedAt = row.Int64("updated_at"),
        });

    private static readonly SqlQuery<ValueTuple, InventoryRow> Inventory = new(
        "SELECT mac_address, model, market, firmware, client_id, created_at, updated_at, credential FROM device_inventory ORDER BY mac_address", null,
        static row => new InventoryRow
        {
            MacAddress = row.Text("mac_address"),
            Model = row.Int32("model"),
            Market = row.Text("market"),
            Firmware = row.NullableText("firmware"),
            ClientId = row.NullableText("client_id"),
            CreatedAt = row.Int64("created_at"),
            UpdatedAt = row.Int64("updated_at"),
            Credential = row.NullableText("credential"),
        });

    private static readonly SqlQuery<ValueTuple, StoredProgramme> Programmes = new(
        "SELECT mac_address, state, terminates_at FROM device_programme ORDER BY mac_address", null,
        static row => new StoredProgramme(row.Text("mac_address"), row.Text("state"), row.NullableInt64("terminates_at")));

    private static readonly SqlStatement<PartnerRow> InsertPartner = new(
        $"""
        INSERT INTO partners ({PartnerColumns})
        VALUES (@clientId, @name, @clientSecret, @suspended, @createdAt, @updatedAt, @previousSecret, @previousExpiresAt, @rateLimit, @callbackUrl)
        """,
        static (r, p) => p.Add("@clientId", r.ClientId).Add("@name", r.Name).Add("@clientSecret", r.ClientSecret).Add("@suspended", r.Suspended)
            .Add("@createdAt", r.CreatedAt).Add("@updatedAt", r.UpdatedAt).Add("@previousSecret", r.PreviousSecret)
            .Add("@previousExpiresAt", r.PreviousSecretExpiresAt).Add("@rateLimit", r.RateLimitPerMinute).Add("@callbackUrl", r.CallbackUrl));

    private static readonly SqlStatement<(string ClientId, string FeatureName, long Now)> InsertEntitlement = new(
        "INSERT INTO entitlements (client_id, feature_name, granted_at) VALUES (@clientId, @featureName, @now)",
        static (a, p) => p.Add("@clientId", a.ClientId).Add("@featureName", a.FeatureName).Add("@now", a.Now));

    private static readonly SqlStatement<(StoredChoice Choice, long Now)> InsertProgrammeChoice = new(
        "INSERT INTO programme_choices (client_id, model, feature_name, active, updated_at) VALUES (@clientId, @model, @featureName, @active, @now)",
        static (a, p) => p.Add("@clientId", a.Choice.Owner).Add("@model", a.Choice.Model).Add("@featureName", a.Choice.FeatureName)
            .Add("@active", a.Choice.Active).Add("@now", a.Now));

    private static readonly SqlStatement<UserRow> InsertUser = new(
        "INSERT INTO users (userid, client_id, created_at) VALUES (@userId, @clientId, @createdAt)",
        static (r, p) => p.Add("@userId", r.UserId).Add("@clientId", r.ClientId).Add("@createdAt", r.CreatedAt));

    // Users keep their ids: the identity that numbers new users must start after the highest one.
    private static readonly SqlStatement<ValueTuple> AdvanceUserIds = new(dialect => dialect == SqlDialect.Postgres
        ? "SELECT setval(pg_get_serial_sequence('users', 'userid'), GREATEST((SELECT COALESCE(MAX(userid), 0) FROM users), 1), (SELECT COUNT(*) > 0 FROM users))"
        : "SELECT 1");

    private static readonly SqlStatement<DeviceRow> InsertLink = new(
        "INSERT INTO devices (mac_address, userid, model, market, linked_at) VALUES (@macAddress, @userId, @model, @market, @linkedAt)",
        static (d, p) => p.Add("@macAddress", d.MacAddress).Add("@userId", d.UserId).Add("@model", d.Model).Add("@market", d.Market)
            .Add("@linkedAt", d.LinkedAt));

    private static readonly SqlStatement<(int UserId, StoredChoice Choice, long Now)> InsertChoice = new(
        "INSERT INTO choices (userid, model, feature_name, active, updated_at) VALUES (@userId, @model, @featureName, @active, @now)",
        static (a, p) => p.Add("@userId", a.UserId).Add("@model", a.Choice.Model).Add("@featureName", a.Choice.FeatureName)
            .Add("@active", a.Choice.Active).Add("@now", a.Now));

    private static readonly SqlStatement<ProfileRow> InsertProfile = new(
        $"""
        INSERT INTO user_profiles ({ProfileColumns})
        VALUES (@userId, @clientId, @externalId, @email, @shortname, @firstname, @lastname, @birthdate, @gender, @preflang, @timezone,
                @mailingpref, @unitPref, @measures, @goals, @phonenumber, @recoveryCode, @activatedAt, @updatedAt)
        """,
        static (r, p) => p.Add("@userId", r.UserId).Add("@clientId", r.ClientId).Add("@externalId", r.ExternalId).Add("@email", r.Email)
            .Add("@shortname", r.ShortName).Add("@firstname", r.FirstName).Add("@lastname", r.LastName).Add("@birthdate", r.Birthdate)
            .Add("@gender", r.Gender).Add("@preflang", r.PrefLang).Add("@timezone", r.Timezone).Add("@mailingpref", r.MailingPref)
            .Add("@unitPref", r.UnitPref).Add("@measures", r.Measures).Add("@goals", r.Goals).Add("@phonenumber", r.PhoneNumber)
            .Add("@recoveryCode", r.RecoveryCodeHash).Add("@activatedAt", r.ActivatedAt).Add("@updatedAt", r.UpdatedAt));

    private static readonly SqlStatement<InventoryRow> InsertInventory = new(
        """
        INSERT INTO device_inventory (mac_address, model, market, firmware, client_id, created_at, updated_at, credential)
        VALUES (@macAddress, @model, @market, @firmware, @clientId, @createdAt, @updatedAt, @credential)
        """,
        static (d, p) => p.Add("@macAddress", d.MacAddress).Add("@model", d.Model).Add("@market", d.Market).Add("@firmware", d.Firmware)
            .Add("@clientId", d.ClientId).Add("@createdAt", d.CreatedAt).Add("@updatedAt", d.UpdatedAt).Add("@credential", d.Credential));

    private static readonly SqlStatement<(StoredProgramme Programme, long Now)> InsertProgramme = new(
        "INSERT INTO device_programme (mac_address, state, terminates_at, updated_at) VALUES (@macAddress, @state, @terminatesAt, @now)",
        static (a, p) => p.Add("@macAddress", a.Programme.MacAddress).Add("@state", a.Programme.State)
            .Add("@terminatesAt", a.Programme.TerminatesAt).Add("@now", a.Now));

    // In the order the foreign keys allow; each names what it removes, for the counts.
    private static readonly (string? Counted, SqlStatement<string?> Statement)[] Deletes =
    [
        (null, Delete($"DELETE FROM device_reports WHERE {PartnerMacs}")),
        (null, Delete($"DELETE FROM device_sync WHERE {PartnerMacs}")),
        (null, Delete($"DELETE FROM device_programme WHERE {PartnerMacs}")),
        (null, Delete($"DELETE FROM owed_reports WHERE {PartnerRows}")),
        (null, Delete($"DELETE FROM change_events WHERE {PartnerRows}")),
        (nameof(EmulatorCounts.Choices), Delete($"DELETE FROM choices WHERE {PartnerUsers}")),
        (null, Delete($"DELETE FROM user_profiles WHERE {PartnerUsers}")),
        (null, Delete($"DELETE FROM oauth_codes WHERE {PartnerUsers}")),
        (null, Delete($"DELETE FROM oauth_tokens WHERE {PartnerUsers}")),
        (nameof(EmulatorCounts.Devices), Delete($"DELETE FROM device_inventory WHERE {PartnerMacs}")),
        (nameof(EmulatorCounts.LinkedDevices), Delete($"DELETE FROM devices WHERE {PartnerUsers}")),
        (nameof(EmulatorCounts.Users), Delete($"DELETE FROM users WHERE {PartnerRows}")),
        (null, Delete($"DELETE FROM used_nonces WHERE {PartnerRows}")),
        (null, Delete($"DELETE FROM rate_windows WHERE {PartnerRows}")),
    ];

    // Only when everything goes: a partner's own reset keeps its account and configuration, and so the console's
    // requests for grants to it (they reference the partner, which stays). grant_requests before partners: the
    // foreign key from migration 0011.
    private static readonly (string? Counted, SqlStatement<string?> Statement)[] PartnerDeletes =
    [
        (null, new("DELETE FROM grant_requests")),
        (nameof(EmulatorCounts.Entitlements), new("DELETE FROM entitlements")),
        (nameof(EmulatorCounts.ProgrammeChoices), new("DELETE FROM programme_choices")),
        (nameof(EmulatorCounts.Partners), new("DELETE FROM partners")),
    ];

    // A seed loads only into a database without partners, and two instances starting together must not both decide
    // it is empty. SQLite's write transaction already holds the single write lock; PostgreSQL takes a transaction-scoped
    // advisory lock ("DFSEEDNG" in ASCII, recognisable in pg_locks) before counting.
    internal const long SeedLockKey = 0x4446534545444E47;

    private static readonly SqlStatement<string?> LockSeed = new(d => ReferenceEquals(d, SqlDialect.Postgres)
        ? $"SELECT pg_advisory_xact_lock({SeedLockKey})"
        : "SELECT 1");

    /// <summary>Holds, until the transaction ends, the lock under which a seed checks that no partner exists yet.</summary>
    public static Task<int> LockSeedAsync(this StoreSession s) => s.ExecuteAsync(LockSeed, null);

    private static SqlStatement<string?> Delete(string sql) => new(sql, static (clientId, p) => p.Add("@clientId", clientId));

    public static Task<IReadOnlyList<PartnerRow>> ReadPartnersAsync(this StoreSession s) => s.QueryAsync(Partners, default);

    public static Task<IReadOnlyList<StoredChoice>> ReadEntitlementsAsync(this StoreSession s) => s.QueryAsync(Entitlements, default);

    public static Task<IReadOnlyList<StoredChoice>> ReadProgrammeChoicesAsync(this StoreSession s) => s.QueryAsync(ProgrammeChoices, default);

    public static Task<IReadOnlyList<UserRow>> ReadUsersAsync(this StoreSession s) => s.QueryAsync(Users, default);

    public static Task<IReadOnlyList<DeviceRow>> ReadLinksAsync(this StoreSession s) => s.QueryAsync(Links, default);

    /// <summary>Users' choices; <see cref="StoredChoice.Owner"/> is the userid.</summary>
    public static Task<IReadOnlyList<StoredChoice>> ReadChoicesAsync(this StoreSession s) => s.QueryAsync(Choices, default);

    public static Task<IReadOnlyList<ProfileRow>> ReadProfilesAsync(this StoreSession s) => s.QueryAsync(Profiles, default);

    public static Task<IReadOnlyList<InventoryRow>> ReadInventoryAsync(this StoreSession s) => s.QueryAsync(Inventory, default);

    public static Task<IReadOnlyList<StoredProgramme>> ReadProgrammesAsync(this StoreSession s) => s.QueryAsync(Programmes, default);

    /// <summary>Removes one partner's users and devices (<paramref name="clientId"/>), or with null everything the state holds.</summary>
    public static async Task<EmulatorCounts> DeleteStateAsync(this StoreSession s, string? clientId)
    {
        var counts = new EmulatorCounts();
        foreach (var (counted, statement) in Deletes)
        {
            counts.Add(counted, await s.ExecuteAsync(statement, clientId).ConfigureAwait(false));
        }

        if (clientId is null)
        {
            foreach (var (counted, statement) in PartnerDeletes)
            {
                counts.Add(counted, await s.ExecuteAsync(statement, null).ConfigureAwait(false));
            }
        }

        return counts;
    }

    public static Task<int> InsertPartnerAsync(this StoreSession s, PartnerRow partner) =>
        s.ExecuteAsync(InsertPartner, partner);

    public static Task<int> InsertEntitlementAsync(this StoreSession s, string clientId, string featureName, long now) =>
        s.ExecuteAsync(InsertEntitlement, (clientId, featureName, now));

    public static Task<int> InsertProgrammeChoiceAsync(this StoreSession s, StoredChoice choice, long now) =>
        s.ExecuteAsync(InsertProgrammeChoice, (choice, now));

    public static Task<int> InsertUserAsync(this StoreSession s, UserRow user) => s.ExecuteAsync(InsertUser, user);

    public static Task<int> AdvanceUserIdsAsync(this StoreSession s) => s.ExecuteAsync(AdvanceUserIds, default);

    public static Task<int> InsertLinkAsync(this StoreSession s, DeviceRow link) => s.ExecuteAsync(InsertLink, link);

    public static Task<int> InsertChoiceAsync(this StoreSession s, int userId, StoredChoice choice, long now) =>
        s.ExecuteAsync(InsertChoice, (userId, choice, now));

    public static Task<int> InsertProfileAsync(this StoreSession s, ProfileRow profile) => s.ExecuteAsync(InsertProfile, profile);

    public static Task<int> InsertInventoryAsync(this StoreSession s, InventoryRow device) => s.ExecuteAsync(InsertInventory, device);

    public static Task<int> InsertProgrammeAsync(this StoreSession s, StoredProgramme programme, long now) =>
        s.ExecuteAsync(InsertProgramme, (programme, now));
}

/// <summary>Counts of removed or written rows, by kind, as <see cref="Protocol.Admin.EmulatorStateCounts"/> answers them.</summary>
internal sealed class EmulatorCounts
{
    public int Partners { get; set; }
    public int Users { get; set; }
    public int Devices { get; set; }
    public int LinkedDevices { get; set; }
    public int Choices { get; set; }
    public int Entitlements { get; set; }
    public int ProgrammeChoices { get; set; }

    public void Add(string? kind, int rows)
    {
        switch (kind)
        {
            case nameof(Partners): Partners += rows; break;
            case nameof(Users): Users += rows; break;
            case nameof(Devices): Devices += rows; break;
            case nameof(LinkedDevices): LinkedDevices += rows; break;
            case nameof(Choices): Choices += rows; break;
            case nameof(Entitlements): Entitlements += rows; break;
            case nameof(ProgrammeChoices): ProgrammeChoices += rows; break;
            default: break;
        }
    }

    public Protocol.Admin.EmulatorStateCounts ToContract() =>
        new(Partners, Users, Devices, LinkedDevices, Choices, Entitlements, ProgrammeChoices);
}
