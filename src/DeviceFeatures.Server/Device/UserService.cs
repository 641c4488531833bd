using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using DeviceFeatures.Protocol.Catalog;
using DeviceFeatures.Protocol.Parameters;
using DeviceFeatures.Server.Audit;
using DeviceFeatures.Server.Catalog;
using DeviceFeatures.Server.OAuth;
using DeviceFeatures.Server.Signature;
using DeviceFeatures.Server.Storage;
using DeviceFeatures.Server.Wire;

namespace DeviceFeatures.Server.Device;

/// <summary>Which user <c>/v2/user get</c> asks for: by <c>userid</c>, by <c>email</c>, or by both (then both must match).</summary>
internal sealed record UserLookup(int? UserId, string? Email);

/// <summary>
/// The actions of <c>/v2/user</c>: <c>activate</c> (a user of the partner with the devices it shipped, and an
/// authorization code), <c>get</c> (a user's profile) and <c>getdevice</c> (the devices of the user whose access token
/// is presented). The rules, including what activating an external_id a second time does, are in docs/protocol.md.
/// </summary>
internal sealed class UserService(CatalogProvider catalog, TimeProvider time)
{
    public ISignedHandler<ActivationRequest> Activate { get; } = new ActivateHandler(catalog, time);

    public ISignedHandler<UserLookup> Get { get; } = new GetHandler();

    public IBearerHandler<bool> GetDevice { get; } = new GetDeviceHandler(catalog, time);

    /// <summary>
    /// A device's <c>deviceid</c>: 40 hexadecimal characters like Withings' own, derived from the MAC address so that
    /// it never changes and needs no storage.
    /// </summary>
    public static string DeviceId(string macAddress) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes("deviceid:" + macAddress)).AsSpan(0, 20));

    /// <summary>
    /// A device whose termination is pending or complete is leaving (or has left) the programme: it is not linked to a
    /// new user, who could never switch its features. STANDBY and ACTIVE devices link and keep their state.
    /// </summary>
    private static string? LeavingTheProgramme(DeviceProgramme programme) =>
        programme.State is ProgrammeStates.PendingTermination or ProgrammeStates.Terminated ? programme.State : null;

    private static void WriteDevice(
        Utf8JsonWriter w, FeatureCatalog catalog, string macAddress, int model, string? timezone, string? firmware, bool withMacFirst, string? simStatus = null)
    {
        var info = catalog.TryGetModel(model, out var known) ? known : null;
        w.WriteStartObject();
        if (withMacFirst)
        {
            w.WriteString("mac_address"u8, macAddress);
        }

        w.WriteString("type"u8, info?.Type ?? "Unknown");
        w.WriteString("model"u8, info is null ? $"model {model}" : info.WithingsName ?? info.Name);
        w.WriteNumber("model_id"u8, model);
        var deviceId = DeviceId(macAddress);
        w.WriteString("deviceid"u8, deviceId);
        if (!withMacFirst)
        {
            w.WriteString("hash_deviceid"u8, deviceId);
            w.WriteString("mac_address"u8, macAddress);
            if (firmware is not null)
            {
                w.WriteString("fw"u8, firmware);
            }
        }

        if (timezone is not null)
        {
            w.WriteString("timezone"u8, timezone);
        }

        if (simStatus is not null)
        {
            w.WriteString("sim_status"u8, simStatus);
        }

        w.WriteEndObject();
    }

    private sealed class ActivateHandler(CatalogProvider catalog, TimeProvider time) : ISignedHandler<ActivationRequest>
    {
        public (ActivationRequest Parameters, WireResult? Refusal) Read(WireParameters parameters) =>
            ActivationRequest.Read(parameters, time.GetUtcNow().ToUnixTimeSeconds())!;

        public async ValueTask<WireResult> HandleAsync(SignedCall call, ActivationRequest request, SignedSession signed)
        {
            var session = signed.Store;
            var clientId = call.Partner.ClientId;
            var now = time.GetUtcNow().ToUnixTimeMilliseconds();

            // The external_id first, then the devices in MAC order: every activation takes its locks in that order.
            var existing = await session.FindProfileByExternalIdForUpdateAsync(clientId, request.ExternalId);
            var created = false;
            var userId = existing?.UserId ?? 0;
            if (existing is null)
            {
                userId = await session.InsertUserAsync(clientId, now);
                created = await session.TryInsertProfileAsync(ProfileRow.From(request, userId, clientId, now));
                if (!created)
                {
                    // A concurrent activation of the same external_id committed first: this one becomes a re-activation
                    // of that user.
                    await session.DeleteNewUserAsync(userId);
                    existing = await session.FindProfileByExternalIdForUpdateAsync(clientId, request.ExternalId)
                        ?? throw new InvalidOperationException("The external_id's profile vanished after its insert conflicted.");
                    userId = existing.UserId;
                }
            }

            var devices = new List<InventoryRow>(request.MacAddresses.Count);
            foreach (var mac in request.MacAddresses.Order(StringComparer.Ordinal))
            {
                await session.LockInventoryDeviceAsync(mac, clientId);
                var device = await session.FindInventoryDeviceAsync(mac);
                var refusal = device is null || device.ClientId != clientId
                    ? Refusals.DeviceNotYours(mac)
                    : device.UserId is { } owner && owner != userId ? Refusals.DeviceLinkedToAnotherUser(mac)
                    : device.UserId is null && LeavingTheProgramme(device.ProgrammeAt(now)) is { } state ? Refusals.DeviceLeftTheProgramme(mac, pending: state == ProgrammeStates.PendingTermination)
                    : null;
                if (refusal is not null)
                {
                    if (created)
                    {
                        await session.DeleteNewUserAsync(userId);
                    }

                    return refusal;
                }

                devices.Add(device!);
            }

            var linked = new List<InventoryRow>();
            foreach (var device in devices.Where(d => d.UserId is null))
            {
                var row = new DeviceRow { MacAddress = device.MacAddress, UserId = userId, Model = device.Model, Market = device.Market, LinkedAt = now };
                if (!await session.TryInsertDeviceAsync(row))
                {
                    // Linked meanwhile by a path that does not lock the inventory (the admin API): undo this call's links.
                    foreach (var done in linked)
                    {
                        await session.UnlinkDeviceAsync(done.MacAddress, userId);
                        await session.DeviceConfigurationChangedAsync(done.MacAddress, now);
                    }

                    if (created)
                    {
                        await session.DeleteNewUserAsync(userId);
                    }

                    return Refusals.DeviceLinkedToAnotherUser(device.MacAddress);
                }

                await session.DeviceConfigurationChangedAsync(device.MacAddress, now);
                linked.Add(device);
            }

            if (existing is not null)
            {
                var profile = ProfileRow.From(request, userId, clientId, now);
                profile.ActivatedAt = existing.ActivatedAt;
                await session.UpdateProfileAsync(profile);
            }

            var code = OAuthSecrets.NewSecret();
            await session.InsertCodeAsync(OAuthSecrets.Hash(code), clientId, userId, request.RedirectUri, now,
                now + (long)OAuthSecrets.CodeLifetime.TotalMilliseconds);

            var links = linked.Count == 0 ? "none" : string.Join(", ", linked.Select(d => $"{d.MacAddress} model {d.Model} {d.Market}"));
            await session.AppendAuditAsync(new AuditRow
            {
                OccurredAt = now,
                Kind = created ? AuditKinds.UserActivated : AuditKinds.UserReactivated,
                Actor = clientId,
                ClientId = clientId,
                UserId = userId,
                RequestId = call.RequestId,
                Detail = created
                    ? $"external_id {request.ExternalId}; linked {links}"
                    : $"external_id {request.ExternalId}; profile updated; newly linked {links}",
            });

            var current = catalog.Current;
            var byMac = devices.ToDictionary(d => d.MacAddress, StringComparer.Ordinal);
            return WireResult.Ok(w =>
            {
                w.WriteStartObject("user"u8);
                w.WriteString("code"u8, code);
                w.WriteString("external_id"u8, request.ExternalId);
                w.WriteEndObject();
                w.WriteStartArray("devices"u8);
                foreach (var mac in request.MacAddresses)
                {
                    WriteDevice(w, current, mac, byMac[mac].Model, request.Timezone, null, withMacFirst: true);
                }

                w.WriteEndArray();
            });
        }
    }

    private sealed class GetHandler : ISignedHandler<UserLookup>
    {
        public (UserLookup Parameters, WireResult? Refusal) Read(WireParameters parameters)
        {
            int? userId = null;
            if (parameters.TryGet(WireParameterNames.UserId, out var userText) && userText.Length > 0)
            {
                if (!int.TryParse(userText, NumberStyles.None, CultureInfo.InvariantCulture, out var id) || id <= 0)
                {
                    return (null!, Refusals.InvalidParameter(WireParameterNames.UserId, "must be a whole number between 1 and 2147483647"));
                }

                userId = id;
            }

            string? email = parameters.TryGet(WireParameterNames.Email, out var emailText) && emailText.Length > 0 ? emailText : null;
            if (userId is null && email is null)
            {
                return (null!, Refusals.Unreadable("missing parameter 'userid' or 'email': give one of them"));
            }

            return (new UserLookup(userId, email?.ToLowerInvariant()), null);
        }

        public async ValueTask<WireResult> HandleAsync(SignedCall call, UserLookup lookup, SignedSession signed)
        {
            var session = signed.Store;
            var clientId = call.Partner.ClientId;
            ProfileRow? profile;
            if (lookup.UserId is { } userId)
            {
                var user = await session.FindUserAsync(userId);
                if (user is null || user.ClientId != clientId)
                {
                    return Refusals.UnknownUser(userId);
                }

                profile = await session.FindProfileAsync(userId);
                if (lookup.Email is not null && profile?.Email != lookup.Email)
                {
                    return Refusals.UnknownUser(userId);
                }
            }
            else
            {
                profile = await session.FindProfileByEmailAsync(clientId, lookup.Email!);
                if (profile is null)
                {
                    return Refusals.UnknownUserEmail();
                }
            }

            return WireResult.Ok(w =>
            {
                w.WriteStartObject("user"u8);
                // A user made by the admin API has no profile: it is answered, with nothing to show.
                if (profile is not null)
                {
                    w.WriteString("email"u8, profile.Email);
                    w.WriteString("firstname"u8, profile.FirstName);
                    w.WriteString("lastname"u8, profile.LastName);
                    w.WriteString("shortname"u8, profile.ShortName);
                    w.WriteNumber("gender"u8, profile.Gender);
                    w.WriteNumber("birthdate"u8, profile.Birthdate);
                    w.WriteString("preflang"u8, profile.PrefLang);
                    w.WriteString("timezone"u8, profile.Timezone);
                    w.WriteBoolean("mailingpref"u8, profile.MailingPref);
                    w.WritePropertyName("unit_pref"u8);
                    w.WriteRawValue(profile.UnitPref, skipInputValidation: false);
                    if (profile.PhoneNumber is not null)
                    {
                        w.WriteString("phonenumber"u8, profile.PhoneNumber);
                    }
                }

                w.WriteEndObject();
            });
        }
    }

    private sealed class GetDeviceHandler(CatalogProvider catalog, TimeProvider time) : IBearerHandler<bool>
    {
        public (bool Parameters, WireResult? Refusal) Read(WireParameters parameters) => (true, null);

        public async ValueTask<WireResult> HandleAsync(BearerCall call, bool parameters, StoreSession session)
        {
            var profile = await session.FindProfileAsync(call.UserId);
            var devices = await session.ListUserDevicesAsync(call.UserId);

            // sim_status is the device's state in the partner's programme (endpartnerprogram), as of now.
            var now = time.GetUtcNow().ToUnixTimeMilliseconds();
            var current = catalog.Current;
            return WireResult.Ok(w =>
            {
                w.WriteStartArray("devices"u8);
                foreach (var device in devices)
                {
                    WriteDevice(w, current, device.MacAddress, device.Model, profile?.Timezone, device.Firmware, withMacFirst: false,
                        device.ProgrammeAt(now).State);
                }

                w.WriteEndArray();
            });
        }
    }
}
