using DeviceFeatures.Server.Storage;

namespace DeviceFeatures.Server.Device;

/// <summary>The profile of a user activated by its partner (<c>user_profiles</c>), one per user.</summary>
internal sealed class ProfileRow
{
    public int UserId { get; set; }
    public string ClientId { get; set; } = "";
    public string ExternalId { get; set; } = "";
    public string Email { get; set; } = "";
    public string ShortName { get; set; } = "";
    public string FirstName { get; set; } = "";
    public string LastName { get; set; } = "";
    public long Birthdate { get; set; }
    public int Gender { get; set; }
    public string PrefLang { get; set; } = "";
    public string Timezone { get; set; } = "";
    public bool MailingPref { get; set; }
    public string UnitPref { get; set; } = "";
    public string Measures { get; set; } = "";
    public string? Goals { get; set; }
    public string? PhoneNumber { get; set; }
    public string? RecoveryCodeHash { get; set; }
    public long ActivatedAt { get; set; }
    public long UpdatedAt { get; set; }

    public static ProfileRow From(ActivationRequest request, int userId, string clientId, long now) => new()
    {
        UserId = userId,
        ClientId = clientId,
        ExternalId = request.ExternalId,
        Email = request.Email,
        ShortName = request.ShortName,
        FirstName = request.FirstName,
        LastName = request.LastName,
        Birthdate = request.Birthdate,
        Gender = request.Gender,
        PrefLang = request.PrefLang,
        Timezone = request.Timezone,
        MailingPref = request.MailingPref,
        UnitPref = request.UnitPref,
        Measures = request.Measures,
        Goals = request.Goals,
        PhoneNumber = request.PhoneNumber,
        RecoveryCodeHash = request.RecoveryCodeHash,
        ActivatedAt = now,
        UpdatedAt = now,
    };
}

/// <summary>A device of a user as <c>getdevice</c> shows it: the link, and the firmware the inventory knows.</summary>
internal sealed record UserDeviceRow(string MacAddress, int Model, string? Firmware, string? ProgrammeState, long? TerminatesAt)
{
    /// <summary>The device's programme state at <paramref name="nowMs"/> (a linked device without a row is ACTIVE).</summary>
    public DeviceProgramme ProgrammeAt(long nowMs) => DeviceProgramme.Of(ProgrammeState, TerminatesAt, linked: true, nowMs);
}

/// <summary>
/// Activated users' profiles, and the lock an activation takes on each inventory device it links. The unique key on
/// (<c>client_id</c>, <c>external_id</c>) is what makes one external_id one user.
/// </summary>
internal static class ProfileStatements
{
    private const string Columns =
        "userid, client_id, external_id, email, shortname, firstname, lastname, birthdate, gender, preflang, timezone, mailingpref, "
        + "unit_pref, measures, goals, phonenumber, recovery_code_hash, activated_at, updated_at";

    private static readonly SqlQuery<(string ClientId, string ExternalId), ProfileRow> FindByExternalIdForUpdate = new(
        dialect => $"SELECT {Columns} FROM user_profiles WHERE client_id = @clientId AND external_id = @externalId" + dialect.LockForUpdate,
        static (a, p) => p.Add("@clientId", a.ClientId).Add("@externalId", a.ExternalId),
        Map);

    private static readonly SqlQuery<int, ProfileRow> FindByUser = new(
        $"SELECT {Columns} FROM user_profiles WHERE userid = @userId",
        static (userId, p) => p.Add("@userId", userId),
        Map);

    // Several of a partner's users may share an email: the first activated answers.
    private static readonly SqlQuery<(string ClientId, string Email), ProfileRow> FindByEmail = new(
        $"SELECT {Columns} FROM user_profiles WHERE client_id = @clientId AND email = @email ORDER BY userid LIMIT 1",
        static (a, p) => p.Add("@clientId", a.ClientId).Add("@email", a.Email),
        Map);

    private static readonly SqlStatement<ProfileRow> Insert = new(
        $"""
        INSERT INTO user_profiles ({Columns})
        VALUES (@userId, @clientId, @externalId, @email, @shortname, @firstname, @lastname, @birthdate, @gender, @preflang, @timezone,
                @mailingpref, @unitPref, @measures, @goals, @phonenumber, @recoveryCode, @activatedAt, @updatedAt)
        ON CONFLICT (client_id, external_id) DO NOTHING
        """,
        Bind);

    private static readonly SqlStatement<ProfileRow> Update = new(
        """
        UPDATE user_profiles SET email = @email, shortname = @shortname, firstname = @firstname, lastname = @lastname,
            birthdate = @birthdate, gender = @gender, preflang = @preflang, timezone = @timezone, mailingpref = @mailingpref,
            unit_pref = @unitPref, measures = @measures, goals = @goals, phonenumber = @phonenumber,
            recovery_code_hash = @recoveryCode, updated_at = @updatedAt
        WHERE userid = @userId AND client_id = @clientId AND external_id = @externalId
        """,
        static (r, p) => BindProfile(r, p));

    private static readonly SqlStatement<int> DeleteProfile = new(
        "DELETE FROM user_profiles WHERE userid = @userId",
        static (userId, p) => p.Add("@userId", userId));

    private static readonly SqlStatement<int> DeleteUser = new(
        "DELETE FROM users WHERE userid = @userId",
        static (userId, p) => p.Add("@userId", userId));

    private static readonly SqlStatement<(string MacAddress, int UserId)> Unlink = new(
        "DELETE FROM devices WHERE mac_address = @macAddress AND userid = @userId",
        static (a, p) => p.Add("@macAddress", a.MacAddress).Add("@userId", a.UserId));

    private static readonly SqlQuery<string, string> LockInventoryDevice = new(
        dialect => "SELECT mac_address FROM device_inventory WHERE mac_address = @macAddress" + dialect.LockForUpdate,
        static (macAddress, p) => p.Add("@macAddress", macAddress),
        static row => row.Text("mac_address"));

    private static readonly SqlQuery<(string MacAddress, string ClientId), string> LockPartnersInventoryDevice = new(
        dialect => "SELECT mac_address FROM device_inventory WHERE mac_address = @macAddress AND client_id = @clientId" + dialect.LockForUpdate,
        static (a, p) => p.Add("@macAddress", a.MacAddress).Add("@clientId", a.ClientId),
        static row => row.Text("mac_address"));

    private static readonly SqlQuery<int, UserDeviceRow> ListUserDevices = new(
        """
        SELECT d.mac_address, d.model, i.firmware, p.state, p.terminates_at
        FROM devices d
        LEFT JOIN device_inventory i ON i.mac_address = d.mac_address
        LEFT JOIN device_programme p ON p.mac_address = d.mac_address
        WHERE d.userid = @userId
        ORDER BY d.linked_at, d.mac_address
        """,
        static (userId, p) => p.Add("@userId", userId),
        static row => new UserDeviceRow(row.Text("mac_address"), row.Int32("model"), row.NullableText("firmware"),
            row.NullableText("state"), row.NullableInt64("terminates_at")));

    /// <summary>
    /// The partner's user with this external_id, its row locked until the transaction ends where writers run side by
    /// side, so that two re-activations of one user run one after the other.
    /// </summary>
    public static Task<ProfileRow?> FindProfileByExternalIdForUpdateAsync(this StoreSession session, string clientId, string externalId) =>
        session.QueryFirstAsync(FindByExternalIdForUpdate, (clientId, externalId));

    public static Task<ProfileRow?> FindProfileAsync(this StoreSession session, int userId) =>
        session.QueryFirstAsync(FindByUser, userId);

    public static Task<ProfileRow?> FindProfileByEmailAsync(this StoreSession session, string clientId, string email) =>
        session.QueryFirstAsync(FindByEmail, (clientId, email));

    /// <summary>
    /// Adds the profile; <see langword="false"/> when the partner already has a user with that external_id (on
    /// PostgreSQL, a concurrent activation's insert is waited for: the key decides, not an earlier read).
    /// </summary>
    public static async Task<bool> TryInsertProfileAsync(this StoreSession session, ProfileRow profile) =>
        await session.ExecuteAsync(Insert, profile).ConfigureAwait(false) == 1;

    public static Task<int> UpdateProfileAsync(this StoreSession session, ProfileRow profile) =>
        session.ExecuteAsync(Update, profile);

    /// <summary>Takes back a user this transaction created, before anything else refers to it.</summary>
    public static async Task DeleteNewUserAsync(this StoreSession session, int userId)
    {
        await session.ExecuteAsync(DeleteProfile, userId).ConfigureAwait(false);
        await session.ExecuteAsync(DeleteUser, userId).ConfigureAwait(false);
    }

    public static Task<int> UnlinkDeviceAsync(this StoreSession session, string macAddress, int userId) =>
        session.ExecuteAsync(Unlink, (macAddress, userId));

    /// <summary>
    /// Locks the inventory row of a device until the transaction ends (PostgreSQL; SQLite has one writer): two
    /// activations naming one device run one after the other, and the second sees the first's link.
    /// </summary>
    public static Task<string?> LockInventoryDeviceAsync(this StoreSession session, string macAddress) =>
        session.QueryFirstAsync(LockInventoryDevice, macAddress);

    /// <summary>
    /// Like <see cref="LockInventoryDeviceAsync(StoreSession, string)"/>, for a partner's call: only a device assigned to
    /// <paramref name="clientId"/> is locked (null otherwise), so that another partner's device is never waited for and
    /// answers in the time of a device that does not exist.
    /// </summary>
    public static Task<string?> LockInventoryDeviceAsync(this StoreSession session, string macAddress, string clientId) =>
        session.QueryFirstAsync(LockPartnersInventoryDevice, (macAddress, clientId));

    public static Task<IReadOnlyList<UserDeviceRow>> ListUserDevicesAsync(this StoreSession session, int userId) =>
        session.QueryAsync(ListUserDevices, userId);

    private static void Bind(ProfileRow r, ISqlArguments p) => BindProfile(r, p).Add("@activatedAt", r.ActivatedAt);

    // Every column an update sets too; a statement binds only the parameters it names.
    private static ISqlArguments BindProfile(ProfileRow r, ISqlArguments p) =>
        p.Add("@userId", r.UserId).Add("@clientId", r.ClientId).Add("@externalId", r.ExternalId).Add("@email", r.Email)
            .Add("@shortname", r.ShortName).Add("@firstname", r.FirstName).Add("@lastname", r.LastName).Add("@birthdate", r.Birthdate)
            .Add("@gender", r.Gender).Add("@preflang", r.PrefLang).Add("@timezone", r.Timezone).Add("@mailingpref", r.MailingPref)
            .Add("@unitPref", r.UnitPref).Add("@measures", r.Measures).Add("@goals", r.Goals).Add("@phonenumber", r.PhoneNumber)
            .Add("@recoveryCode", r.RecoveryCodeHash).Add("@updatedAt", r.UpdatedAt);

    private static ProfileRow Map(ISqlRow row) => new()
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
    };
}
