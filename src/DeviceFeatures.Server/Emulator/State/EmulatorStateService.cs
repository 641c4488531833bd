using System.Globalization;
using System.Text.RegularExpressions;
using DeviceFeatures.Protocol.Admin;
using DeviceFeatures.Server.Admin;
using DeviceFeatures.Server.Audit;
using DeviceFeatures.Server.Catalog;
using DeviceFeatures.Server.Device;
using DeviceFeatures.Server.Partners;
using DeviceFeatures.Server.RateLimiting;
using DeviceFeatures.Server.Secrets;
using DeviceFeatures.Server.Storage;

namespace DeviceFeatures.Server.Emulator.State;

/// <summary>
/// The state a partner's test suite resets, saves and restores (docs/emulator.md, "State"): partners with their
/// configuration, users with their devices, choices and profiles, and the device inventory with the programme.
/// Nonces, tokens, rate windows, change events and device reports are not carried: a reset or a restore removes them.
/// The audit log is kept, and each reset or restore adds one event to it.
/// </summary>
internal sealed partial class EmulatorStateService(
    IFeatureStore store,
    CatalogProvider catalog,
    SecretProtector secrets,
    PartnerDirectory partners,
    PartnerRateLimiter rateLimiter,
    DeviceSignals devices,
    TimeProvider time)
{
    /// <summary>The whole state, with secrets and device credentials decrypted.</summary>
    public Task<EmulatorSnapshot> SnapshotAsync(CancellationToken cancellationToken) => store.ReadAsync(async s =>
    {
        var entitlements = (await s.ReadEntitlementsAsync().ConfigureAwait(false)).ToLookup(e => e.Owner, StringComparer.Ordinal);
        var programmeChoices = (await s.ReadProgrammeChoicesAsync().ConfigureAwait(false)).ToLookup(e => e.Owner, StringComparer.Ordinal);
        var links = (await s.ReadLinksAsync().ConfigureAwait(false)).ToLookup(d => d.UserId);
        var choices = (await s.ReadChoicesAsync().ConfigureAwait(false)).ToLookup(c => c.Owner, StringComparer.Ordinal);
        var profiles = (await s.ReadProfilesAsync().ConfigureAwait(false)).ToDictionary(p => p.UserId);
        var programmes = (await s.ReadProgrammesAsync().ConfigureAwait(false)).ToDictionary(p => p.MacAddress, StringComparer.Ordinal);

        var partnerList = (await s.ReadPartnersAsync().ConfigureAwait(false)).Select(p => new SnapshotPartner(
            p.ClientId,
            p.Name,
            secrets.Unprotect(p.ClientId, p.ClientSecret),
            p.Suspended,
            p.RateLimitPerMinute,
            p.CallbackUrl,
            [.. entitlements[p.ClientId].Select(e => e.FeatureName)],
            [.. programmeChoices[p.ClientId].Select(c => new SnapshotChoice(c.Model, c.FeatureName, c.Active))],
            p.PreviousSecret is null ? null : secrets.Unprotect(p.ClientId, p.PreviousSecret),
            p.PreviousSecretExpiresAt is { } expires ? At(expires) : null,
            At(p.CreatedAt))).ToArray();

        var userList = (await s.ReadUsersAsync().ConfigureAwait(false)).Select(u => new SnapshotUser(
            u.UserId,
            u.ClientId,
            [.. links[u.UserId].Select(d => new SnapshotLinkedDevice(d.MacAddress, d.Model, d.Market, At(d.LinkedAt)))],
            [.. choices[u.UserId.ToString(CultureInfo.InvariantCulture)].Select(c => new SnapshotChoice(c.Model, c.FeatureName, c.Active))],
            profiles.TryGetValue(u.UserId, out var profile) ? ToSnapshot(profile) : null,
            At(u.CreatedAt))).ToArray();

        var deviceList = (await s.ReadInventoryAsync().ConfigureAwait(false)).Select(d =>
        {
            programmes.TryGetValue(d.MacAddress, out var programme);
            return new SnapshotDevice(
                d.MacAddress,
                d.Model,
                d.Market,
                d.Firmware,
                d.ClientId,
                d.Credential is null ? null : secrets.Unprotect(SecretProtector.DeviceContext(d.MacAddress), d.Credential),
                programme?.State,
                programme?.TerminatesAt is { } at ? At(at) : null);
        }).ToArray();

        return new EmulatorSnapshot(EmulatorSnapshot.CurrentVersion, time.GetUtcNow(), partnerList, userList, deviceList);
    }, cancellationToken);

    /// <summary>
    /// Replaces the whole state with <paramref name="snapshot"/> in one transaction; an invalid document changes nothing
    /// and is refused with the path of the first wrong member (<c>users[2].devices[0].model</c>). With
    /// <paramref name="onlyIntoEmpty"/> (a seed at start) it first checks, in the same transaction and under a lock,
    /// that no partner exists, and otherwise changes nothing and answers neither a result nor an error: of several
    /// instances starting on one database, one seeds it.
    /// </summary>
    public async Task<(EmulatorRestoreResult? Result, AdminError? Error)> RestoreAsync(
        EmulatorSnapshot? snapshot, AuditOrigin origin, string auditKind, bool onlyIntoEmpty, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        var (plan, error) = Validate(snapshot, now);
        if (error is not null)
        {
            return (null, AdminError.Invalid(error));
        }

        var removed = await store.WriteAsync(async s =>
        {
            if (onlyIntoEmpty)
            {
                await s.LockSeedAsync().ConfigureAwait(false);
                if (await s.CountPartnersAsync().ConfigureAwait(false) > 0)
                {
                    return null;
                }
            }

            var removed = await s.DeleteStateAsync(null).ConfigureAwait(false);
            await WriteAsync(s, plan!, now).ConfigureAwait(false);
            await s.AppendAuditAsync(AuditEvent(auditKind, null, origin, now,
                $"removed {Describe(removed.ToContract())}; restored {Describe(plan!.Counts)}")).ConfigureAwait(false);
            return removed;
        }, cancellationToken).ConfigureAwait(false);

        if (removed is null)
        {
            return (null, null);
        }

        Forget(null);
        return (new EmulatorRestoreResult(removed.ToContract(), plan!.Counts), null);
    }

    /// <summary>Removes one partner's users and devices (its account and configuration stay), or with null everything.</summary>
    public async Task<(EmulatorResetResult? Result, AdminError? Error)> ResetAsync(string? clientId, AuditOrigin origin, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        var removed = await store.WriteAsync(async s =>
        {
            if (clientId is not null && await s.FindPartnerAsync(clientId).ConfigureAwait(false) is null)
            {
                return null;
            }

            var removed = await s.DeleteStateAsync(clientId).ConfigureAwait(false);
            await s.AppendAuditAsync(AuditEvent(AuditKinds.EmulatorReset, clientId, origin, now, $"removed {Describe(removed.ToContract())}"))
                .ConfigureAwait(false);
            return removed;
        }, cancellationToken).ConfigureAwait(false);

        if (removed is null)
        {
            return (null, AdminError.PartnerNotFound(clientId!));
        }

        Forget(clientId);
        return (new EmulatorResetResult(clientId, removed.ToContract()), null);
    }

    /// <summary>
    /// What this instance keeps in memory about partners goes with their rows; other instances' copies expire on their
    /// own (<see cref="PartnerDirectory.CacheFor"/>). Devices waiting for a change read their version again.
    /// </summary>
    private void Forget(string? clientId)
    {
        if (clientId is null)
        {
            partners.ForgetAll();
        }
        else
        {
            partners.Forget(clientId);
        }

        rateLimiter.Forget(clientId);
        devices.ChangedAll();
    }

    internal static async Task WriteAsync(StoreSession s, StatePlan plan, long now)
    {
        foreach (var partner in plan.Partners)
        {
            await s.InsertPartnerAsync(partner).ConfigureAwait(false);
        }

        foreach (var (clientId, feature) in plan.Entitlements)
        {
            await s.InsertEntitlementAsync(clientId, feature, now).ConfigureAwait(false);
        }

        foreach (var choice in plan.ProgrammeChoices)
        {
            await s.InsertProgrammeChoiceAsync(choice, now).ConfigureAwait(false);
        }

        foreach (var device in plan.Inventory)
        {
            await s.InsertInventoryAsync(device).ConfigureAwait(false);
        }

        foreach (var programme in plan.Programmes)
        {
            await s.InsertProgrammeAsync(programme, now).ConfigureAwait(false);
        }

        foreach (var user in plan.Users)
        {
            await s.InsertUserAsync(user).ConfigureAwait(false);
        }

        await s.AdvanceUserIdsAsync().ConfigureAwait(false);
        foreach (var link in plan.Links)
        {
            await s.InsertLinkAsync(link).ConfigureAwait(false);
        }

        foreach (var (userId, choice) in plan.Choices)
        {
            await s.InsertChoiceAsync(userId, choice, now).ConfigureAwait(false);
        }

        foreach (var profile in plan.Profiles)
        {
            await s.InsertProfileAsync(profile).ConfigureAwait(false);
        }
    }

    /// <summary>The rows a valid document writes, or the path and fault of its first wrong member.</summary>
    internal (StatePlan? Plan, string? Error) Validate(EmulatorSnapshot? snapshot, long now)
    {
        if (snapshot is null)
        {
            return (null, "The body must be a snapshot document: {\"version\": 1, \"partners\": [...], \"users\": [...], \"devices\": [...]}.");
        }

        if (snapshot.Version is { } version && version != EmulatorSnapshot.CurrentVersion)
        {
            return (null, $"version must be {EmulatorSnapshot.CurrentVersion}, not {version}.");
        }

        var plan = new StatePlan();
        var known = catalog.Current;
        var partnerIds = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (input, i) in (snapshot.Partners ?? []).Select((p, i) => (p, i)))
        {
            var path = $"partners[{i}]";
            if (input is null)
            {
                return (null, $"{path} is null.");
            }

            var clientId = input.ClientId?.Trim();
            if (string.IsNullOrEmpty(clientId) || clientId.Length > 128 || clientId.Any(char.IsControl))
            {
                return (null, $"{path}.client_id is required, at most 128 characters.");
            }

            if (!partnerIds.Add(clientId))
            {
                return (null, $"{path}.client_id '{clientId}' appears twice.");
            }

            var name = input.Name?.Trim();
            if (string.IsNullOrEmpty(name) || name.Length > AdminService.MaxNameLength)
            {
                return (null, $"{path}.name is required, at most {AdminService.MaxNameLength} characters.");
            }

            if (string.IsNullOrEmpty(input.ClientSecret) || input.ClientSecret.Length > 256)
            {
                return (null, $"{path}.client_secret is required, at most 256 characters.");
            }

            if (input.RateLimitPerMinute is < 0 or > 10_000_000)
            {
                return (null, $"{path}.rate_limit_per_minute must be from 0 (unlimited) to 10000000.");
            }

            if (input.CallbackUrl is { } url && (url.Length > AdminService.MaxCallbackUrlLength || !Uri.TryCreate(url, UriKind.Absolute, out var uri)
                || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps)))
            {
                return (null, $"{path}.callback_url must be an absolute http or https URL.");
            }

            if ((input.PreviousClientSecret is null) != (input.PreviousSecretExpiresAt is null))
            {
                return (null, $"{path}.previous_client_secret and previous_secret_expires_at go together.");
            }

            var created = input.CreatedAt?.ToUnixTimeMilliseconds() ?? now;
            plan.Partners.Add(new PartnerRow
            {
                ClientId = clientId,
                Name = name,
                ClientSecret = secrets.Protect(clientId, input.ClientSecret),
                Suspended = input.Suspended ?? false,
                CreatedAt = created,
                UpdatedAt = now,
                PreviousSecret = input.PreviousClientSecret is { } previous ? secrets.Protect(clientId, previous) : null,
                PreviousSecretExpiresAt = input.PreviousSecretExpiresAt?.ToUnixTimeMilliseconds(),
                RateLimitPerMinute = input.RateLimitPerMinute,
                CallbackUrl = input.CallbackUrl,
            });

            var granted = new HashSet<string>(StringComparer.Ordinal);
            foreach (var (feature, j) in (input.Entitlements ?? []).Select((f, j) => (f, j)))
            {
                if (feature is null || !known.TryGetFeature(feature, out var definition) || !definition.Gated)
                {
                    return (null, $"{path}.entitlements[{j}] must be a gated feature of the catalog.");
                }

                if (granted.Add(feature))
                {
                    plan.Entitlements.Add((clientId, feature));
                }
            }

            var (programmeChoices, choiceError) = ReadChoices(input.ProgrammeChoices, $"{path}.programme_choices", clientId);
            if (choiceError is not null)
            {
                return (null, choiceError);
            }

            plan.ProgrammeChoices.AddRange(programmeChoices!);
        }

        var inventory = new Dictionary<string, InventoryRow>(StringComparer.Ordinal);
        foreach (var (input, i) in (snapshot.Devices ?? []).Select((d, i) => (d, i)))
        {
            var path = $"devices[{i}]";
            if (input is null)
            {
                return (null, $"{path} is null.");
            }

            var (mac, model, market, deviceError) = ReadDevice(input.MacAddress, input.Model, input.Market, path);
            if (deviceError is not null)
            {
                return (null, deviceError);
            }

            if (inventory.ContainsKey(mac!))
            {
                return (null, $"{path}.mac_address {mac} appears twice.");
            }

            // Trimmed as the partners' own client ids are, so that " p" names partner "p" everywhere in the document.
            var deviceClientId = input.ClientId?.Trim();
            if (deviceClientId is not null && !partnerIds.Contains(deviceClientId))
            {
                return (null, $"{path}.client_id '{deviceClientId}' is not one of the document's partners.");
            }

            if (input.Firmware is { Length: > 64 })
            {
                return (null, $"{path}.firmware is at most 64 characters.");
            }

            if (input.ProgrammeState is { } state)
            {
                if (state is not (ProgrammeStates.Active or ProgrammeStates.Standby or ProgrammeStates.PendingTermination or ProgrammeStates.Terminated))
                {
                    return (null, $"{path}.programme_state must be ACTIVE, STANDBY, PENDING_TERMINATION or TERMINATED.");
                }

                if (state is ProgrammeStates.PendingTermination && input.TerminatesAt is null)
                {
                    return (null, $"{path}.terminates_at is required with PENDING_TERMINATION.");
                }

                plan.Programmes.Add(new StoredProgramme(mac!, state, input.TerminatesAt?.ToUnixTimeMilliseconds()));
            }
            else if (input.TerminatesAt is not null)
            {
                return (null, $"{path}.terminates_at needs a programme_state.");
            }

            inventory[mac!] = new InventoryRow
            {
                MacAddress = mac!,
                Model = model,
                Market = market!,
                Firmware = input.Firmware,
                ClientId = deviceClientId,
                CreatedAt = now,
                UpdatedAt = now,
                Credential = string.IsNullOrEmpty(input.Credential) ? null : secrets.Protect(SecretProtector.DeviceContext(mac!), input.Credential),
            };
        }

        var userIds = new HashSet<int>();
        var linked = new HashSet<string>(StringComparer.Ordinal);
        var externalIds = new HashSet<(string, string)>();
        foreach (var (input, i) in (snapshot.Users ?? []).Select((u, i) => (u, i)))
        {
            var path = $"users[{i}]";
            if (input is null)
            {
                return (null, $"{path} is null.");
            }

            if (input.Userid is not (> 0 and var userId))
            {
                return (null, $"{path}.userid is required, a positive integer.");
            }

            if (!userIds.Add(userId))
            {
                return (null, $"{path}.userid {userId} appears twice.");
            }

            if (input.ClientId?.Trim() is not { } clientId || !partnerIds.Contains(clientId))
            {
                return (null, $"{path}.client_id must be one of the document's partners.");
            }

            plan.Users.Add(new UserRow { UserId = userId, ClientId = clientId, CreatedAt = input.CreatedAt?.ToUnixTimeMilliseconds() ?? now });
            foreach (var (link, j) in (input.Devices ?? []).Select((d, j) => (d, j)))
            {
                var linkPath = $"{path}.devices[{j}]";
                if (link is null)
                {
                    return (null, $"{linkPath} is null.");
                }

                var (mac, model, market, deviceError) = ReadDevice(link.MacAddress, link.Model, link.Market, linkPath);
                if (deviceError is not null)
                {
                    return (null, deviceError);
                }

                if (!linked.Add(mac!))
                {
                    return (null, $"{linkPath}.mac_address {mac} is linked twice: a device links to one user only.");
                }

                if (inventory.TryGetValue(mac!, out var known2))
                {
                    if (known2.Model != model || known2.Market != market)
                    {
                        return (null, $"{linkPath} differs from the inventory: it has {mac} as model {known2.Model} {known2.Market}.");
                    }

                    if (known2.ClientId is not null && known2.ClientId != clientId)
                    {
                        return (null, $"{linkPath}.mac_address {mac} is in the inventory of another partner.");
                    }

                    known2.ClientId = clientId;
                }
                else
                {
                    inventory[mac!] = new InventoryRow { MacAddress = mac!, Model = model, Market = market!, ClientId = clientId, CreatedAt = now, UpdatedAt = now };
                }

                plan.Links.Add(new DeviceRow { MacAddress = mac!, UserId = userId, Model = model, Market = market!, LinkedAt = link.LinkedAt?.ToUnixTimeMilliseconds() ?? now });
            }

            var (choices, choiceError) = ReadChoices(input.Choices, $"{path}.choices", clientId);
            if (choiceError is not null)
            {
                return (null, choiceError);
            }

            plan.Choices.AddRange(choices!.Select(c => (userId, c)));
            if (input.Profile is { } profile)
            {
                if (string.IsNullOrWhiteSpace(profile.ExternalId) || string.IsNullOrWhiteSpace(profile.Email))
                {
                    return (null, $"{path}.profile.{(string.IsNullOrWhiteSpace(profile.ExternalId) ? "external_id" : "email")} is required.");
                }

                if (!externalIds.Add((clientId, profile.ExternalId)))
                {
                    return (null, $"{path}.profile.external_id '{profile.ExternalId}' names two users of {clientId}.");
                }

                // The same rules as activate: getuser writes these as raw JSON, so a malformed value would break it later.
                var (unitPref, unitProblem) = profile.UnitPref is { } unitText ? ActivationRequest.ReadUnitPref(unitText) : ("{}", null);
                if (unitProblem is not null)
                {
                    return (null, $"{path}.profile.unit_pref {unitProblem}.");
                }

                if (profile.Measures is { } measuresText && ActivationRequest.ReadMeasures(measuresText) is { } measuresProblem)
                {
                    return (null, $"{path}.profile.measures {measuresProblem}.");
                }

                var (goals, goalsProblem) = profile.Goals is { } goalsText ? ActivationRequest.ReadGoals(goalsText) : (null, null);
                if (goalsProblem is not null)
                {
                    return (null, $"{path}.profile.goals {goalsProblem}.");
                }

                plan.Profiles.Add(new ProfileRow
                {
                    UserId = userId,
                    ClientId = clientId,
                    ExternalId = profile.ExternalId,
                    Email = profile.Email,
                    ShortName = profile.Shortname ?? "",
                    FirstName = profile.Firstname ?? "",
                    LastName = profile.Lastname ?? "",
                    Birthdate = profile.Birthdate ?? 0,
                    Gender = profile.Gender ?? 0,
                    PrefLang = profile.Preflang ?? "en_EN",
                    Timezone = profile.Timezone ?? "UTC",
                    MailingPref = profile.Mailingpref ?? false,
                    UnitPref = unitPref!,
                    Measures = profile.Measures ?? "[]",
                    Goals = goals,
                    PhoneNumber = profile.Phonenumber,
                    RecoveryCodeHash = profile.RecoveryCodeHash,
                    ActivatedAt = input.CreatedAt?.ToUnixTimeMilliseconds() ?? now,
                    UpdatedAt = now,
                });
            }
        }

        plan.Inventory.AddRange(inventory.Values.OrderBy(d => d.MacAddress, StringComparer.Ordinal));
        return (plan, null);

        (List<StoredChoice>? Choices, string? Error) ReadChoices(IReadOnlyList<SnapshotChoice?>? inputs, string path, string owner)
        {
            var read = new List<StoredChoice>();
            var seen = new HashSet<(int, string)>();
            foreach (var (choice, j) in (inputs ?? []).Select((c, j) => (c, j)))
            {
                var at = $"{path}[{j}]";
                if (choice is null)
                {
                    return (null, $"{at} is null.");
                }

                if (choice.Model is not { } model || !known.TryGetModel(model, out _))
                {
                    return (null, $"{at}.model must be a known Withings model id, e.g. 17 for Body Pro 2.");
                }

                if (choice.FeatureName is not { } feature || !known.FeaturesOf(model).Any(f => f.Name == feature))
                {
                    return (null, $"{at}.feature_name must be a feature of model {model}.");
                }

                if (choice.Active is not { } active)
                {
                    return (null, $"{at}.active is required (true or false).");
                }

                if (!seen.Add((model, feature)))
                {
                    return (null, $"{at} repeats model {model} {feature}.");
                }

                read.Add(new StoredChoice(owner, model, feature, active));
            }

            return (read, null);
        }

        (string? Mac, int Model, string? Market, string? Error) ReadDevice(string? macText, int? modelId, string? marketText, string path)
        {
            if (MacAddress.Normalize(macText) is not { } mac)
            {
                return (null, 0, null, $"{path}.mac_address must be six hexadecimal byte pairs, e.g. 00:24:e4:12:34:56.");
            }

            if (modelId is not { } model || !known.TryGetModel(model, out _))
            {
                return (null, 0, null, $"{path}.model must be a known Withings model id, e.g. 17 for Body Pro 2.");
            }

            var market = marketText?.Trim().ToUpperInvariant();
            return market is null || !MarketPattern().IsMatch(market)
                ? (null, 0, null, $"{path}.market must be a region code of 2 or 3 letters, e.g. EU or US.")
                : (mac, model, market, null);
        }
    }

    private static SnapshotProfile ToSnapshot(ProfileRow p) => new(
        p.ExternalId, p.Email, p.ShortName, p.FirstName, p.LastName, p.Birthdate, p.Gender, p.PrefLang, p.Timezone, p.MailingPref,
        p.UnitPref, p.Measures, p.Goals, p.PhoneNumber, p.RecoveryCodeHash);

    internal static string Describe(EmulatorStateCounts c) =>
        $"{c.Partners} partner(s), {c.Users} user(s), {c.Devices} device(s), {c.LinkedDevices} link(s), {c.Choices} choice(s), "
        + $"{c.Entitlements} grant(s), {c.ProgrammeChoices} programme choice(s)";

    private static AuditRow AuditEvent(string kind, string? clientId, AuditOrigin origin, long now, string detail) => new()
    {
        OccurredAt = now,
        Kind = kind,
        Actor = origin.Actor,
        ClientId = clientId,
        RequestId = origin.RequestId,
        Detail = detail,
    };

    private static DateTimeOffset At(long ms) => DateTimeOffset.FromUnixTimeMilliseconds(ms);

    [GeneratedRegex(@"^[A-Z]{2,3}\z")]
    private static partial Regex MarketPattern();
}

/// <summary>The rows a valid snapshot writes, secrets already encrypted.</summary>
internal sealed class StatePlan
{
    public List<PartnerRow> Partners { get; } = [];
    public List<(string ClientId, string FeatureName)> Entitlements { get; } = [];
    public List<StoredChoice> ProgrammeChoices { get; } = [];
    public List<InventoryRow> Inventory { get; } = [];
    public List<StoredProgramme> Programmes { get; } = [];
    public List<UserRow> Users { get; } = [];
    public List<DeviceRow> Links { get; } = [];
    public List<(int UserId, StoredChoice Choice)> Choices { get; } = [];
    public List<ProfileRow> Profiles { get; } = [];

    public EmulatorStateCounts Counts => new(
        Partners.Count, Users.Count, Inventory.Count, Links.Count, Choices.Count, Entitlements.Count, ProgrammeChoices.Count);
}
