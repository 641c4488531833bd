using System.Security.Cryptography;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Options;
using DeviceFeatures.Protocol.Admin;
using DeviceFeatures.Server.Audit;
using DeviceFeatures.Server.Catalog;
using DeviceFeatures.Server.Device;
using DeviceFeatures.Server.Partners;
using DeviceFeatures.Server.RateLimiting;
using DeviceFeatures.Server.Secrets;
using DeviceFeatures.Server.Storage;

namespace DeviceFeatures.Server.Admin;

/// <summary>A refusal of the admin API: HTTP status, stable machine-readable code, and a sentence for people.</summary>
internal sealed record AdminError(int Status, string Code, string Detail)
{
    public static AdminError Invalid(string detail) => new(StatusCodes.Status400BadRequest, AdminProblemCodes.InvalidRequest, detail);

    public static AdminError PartnerNotFound(string clientId) =>
        new(StatusCodes.Status404NotFound, AdminProblemCodes.PartnerNotFound, $"No partner has client_id '{clientId}'.");

    public static AdminError UserNotFound(int userId) =>
        new(StatusCodes.Status404NotFound, AdminProblemCodes.UserNotFound, $"No user has userid {userId}.");

    public static AdminError FeatureNotFound(string featureName) =>
        new(StatusCodes.Status404NotFound, AdminProblemCodes.FeatureNotFound, $"The catalog has no feature '{featureName}'.");
}

/// <summary>
/// Who made a change and in which request, as its audit event records them: the admin API's key is the actor
/// <c>admin</c>, a console operator <c>operator:&lt;name&gt;</c>, so that the same change through either door writes
/// the same event apart from the actor.
/// </summary>
internal readonly record struct AuditOrigin(string Actor, string RequestId)
{
    public const string OperatorPrefix = "operator:";

    /// <summary>The actor of what the server does by a rule on its own, no person acting (a grant request expiring).</summary>
    public const string ServerActor = "server";

    /// <summary>A change through the admin API (or the server itself, such as the demo seed).</summary>
    public static AuditOrigin Admin(string requestId) => new(AdminService.Actor, requestId);

    /// <summary>A change made in the console by the operator <paramref name="name"/>.</summary>
    public static AuditOrigin Operator(string name, string requestId) => new(OperatorPrefix + name, requestId);

    /// <summary>A change the server made by a rule, such as a grant request's expiry, whoever's request noticed it.</summary>
    public static AuditOrigin Server(string requestId) => new(ServerActor, requestId);
}

/// <summary>What operators do: partners, their users and devices, grants of gated features. Every change is audited.</summary>
internal sealed partial class AdminService(
    IFeatureStore store,
    CatalogProvider catalog,
    SecretProtector secrets,
    PartnerDirectory partners,
    IOptions<SecretOptions> secretOptions,
    IOptions<RateLimitOptions> rateLimits,
    TimeProvider time,
    DeviceSyncReader syncs,
    ChangeEvents.ChangeEventSignal changeEvents)
{
    public const string Actor = "admin";

    /// <summary>The most devices one <c>POST /admin/api/users</c> may link; a person has a handful.</summary>
    public const int MaxUserDevices = 100;
    public const int MaxNameLength = 200;

    public async Task<(CreatedPartner? Created, AdminError? Error)> CreatePartnerAsync(
        string? name, AuditOrigin origin, CancellationToken cancellationToken, string? clientId = null, string? clientSecret = null)
    {
        name = name?.Trim();
        if (string.IsNullOrEmpty(name) || name.Length > MaxNameLength)
        {
            return (null, AdminError.Invalid($"'name' is required, at most {MaxNameLength} characters."));
        }

        var now = Now();
        var id = clientId ?? NewToken();
        var secret = clientSecret ?? NewToken();
        var partner = new PartnerRow
        {
            ClientId = id,
            Name = name,
            ClientSecret = secrets.Protect(id, secret),
            CreatedAt = now,
            UpdatedAt = now,
        };
        await store.WriteAsync(async s =>
        {
            await s.InsertPartnerAsync(partner);
            await s.AppendAuditAsync(Event(AuditKinds.PartnerCreated, partner.ClientId, origin, now, detail: name));
            return 0;
        }, cancellationToken);

        // A request just before may have left the client id remembered as unknown: it works at once here.
        partners.Forget(partner.ClientId);

        // Shown here, and never again: only its encrypted form is stored.
        return (new CreatedPartner(partner.ClientId, secret, partner.Name), null);
    }

    public async Task<IReadOnlyList<Partner>> ListPartnersAsync(CancellationToken cancellationToken) =>
        (await store.ReadAsync(s => s.ListPartnersAsync(), cancellationToken)).Select(ToResponse).ToArray();

    public async Task<(Partner? Partner, AdminError? Error)> GetPartnerAsync(string clientId, CancellationToken cancellationToken)
    {
        var partner = await store.ReadAsync(s => s.FindPartnerAsync(clientId), cancellationToken);
        return partner is null ? (null, AdminError.PartnerNotFound(clientId)) : (ToResponse(partner), null);
    }

    /// <summary>
    /// Gives the partner a new secret. For <paramref name="overlapSeconds"/> (the configured default when null) the
    /// previous secret is still accepted, so that the partner can roll the new one out; 0 stops it at once.
    /// </summary>
    public async Task<(PartnerSecret? Secret, AdminError? Error)> RotateSecretAsync(
        string clientId, int? overlapSeconds, AuditOrigin origin, CancellationToken cancellationToken)
    {
        var overlap = overlapSeconds ?? secretOptions.Value.RotationOverlapSeconds;
        if (overlap is < 0 or > 30 * 86_400)
        {
            return (null, AdminError.Invalid("'overlap_seconds' must be from 0 to 2592000 (30 days)."));
        }

        var secret = NewToken();
        var now = Now();
        long? previousExpiresAt = overlap == 0 ? null : now + (overlap * 1000L);
        var updated = await store.WriteAsync(async s =>
        {
            if (await s.RotatePartnerSecretAsync(clientId, secrets.Protect(clientId, secret), previousExpiresAt, now) == 0)
            {
                return false;
            }

            await s.AppendAuditAsync(Event(AuditKinds.PartnerSecretRotated, clientId, origin, now,
                detail: overlap == 0 ? "previous secret stopped at once" : $"previous secret accepted for {overlap} s more"));
            return true;
        }, cancellationToken);
        partners.Forget(clientId);
        return updated
            ? (new PartnerSecret(clientId, secret, previousExpiresAt is { } ms ? At(ms) : null), null)
            : (null, AdminError.PartnerNotFound(clientId));
    }

    public async Task<(Partner? Partner, AdminError? Error)> SetSuspendedAsync(
        string clientId, bool suspended, AuditOrigin origin, CancellationToken cancellationToken)
    {
        var now = Now();
        var partner = await store.WriteAsync(async s =>
        {
            if (await s.SetPartnerSuspendedAsync(clientId, suspended, now) == 1)
            {
                await s.AppendAuditAsync(Event(suspended ? AuditKinds.PartnerSuspended : AuditKinds.PartnerResumed, clientId, origin, now));
            }

            return await s.FindPartnerAsync(clientId);
        }, cancellationToken);
        partners.Forget(clientId);
        return partner is null ? (null, AdminError.PartnerNotFound(clientId)) : (ToResponse(partner), null);
    }

    /// <summary>Sets the partner's own quota (0: unlimited), or with null returns it to the configured default.</summary>
    public async Task<(Partner? Partner, AdminError? Error)> SetRateLimitAsync(
        string clientId, int? requestsPerMinute, AuditOrigin origin, CancellationToken cancellationToken)
    {
        if (requestsPerMinute is < 0 or > 10_000_000)
        {
            return (null, AdminError.Invalid("'requests_per_minute' must be from 0 (unlimited) to 10000000."));
        }

        var now = Now();
        var partner = await store.WriteAsync(async s =>
        {
            if (await s.SetPartnerRateLimitAsync(clientId, requestsPerMinute, now) == 1)
            {
                await s.AppendAuditAsync(Event(AuditKinds.PartnerRateLimitChanged, clientId, origin, now,
                    detail: requestsPerMinute switch { null => "back to the default quota", 0 => "unlimited", { } n => $"{n} requests per minute" }));
            }

            return await s.FindPartnerAsync(clientId);
        }, cancellationToken);
        partners.Forget(clientId);
        return partner is null ? (null, AdminError.PartnerNotFound(clientId)) : (ToResponse(partner), null);
    }

    public async Task<(CreatedUser? Created, AdminError? Error)> CreateUserAsync(
        CreateUserRequest request, AuditOrigin origin, CancellationToken cancellationToken)
    {
        if (string.IsNullOrEmpty(request.ClientId))
        {
            return (null, AdminError.Invalid("'client_id' is required."));
        }

        if (request.Devices is { Count: > MaxUserDevices })
        {
            return (null, new AdminError(StatusCodes.Status400BadRequest, AdminProblemCodes.TooManyDevices,
                $"A user is created with at most {MaxUserDevices} devices ({request.Devices.Count} given); link more with /v2/user activate or the inventory."));
        }

        // A set, not a scan of the list: the check stays linear in the number of devices.
        var devices = new List<DeviceRow>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (input, index) in (request.Devices ?? []).Select((d, i) => (d, i)))
        {
            var (device, error) = ValidateDevice(input, $"devices[{index}]");
            if (error is not null)
            {
                return (null, error);
            }

            if (!seen.Add(device!.MacAddress))
            {
                return (null, AdminError.Invalid($"devices[{index}].mac_address {device.MacAddress} is listed twice."));
            }

            devices.Add(device);
        }

        var now = Now();
        try
        {
            return await store.WriteAsync<(CreatedUser?, AdminError?)>(async s =>
            {
                if (await s.FindPartnerAsync(request.ClientId) is null)
                {
                    return (null, AdminError.PartnerNotFound(request.ClientId));
                }

                foreach (var device in devices)
                {
                    if (await s.FindDeviceOwnerAsync(device.MacAddress) is not null)
                    {
                        return (null, DeviceLinked(device.MacAddress));
                    }
                }

                if (await RecordLinkedDevicesAsync(s, request.ClientId, devices, origin, now) is { } refused)
                {
                    return (null, refused);
                }

                var userId = await s.InsertUserAsync(request.ClientId, now);
                foreach (var device in devices)
                {
                    device.UserId = userId;
                    device.LinkedAt = now;

                    // Linked by a concurrent creation since the check above (possible with several instances on
                    // PostgreSQL): throwing rolls this user back, and the unique key has the last word.
                    if (!await s.TryInsertDeviceAsync(device))
                    {
                        throw new DeviceLinkedMeanwhileException(device.MacAddress);
                    }

                    await s.DeviceConfigurationChangedAsync(device.MacAddress, now);
                }

                var detail = devices.Count == 0 ? "no devices" : string.Join(", ", devices.Select(d => $"{d.MacAddress} model {d.Model} {d.Market}"));
                await s.AppendAuditAsync(Event(AuditKinds.UserCreated, request.ClientId, origin, now, userId: userId, detail: detail));
                return (new CreatedUser(userId), null);
            }, cancellationToken);
        }
        catch (DeviceLinkedMeanwhileException e)
        {
            return (null, DeviceLinked(e.MacAddress));
        }
    }

    private static AdminError DeviceLinked(string macAddress) =>
        new(StatusCodes.Status409Conflict, AdminProblemCodes.MacAddressLinked,
            $"The device {macAddress} is already linked to a user; a device links to one user only.");

    private sealed class DeviceLinkedMeanwhileException(string macAddress) : Exception
    {
        public string MacAddress { get; } = macAddress;
    }

    public async Task<(User? User, AdminError? Error)> GetUserAsync(int userId, CancellationToken cancellationToken)
    {
        if (await ReadUserStateAsync(userId, cancellationToken) is not { } state)
        {
            return (null, AdminError.UserNotFound(userId));
        }

        var devices = state.Devices.Select(d =>
        {
            var (programme, features) = Effective(state, d);
            return new LinkedDevice(d.MacAddress, d.Model, ModelName(d.Model), d.Market, At(d.LinkedAt), programme.State,
                programme.TerminatesAtMs is { } at ? At(at) : null, features);
        }).ToArray();
        return (new User(state.User.UserId, state.User.ClientId, At(state.User.CreatedAt), devices), null);
    }

    public async Task<(Entitlement? Entitlement, AdminError? Error)> GrantAsync(
        string clientId, string featureName, AuditOrigin origin, CancellationToken cancellationToken)
    {
        if (CheckGated(featureName) is { } invalid)
        {
            return (null, invalid);
        }

        var now = Now();
        return await store.WriteAsync(s => GrantAsync(s, clientId, featureName, origin, now), cancellationToken);
    }

    /// <summary>
    /// The grant in the caller's transaction: the admin API's own, or the console's approval of a request, so that
    /// both write the same grant and the same audit event apart from the actor. The feature must be gated (checked
    /// before, see <see cref="CheckGated"/>).
    /// </summary>
    internal static async Task<(Entitlement? Entitlement, AdminError? Error)> GrantAsync(
        StoreSession s, string clientId, string featureName, AuditOrigin origin, long now)
    {
        if (await AddGrantAsync(s, clientId, featureName, origin, now) is null)
        {
            return (null, AdminError.PartnerNotFound(clientId));
        }

        var granted = (await s.ListEntitlementsAsync(clientId)).First(e => e.FeatureName == featureName);
        return (new Entitlement(clientId, featureName, At(granted.GrantedAt)), null);
    }

    /// <summary>
    /// The grant and its audit event in the caller's transaction: true when added, false when the partner held it
    /// already (nothing written), null when there is no such partner.
    /// </summary>
    internal static async Task<bool?> AddGrantAsync(StoreSession s, string clientId, string featureName, AuditOrigin origin, long now)
    {
        if (await s.FindPartnerAsync(clientId) is null)
        {
            return null;
        }

        if (await s.GrantEntitlementAsync(clientId, featureName, now) != 1)
        {
            return false;
        }

        await s.AppendAuditAsync(Event(AuditKinds.EntitlementGranted, clientId, origin, now, featureName: featureName, newValue: true));
        await s.PartnerConfigurationChangedAsync(clientId, null, now);
        return true;
    }

    public async Task<AdminError?> RevokeAsync(string clientId, string featureName, AuditOrigin origin, CancellationToken cancellationToken) =>
        (await RevokeGrantAsync(clientId, featureName, origin, cancellationToken)).Error;

    /// <summary>The revocation, saying whether the partner held the grant (the admin API answers 204 either way).</summary>
    internal async Task<(bool Revoked, AdminError? Error)> RevokeGrantAsync(string clientId, string featureName, AuditOrigin origin, CancellationToken cancellationToken)
    {
        if (CheckGated(featureName) is { } invalid)
        {
            return (false, invalid);
        }

        var now = Now();
        return await store.WriteAsync<(bool, AdminError?)>(async s =>
        {
            if (await s.FindPartnerAsync(clientId) is null)
            {
                return (false, AdminError.PartnerNotFound(clientId));
            }

            if (await s.RevokeEntitlementAsync(clientId, featureName) != 1)
            {
                return (false, null);
            }

            await s.AppendAuditAsync(Event(AuditKinds.EntitlementRevoked, clientId, origin, now, featureName: featureName, oldValue: true, newValue: false));
            await s.PartnerConfigurationChangedAsync(clientId, null, now);
            return (true, null);
        }, cancellationToken);
    }

    public async Task<(EntitlementList? List, AdminError? Error)> ListEntitlementsAsync(string clientId, CancellationToken cancellationToken)
    {
        var (partner, rows) = await store.ReadAsync(async s => (await s.FindPartnerAsync(clientId), await s.ListEntitlementsAsync(clientId)), cancellationToken);
        if (partner is null)
        {
            return (null, AdminError.PartnerNotFound(clientId));
        }

        return (new EntitlementList(clientId, rows.Select(r => new Entitlement(clientId, r.FeatureName, At(r.GrantedAt))).ToArray()), null);
    }

    /// <summary>
    /// The state each linked device runs with: the catalog default, overlaid by the partner's programme choice for the
    /// model, then by the user's own choice; then the market and grant rules (a feature outside its market, or gated
    /// without a grant, is off whatever was chosen). A terminated device runs the defaults whatever was chosen.
    /// </summary>
    public async Task<(UserFeatureState? State, AdminError? Error)> GetEffectiveFeaturesAsync(int userId, CancellationToken cancellationToken)
    {
        if (await ReadUserStateAsync(userId, cancellationToken, withSync: true) is not { } state)
        {
            return (null, AdminError.UserNotFound(userId));
        }

        var devices = state.Devices.Select(device =>
        {
            var (programme, features) = Effective(state, device);
            return new DeviceFeatureState(device.MacAddress, device.Model, ModelName(device.Model), device.Market, features,
                programme.State, programme.TerminatesAtMs is { } at ? At(at) : null, Summary(state.Sync![device.MacAddress]));
        }).ToArray();

        var linkedModels = state.Devices.Select(d => d.Model).ToHashSet();
        var pending = state.Choices.Where(c => !linkedModels.Contains(c.Model))
            .Select(c => new PendingChoice(c.Model, c.FeatureName, c.Active, At(c.UpdatedAt))).ToArray();
        return (new UserFeatureState(userId, state.User.ClientId, devices, pending), null);
    }

    /// <summary>What the effective state of a user's devices is made of, read in one transaction.</summary>
    private sealed record UserState(
        UserRow User,
        IReadOnlyList<DeviceRow> Devices,
        Dictionary<string, DeviceProgramme> Programme,
        ConfigurationInputs Inputs,
        Dictionary<string, DeviceSync>? Sync = null)
    {
        public IEnumerable<ChoiceRow> Choices => Inputs.Choices.Values;
    }

    private async Task<UserState?> ReadUserStateAsync(int userId, CancellationToken cancellationToken, bool withSync = false)
    {
        var now = Now();
        return await store.ReadAsync(async s =>
        {
            if (await s.FindUserAsync(userId) is not { } user)
            {
                return null;
            }

            var devices = await s.ListDevicesAsync(userId);
            var programme = (await s.ListUserProgrammeAsync(userId, null)).ToDictionary(p => p.MacAddress, p => p.At(now), StringComparer.Ordinal);
            var state = new UserState(user, devices, programme, await ConfigurationInputs.ReadAsync(s, userId, user.ClientId, null));
            return withSync ? state with { Sync = await ReadSyncAsync(s, state) } : state;
        }, cancellationToken);
    }

    /// <summary>The sync status of every device of the user, read in the transaction that read what they should run.</summary>
    private async Task<Dictionary<string, DeviceSync>> ReadSyncAsync(StoreSession s, UserState state)
    {
        var sync = new Dictionary<string, DeviceSync>(StringComparer.Ordinal);
        foreach (var device in state.Devices)
        {
            sync[device.MacAddress] = await syncs.ReadAsync(s, device.MacAddress, Effective(state, device).Features);
        }

        return sync;
    }

    private static DeviceSyncSummary Summary(DeviceSync sync) => new(
        sync.Version, sync.LastSeenAt is { } seen ? At(seen) : null, sync.Firmware, sync.ReportedVersion, sync.ReportedAt is { } reported ? At(reported) : null,
        sync.Features.Select(f => new FeatureSyncState(f.FeatureName, f.Status, f.Active, f.Version, f.ReportedVersion, f.ReportedActive, f.Reason,
            f.ReportedAt is { } at ? At(at) : null)).ToArray());

    private (DeviceProgramme Programme, EffectiveFeature[] Features) Effective(UserState state, DeviceRow device)
    {
        var programme = state.Programme[device.MacAddress];
        return (programme, EffectiveConfiguration.Of(catalog.Current, device.Model, device.Market, programme, state.Inputs));
    }

    public static AuditEvent ToResponse(AuditRow e) =>
        new(e.Id, At(e.OccurredAt), e.Kind, e.Actor, e.ClientId, e.UserId, e.Model, e.FeatureName, e.OldValue, e.NewValue, e.RequestId, e.Detail);

    private (DeviceRow? Device, AdminError? Error) ValidateDevice(DeviceLink? input, string path)
    {
        if (input is null)
        {
            return (null, AdminError.Invalid($"{path} is null."));
        }

        var mac = MacAddress.Normalize(input.MacAddress);
        if (mac is null)
        {
            return (null, AdminError.Invalid($"{path}.mac_address must be six hexadecimal byte pairs, e.g. 00:24:e4:12:34:56."));
        }

        if (input.Model is not { } model || !catalog.Current.TryGetModel(model, out _))
        {
            return (null, AdminError.Invalid($"{path}.model must be a known Withings model id, e.g. 17 for Body Pro 2."));
        }

        var market = input.Market?.Trim().ToUpperInvariant();
        if (market is null || !MarketPattern().IsMatch(market))
        {
            return (null, AdminError.Invalid($"{path}.market must be a region code of 2 or 3 letters, e.g. EU or US."));
        }

        return (new DeviceRow { MacAddress = mac, Model = model, Market = market }, null);
    }

    /// <summary>Null when the catalog has the feature and it is gated; else the refusal.</summary>
    internal AdminError? CheckGated(string featureName)
    {
        if (!catalog.Current.TryGetFeature(featureName, out var feature))
        {
            return AdminError.FeatureNotFound(featureName);
        }

        return feature.Gated
            ? null
            : AdminError.Invalid($"{featureName} is not a gated feature: every partner may switch it without a grant.");
    }

    private string ModelName(int model) => catalog.Current.TryGetModel(model, out var info) ? info.Name : $"model {model}";

    private Partner ToResponse(PartnerRow p) =>
        new(p.ClientId, p.Name, p.Suspended ? "suspended" : "active", At(p.CreatedAt), At(p.UpdatedAt),
            p.RateLimitPerMinute ?? rateLimits.Value.DefaultRequestsPerMinute,
            p.RateLimitPerMinute is null,
            p.PreviousSecretExpiresAt is { } ms && ms > Now() ? At(ms) : null) { CallbackUrl = p.CallbackUrl };

    private static AuditRow Event(
        string kind, string? clientId, AuditOrigin origin, long now,
        int? userId = null, int? model = null, string? featureName = null, bool? oldValue = null, bool? newValue = null, string? detail = null) =>
        new()
        {
            OccurredAt = now,
            Kind = kind,
            Actor = origin.Actor,
            ClientId = clientId,
            UserId = userId,
            Model = model,
            FeatureName = featureName,
            OldValue = oldValue,
            NewValue = newValue,
            RequestId = origin.RequestId,
            Detail = detail,
        };

    private long Now() => time.GetUtcNow().ToUnixTimeMilliseconds();

    private static DateTimeOffset At(long ms) => DateTimeOffset.FromUnixTimeMilliseconds(ms);

    // Withings client ids and secrets are 64 lowercase hex characters.
    private static string NewToken() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32));

    [GeneratedRegex(@"^[A-Z]{2,3}\z")]
    private static partial Regex MarketPattern();
}
