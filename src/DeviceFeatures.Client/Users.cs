namespace DeviceFeatures.Client;

/// <summary>A user's gender, as <c>/v2/user activate</c> takes it.</summary>
public enum UserGender
{
    /// <summary>0: a man.</summary>
    Man = 0,

    /// <summary>1: a woman.</summary>
    Woman = 1,
}

/// <summary>
/// A user's unit preferences (the OpenAPI's "Unit preferences" codes). Measures are always sent in metres and
/// kilograms whatever the units chosen here.
/// </summary>
/// <param name="Weight">1 (kg), 2 (lb) or 14 (st lb).</param>
/// <param name="Height">6 (m) or 7 (in).</param>
/// <param name="Distance">6 (km) or 8 (yd).</param>
/// <param name="Temperature">11 (°C) or 13 (°F).</param>
public sealed record UnitPreferences(int Weight = 1, int Height = 6, int Distance = 6, int Temperature = 11)
{
    /// <summary>Kilograms, metres, kilometres and degrees Celsius.</summary>
    public static UnitPreferences Metric { get; } = new();

    /// <summary>Pounds, inches, yards and degrees Fahrenheit.</summary>
    public static UnitPreferences Imperial { get; } = new(2, 7, 8, 13);
}

/// <summary>A user's goals (optional in <c>activate</c>).</summary>
/// <param name="Steps">Steps per day.</param>
/// <param name="Sleep">Sleep per night (sent in whole seconds).</param>
/// <param name="WeightKilograms">Target weight in kilograms.</param>
public sealed record UserGoals(int? Steps = null, TimeSpan? Sleep = null, decimal? WeightKilograms = null);

/// <summary>
/// What <see cref="IDeviceFeaturesClient.ActivateUserAsync"/> sends: the user's profile and the MAC addresses of the
/// devices shipped to it (a hub's included). Activating the same <see cref="ExternalId"/> again is the same user.
/// </summary>
public sealed record UserActivation
{
    /// <summary>Your own identifier of the user.</summary>
    public required string ExternalId { get; init; }

    /// <summary>The devices to link, e.g. <c>00:24:e4:12:34:56</c>.</summary>
    public required IReadOnlyList<string> MacAddresses { get; init; }

    /// <summary>The user's email address.</summary>
    public required string Email { get; init; }

    /// <summary>Three letters or digits shown on the devices' screens, e.g. <c>ROB</c>.</summary>
    public required string ShortName { get; init; }

    /// <summary>The user's birth date (sent as a Unix time).</summary>
    public required DateTimeOffset Birthdate { get; init; }

    /// <summary>The user's gender.</summary>
    public required UserGender Gender { get; init; }

    /// <summary>The user's height in metres (0.1 to 3).</summary>
    public required decimal HeightMeters { get; init; }

    /// <summary>The user's weight in kilograms (1 to 600).</summary>
    public required decimal WeightKilograms { get; init; }

    /// <summary>An IANA time zone such as <c>Europe/Paris</c>.</summary>
    public required string Timezone { get; init; }

    /// <summary>The language, e.g. <c>en_EN</c> or <c>fr_FR</c>.</summary>
    public string PreferredLanguage { get; init; } = "en_EN";

    /// <summary>The units the devices show; metric by default.</summary>
    public UnitPreferences Units { get; init; } = UnitPreferences.Metric;

    /// <summary>Whether the user accepts commercial contacts from Withings.</summary>
    public bool MailingPreference { get; init; }

    /// <summary>The first name; the short name when not set.</summary>
    public string? FirstName { get; init; }

    /// <summary>The last name; the short name when not set.</summary>
    public string? LastName { get; init; }

    /// <summary>A phone number in E.164 form, e.g. <c>+33612345678</c>.</summary>
    public string? PhoneNumber { get; init; }

    /// <summary>A recovery code the user may later need; you keep it, the service only compares it.</summary>
    public string? RecoveryCode { get; init; }

    /// <summary>The user's goals.</summary>
    public UserGoals? Goals { get; init; }

    /// <summary>When set, the code's exchange (<see cref="IDeviceFeaturesClient.RequestTokenAsync"/>) must give the same URI.</summary>
    public Uri? RedirectUri { get; init; }
}

/// <summary>A device of a user, as <c>activate</c> (<c>user_device_mac_object</c>) and <c>getdevice</c> (<c>user_device_object</c>) show it.</summary>
/// <param name="MacAddress">The MAC address.</param>
/// <param name="Type">The kind of device, e.g. <c>Scale</c>.</param>
/// <param name="Model">The model's name, e.g. <c>Body Pro 2</c>.</param>
/// <param name="ModelId">The model id, e.g. 17.</param>
/// <param name="DeviceId">The device's id in the other services.</param>
/// <param name="Timezone">The device's time zone, when known.</param>
/// <param name="Firmware">The firmware (<c>fw</c>), when known; <c>getdevice</c> only.</param>
public sealed record UserDevice(string? MacAddress, string? Type, string? Model, int ModelId, string? DeviceId, string? Timezone, string? Firmware)
{
    /// <summary>
    /// The device's state in your programme (<c>sim_status</c>, see <see cref="IDeviceFeaturesClient.EndPartnerProgramAsync"/>);
    /// <c>getdevice</c> only.
    /// </summary>
    public SimStatus? SimStatus { get; init; }
}

/// <summary>The answer of <c>activate</c>.</summary>
/// <param name="Code">The authorization code to exchange within 10 minutes (<see cref="IDeviceFeaturesClient.RequestTokenAsync"/>).</param>
/// <param name="ExternalId">Your identifier of the user.</param>
/// <param name="Devices">The devices named in the request, now linked to the user.</param>
public sealed record ActivatedUser(string Code, string ExternalId, IReadOnlyList<UserDevice> Devices);

/// <summary>Which grant <see cref="IDeviceFeaturesClient.RequestTokenAsync"/> exchanges.</summary>
public abstract record TokenGrant
{
    private protected TokenGrant()
    {
    }

    /// <summary>An authorization code from <c>activate</c>, with the redirect URI given there (or any when none was).</summary>
    /// <param name="code">The code.</param>
    /// <param name="redirectUri">The redirect URI.</param>
    /// <returns>The grant.</returns>
    public static TokenGrant AuthorizationCode(string code, Uri redirectUri) => new AuthorizationCodeGrant(code, redirectUri);

    /// <summary>A refresh token from an earlier answer; it works once, and the answer carries the next one.</summary>
    /// <param name="refreshToken">The refresh token.</param>
    /// <returns>The grant.</returns>
    public static TokenGrant RefreshToken(string refreshToken) => new RefreshTokenGrant(refreshToken);

    internal sealed record AuthorizationCodeGrant(string Code, Uri RedirectUri) : TokenGrant;

    internal sealed record RefreshTokenGrant(string Token) : TokenGrant;
}

/// <summary>The answer of <c>requesttoken</c>.</summary>
/// <param name="UserId">The Withings user id: keep it, it is what the device calls take.</param>
/// <param name="AccessToken">The access token for <see cref="IDeviceFeaturesClient.GetDevicesAsync"/>.</param>
/// <param name="RefreshToken">The refresh token for the next renewal; the one exchanged stops working.</param>
/// <param name="ExpiresIn">How long the access token works.</param>
/// <param name="Scope">The scopes, comma-separated.</param>
/// <param name="TokenType">Always <c>Bearer</c>.</param>
public sealed record UserTokens(int UserId, string AccessToken, string RefreshToken, TimeSpan ExpiresIn, string Scope, string TokenType);

/// <summary>A user's profile, as <c>/v2/user get</c> answers it; a user never activated has none of these.</summary>
/// <param name="Email">The email address.</param>
/// <param name="FirstName">The first name.</param>
/// <param name="LastName">The last name.</param>
/// <param name="ShortName">The short name.</param>
/// <param name="Gender">The gender.</param>
/// <param name="Birthdate">The birth date.</param>
/// <param name="PreferredLanguage">The language.</param>
/// <param name="Timezone">The time zone.</param>
/// <param name="MailingPreference">Whether the user accepts commercial contacts.</param>
/// <param name="Units">The unit preferences.</param>
/// <param name="PhoneNumber">The phone number, when set.</param>
public sealed record UserProfile(
    string? Email,
    string? FirstName,
    string? LastName,
    string? ShortName,
    UserGender? Gender,
    DateTimeOffset? Birthdate,
    string? PreferredLanguage,
    string? Timezone,
    bool? MailingPreference,
    UnitPreferences? Units,
    string? PhoneNumber);
