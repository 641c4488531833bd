using DeviceFeatures.Protocol.Admin;
using DeviceFeatures.Server.Audit;
using DeviceFeatures.Server.Device;
using DeviceFeatures.Server.Partners;
using DeviceFeatures.Server.Secrets;
using DeviceFeatures.Server.Storage;

namespace DeviceFeatures.Server.Admin;

/// <summary>The device inventory: import, list, show, assign.</summary>
internal sealed partial class AdminService
{
    public const int MaxImportRows = 1000;
    public const int MaxInventoryPage = 1000;
    public const int MaxFirmwareLength = 64;

    /// <summary>
    /// Imports the rows in one transaction, each judged on its own: a new device is imported; one already imported
    /// with the same model, market and partner is skipped, or updated when only its firmware differs; one that differs
    /// otherwise is refused (the inventory is not rewritten by a file: a partner changes through assign).
    /// </summary>
    public async Task<(ImportDevicesResponse? Response, AdminError? Error)> ImportDevicesAsync(
        ImportDevicesRequest? request, AuditOrigin origin, CancellationToken cancellationToken)
    {
        if (request?.Devices is not { } rows)
        {
            return (null, AdminError.Invalid("The body must be {\"devices\": [...]}, each with mac_address, model, market, firmware and client_id."));
        }

        if (rows.Count > MaxImportRows)
        {
            return (null, AdminError.Invalid($"At most {MaxImportRows} devices per request; send the rest in further requests."));
        }

        var now = Now();
        var results = await store.WriteAsync(async s =>
        {
            var knownPartners = new Dictionary<string, bool>(StringComparer.Ordinal);
            var answers = new List<DeviceImportResult>(rows.Count);
            for (var index = 0; index < rows.Count; index++)
            {
                answers.Add(await ImportRowAsync(s, index, rows[index], knownPartners, origin, now));
            }

            return answers;
        }, cancellationToken);

        return (new ImportDevicesResponse(results,
            results.Count(r => r.Outcome == DeviceImportOutcomes.Imported),
            results.Count(r => r.Outcome == DeviceImportOutcomes.Updated),
            results.Count(r => r.Outcome == DeviceImportOutcomes.Skipped),
            results.Count(r => r.Outcome == DeviceImportOutcomes.Refused)), null);
    }

    private async Task<DeviceImportResult> ImportRowAsync(
        StoreSession s, int index, DeviceImportRow? row, Dictionary<string, bool> knownPartners, AuditOrigin origin, long now)
    {
        DeviceImportResult Refused(string? mac, string code, string reason) => new(index, mac, DeviceImportOutcomes.Refused, code, reason);

        if (row is not null && MacAddress.Normalize(row.MacAddress) is null)
        {
            return Refused(row.MacAddress, AdminProblemCodes.InvalidMacAddress, InvalidMac("mac_address").Detail);
        }

        var (device, error) = ValidateDevice(row is null ? null : new DeviceLink(row.MacAddress, row.Model, row.Market), $"row {index}");
        if (error is not null)
        {
            return Refused(device?.MacAddress ?? row?.MacAddress, error.Code, error.Detail);
        }

        var firmware = string.IsNullOrWhiteSpace(row!.Firmware) ? null : row.Firmware.Trim();
        if (firmware is { Length: > MaxFirmwareLength })
        {
            return Refused(device!.MacAddress, AdminProblemCodes.InvalidRequest, $"firmware is longer than {MaxFirmwareLength} characters.");
        }

        var clientId = string.IsNullOrWhiteSpace(row.ClientId) ? null : row.ClientId.Trim();
        if (clientId is not null)
        {
            if (!knownPartners.TryGetValue(clientId, out var exists))
            {
                knownPartners[clientId] = exists = await s.FindPartnerAsync(clientId) is not null;
            }

            if (!exists)
            {
                return Refused(device!.MacAddress, AdminProblemCodes.PartnerNotFound, $"No partner has client_id '{clientId}'.");
            }
        }

        var mac = device!.MacAddress;
        if (await s.FindInventoryDeviceAsync(mac) is { } existing)
        {
            var differences = new List<string>();
            if (existing.Model != device.Model)
            {
                differences.Add($"model {existing.Model}");
            }

            if (existing.Market != device.Market)
            {
                differences.Add($"market {existing.Market}");
            }

            if (existing.ClientId != clientId)
            {
                differences.Add(existing.ClientId is null ? "no partner" : $"client_id {existing.ClientId}");
            }

            if (differences.Count > 0)
            {
                return Refused(mac, AdminProblemCodes.DeviceDiffers,
                    $"Already imported with {string.Join(", ", differences)}; a partner changes with assign, a model or market not at all.");
            }

            if (firmware is null || firmware == existing.Firmware)
            {
                return new DeviceImportResult(index, mac, DeviceImportOutcomes.Skipped, null, null);
            }

            await s.SetInventoryFirmwareAsync(mac, firmware, now);
            var change = $"firmware {existing.Firmware ?? "unknown"} -> {firmware}";
            await s.AppendAuditAsync(Event(AuditKinds.DeviceUpdated, clientId, origin, now, userId: existing.UserId, model: device.Model,
                detail: $"{mac} {change}"));
            return new DeviceImportResult(index, mac, DeviceImportOutcomes.Updated, null, change);
        }

        // A device linked before the inventory knew it (a bulk load) keeps its user's partner.
        if (await s.FindLinkedPartnerAsync(mac) is { } linkedPartner && linkedPartner != clientId)
        {
            return Refused(mac, AdminProblemCodes.DeviceOfOtherPartner, $"Linked to a user of partner {linkedPartner}.");
        }

        // The device's own secret for the device API: in this answer once, stored encrypted only.
        var secret = NewToken();
        var inserted = await s.TryInsertInventoryDeviceAsync(new InventoryRow
        {
            MacAddress = mac,
            Model = device.Model,
            Market = device.Market,
            Firmware = firmware,
            ClientId = clientId,
            CreatedAt = now,
            UpdatedAt = now,
            Credential = secrets.Protect(SecretProtector.DeviceContext(mac), secret),
        });
        if (!inserted)
        {
            // Imported by another instance since the read above; a re-run will compare it.
            return Refused(mac, AdminProblemCodes.DeviceDiffers, "Imported at the same time by another request; send the row again.");
        }

        await s.AppendAuditAsync(Event(AuditKinds.DeviceImported, clientId, origin, now, model: device.Model,
            detail: $"{mac} model {device.Model} {device.Market} firmware {firmware ?? "unknown"}"));
        return new DeviceImportResult(index, mac, DeviceImportOutcomes.Imported, null, null, secret);
    }

    /// <summary>
    /// A page of the inventory in MAC order. Each device comes with its sync summary (versions and times, without the
    /// per-feature reports, which <see cref="GetDeviceAsync"/> gives).
    /// </summary>
    public async Task<(InventoryPage? Page, AdminError? Error)> ListDevicesAsync(
        string? clientId, int? model, bool? linked, string? after, int limit, CancellationToken cancellationToken) =>
        await ListDevicesAsync(clientId, model, linked, after, limit, assigned: null, macPrefix: null, cancellationToken).ConfigureAwait(false);

    /// <summary>The same, also filtered by assignment to a partner and by the start of the MAC address.</summary>
    public async Task<(InventoryPage? Page, AdminError? Error)> ListDevicesAsync(
        string? clientId, int? model, bool? linked, string? after, int limit, bool? assigned, string? macPrefix, CancellationToken cancellationToken)
    {
        string? prefix = null;
        if (!string.IsNullOrEmpty(macPrefix) && (prefix = MacAddress.NormalizePrefix(macPrefix)) is null)
        {
            return (null, AdminError.Invalid("'mac_prefix' must be the start of a MAC address: 1 to 12 hexadecimal digits, with ':' or '-' or none, e.g. 00:24:e4."));
        }

        if (limit is < 1 or > MaxInventoryPage)
        {
            return (null, AdminError.Invalid($"'limit' must be a whole number from 1 to {MaxInventoryPage}."));
        }

        var afterMac = string.IsNullOrEmpty(after) ? "" : MacAddress.Normalize(after);
        if (afterMac is null)
        {
            return (null, InvalidMac("'after'"));
        }

        // One row more than the page: it says whether a next page exists, so that exactly 'limit' devices left give
        // no next_after (and no empty page after it).
        var rows = await store.ReadAsync(s => s.ListInventoryAsync(new InventoryQuery(clientId, model, linked, afterMac, limit + 1, assigned, prefix)), cancellationToken);
        var page = rows.Take(limit).ToArray();
        return (new InventoryPage(page.Select(r => ToResponse(r) with { Sync = Summary(r) }).ToArray(), rows.Count > limit ? page[^1].MacAddress : null), null);
    }

    public async Task<(InventoryDevice? Device, AdminError? Error)> GetDeviceAsync(string macAddress, CancellationToken cancellationToken)
    {
        if (MacAddress.Normalize(macAddress) is not { } mac)
        {
            return (null, InvalidMac("The MAC address"));
        }

        var (row, sync, reports) = await store.ReadAsync(async s =>
            (await s.FindInventoryDeviceAsync(mac), await s.FindDeviceSyncAsync(mac), await s.ListDeviceReportsAsync(mac)), cancellationToken);
        if (row is null)
        {
            return (null, DeviceNotFound(mac));
        }

        var state = new DeviceSyncState(row.Credential is not null, sync?.Version ?? 0, Maybe(sync?.LastSeenAt), sync?.ReportedVersion,
            Maybe(sync?.ReportedAt), reports.Select(r => new DeviceReportedFeature(r.FeatureName, r.Applied, r.Reason, r.Version, At(r.ReportedAt))).ToArray());
        return (ToResponse(row) with { Sync = state }, null);
    }

    /// <summary>
    /// Issues the device a new secret for the device API; the previous one stops at once (a device holds one secret,
    /// so an overlap would only lengthen the life of a leaked one). The only way to give a secret to a device that
    /// came into the inventory without one (before the device API, or by the creation of a user).
    /// </summary>
    public async Task<(DeviceCredential? Credential, AdminError? Error)> RotateDeviceCredentialAsync(
        string macAddress, AuditOrigin origin, CancellationToken cancellationToken)
    {
        if (MacAddress.Normalize(macAddress) is not { } mac)
        {
            return (null, InvalidMac("The MAC address"));
        }

        var secret = NewToken();
        var now = Now();
        var found = await store.WriteAsync(async s =>
        {
            if (await s.FindInventoryDeviceAsync(mac) is not { } device
                || await s.SetDeviceCredentialAsync(mac, secrets.Protect(SecretProtector.DeviceContext(mac), secret), now) == 0)
            {
                return false;
            }

            await s.AppendAuditAsync(Event(AuditKinds.DeviceCredentialRotated, device.ClientId, origin, now, userId: device.UserId, model: device.Model,
                detail: device.Credential is null ? $"{mac} first credential" : $"{mac} previous credential stopped"));
            return true;
        }, cancellationToken);
        return found ? (new DeviceCredential(mac, secret), null) : (null, DeviceNotFound(mac));
    }

    private static DateTimeOffset? Maybe(long? ms) => ms is { } value ? At(value) : null;

    /// <summary>Assigns the device to the partner; refused when it is linked to a user of another partner.</summary>
    public async Task<(InventoryDevice? Device, AdminError? Error)> AssignDeviceAsync(
        string macAddress, string? clientId, AuditOrigin origin, CancellationToken cancellationToken)
    {
        if (MacAddress.Normalize(macAddress) is not { } mac)
        {
            return (null, InvalidMac("The MAC address"));
        }

        if (string.IsNullOrWhiteSpace(clientId))
        {
            return (null, AdminError.Invalid("The body must be {\"client_id\": \"...\"}."));
        }

        var now = Now();
        return await store.WriteAsync<(InventoryDevice?, AdminError?)>(async s =>
        {
            // Locked like activate and endpartnerprogram lock it, by a statement of its own before the device is read:
            // an activation or a programme change of the device on another instance waits for this move, or this
            // move for it, and each reads what the other committed.
            await s.LockInventoryDeviceAsync(mac);
            if (await s.FindInventoryDeviceAsync(mac) is not { } device)
            {
                return (null, DeviceNotFound(mac));
            }

            if (await s.FindPartnerAsync(clientId) is null)
            {
                return (null, AdminError.PartnerNotFound(clientId));
            }

            if (device.UserId is not null && await s.FindLinkedPartnerAsync(mac) is { } linkedPartner && linkedPartner != clientId)
            {
                return (null, new AdminError(StatusCodes.Status409Conflict, AdminProblemCodes.DeviceOfOtherPartner,
                    $"The device {mac} is linked to user {device.UserId} of partner {linkedPartner}; it cannot move to another partner."));
            }

            if (device.ClientId != clientId)
            {
                // A programme state is the previous partner's: the device starts the new partner's programme afresh.
                var previousState = device.ProgrammeState is null ? null : device.ProgrammeAt(now).State;
                if (previousState is not null)
                {
                    await s.ResetProgrammeAsync(mac);
                    device.ProgrammeState = null;
                    device.TerminatesAt = null;
                }

                await s.AssignInventoryDeviceAsync(mac, clientId, now);
                await s.DeviceConfigurationChangedAsync(mac, now);
                await s.AppendAuditAsync(Event(AuditKinds.DeviceAssigned, clientId, origin, now, userId: device.UserId, model: device.Model,
                    detail: $"{mac} from {device.ClientId ?? "no partner"}"
                        + (previousState is null ? "" : $"; its programme state {previousState} was reset")));
                device.ClientId = clientId;
                device.UpdatedAt = now;
            }

            return (ToResponse(device), null);
        }, cancellationToken);
    }

    /// <summary>
    /// Puts the devices of a user being created in the inventory, assigned to its partner. Refused, before anything is
    /// written, when one is in the inventory as another model or market, or assigned to another partner.
    /// </summary>
    private static async Task<AdminError?> RecordLinkedDevicesAsync(
        StoreSession s, string clientId, List<DeviceRow> devices, AuditOrigin origin, long now)
    {
        var known = new List<InventoryRow?>(devices.Count);
        foreach (var device in devices)
        {
            var row = await s.FindInventoryDeviceAsync(device.MacAddress);
            if (row is not null && (row.Model != device.Model || row.Market != device.Market))
            {
                return new AdminError(StatusCodes.Status409Conflict, AdminProblemCodes.DeviceDiffers,
                    $"The inventory has {device.MacAddress} as model {row.Model} {row.Market}, not model {device.Model} {device.Market}.");
            }

            if (row?.ClientId is { } assigned && assigned != clientId)
            {
                return new AdminError(StatusCodes.Status409Conflict, AdminProblemCodes.DeviceOfOtherPartner,
                    $"The device {device.MacAddress} is assigned to partner {assigned}.");
            }

            known.Add(row);
        }

        foreach (var (device, row) in devices.Zip(known))
        {
            if (row is null)
            {
                await s.TryInsertInventoryDeviceAsync(new InventoryRow
                {
                    MacAddress = device.MacAddress,
                    Model = device.Model,
                    Market = device.Market,
                    ClientId = clientId,
                    CreatedAt = now,
                    UpdatedAt = now,
                });
            }
            else if (row.ClientId is null)
            {
                await s.AssignInventoryDeviceAsync(device.MacAddress, clientId, now);
                await s.DeviceConfigurationChangedAsync(device.MacAddress, now);
                await s.AppendAuditAsync(Event(AuditKinds.DeviceAssigned, clientId, origin, now, model: device.Model,
                    detail: $"{device.MacAddress} from no partner, linked to a new user"));
            }
        }

        return null;
    }

    private static AdminError InvalidMac(string what) =>
        new(StatusCodes.Status400BadRequest, AdminProblemCodes.InvalidMacAddress,
            $"{what} must be 12 hexadecimal digits, with ':', '-' or no separators, e.g. 00:24:e4:12:34:56.");

    private static AdminError DeviceNotFound(string mac) =>
        new(StatusCodes.Status404NotFound, AdminProblemCodes.DeviceNotFound, $"The inventory has no device {mac}.");

    private static DeviceSyncState? Summary(InventoryRow d) => d.Sync is not { } sync ? null
        : new DeviceSyncState(d.Credential is not null, sync.Version ?? 0, Maybe(sync.LastSeenAt), sync.ReportedVersion, Maybe(sync.ReportedAt), []);

    private InventoryDevice ToResponse(InventoryRow d)
    {
        var programme = d.ProgrammeAt(Now());
        return new(d.MacAddress, d.Model, ModelName(d.Model), d.Market, d.Firmware, d.ClientId, d.UserId, d.UserId is not null,
            At(d.CreatedAt), At(d.UpdatedAt), programme.State, programme.TerminatesAtMs is { } at ? At(at) : null);
    }
}
