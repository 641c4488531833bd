using System.Globalization;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using DeviceFeatures.Protocol.Admin;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace DeviceFeatures.Client.Admin;

/// <summary>
/// The operators' API of a DeviceFeatures server: partners, users and devices, grants of gated features, the
/// effective state of a user's devices, and the audit log. Authenticates with the admin key. The request and answer
/// types are the admin API's contracts, shared with the server (<see cref="DeviceFeatures.Protocol.Admin"/>).
/// </summary>
public sealed partial class DeviceFeaturesAdminClient
{
    private readonly HttpClient _http;
    private readonly Uri _base;
    private readonly AuthenticationHeaderValue _authorization;

    /// <summary>Creates an admin client.</summary>
    /// <param name="httpClient">The HTTP client to send with.</param>
    /// <param name="baseAddress">The server's base address, e.g. <c>http://127.0.0.1:5080/</c>.</param>
    /// <param name="adminKey">The admin API key.</param>
    public DeviceFeaturesAdminClient(HttpClient httpClient, Uri baseAddress, string adminKey)
    {
        ArgumentNullException.ThrowIfNull(httpClient);
        ArgumentNullException.ThrowIfNull(baseAddress);
        ArgumentException.ThrowIfNullOrEmpty(adminKey);
        _http = httpClient;
        _base = new Uri(baseAddress.AbsoluteUri.TrimEnd('/') + "/admin/api/");
        _authorization = new AuthenticationHeaderValue("Bearer", adminKey);
    }

    /// <summary>Creates an admin client from dependency injection (see <c>AddDeviceFeaturesAdminClient</c>).</summary>
    /// <param name="httpClient">The HTTP client configured for this client.</param>
    /// <param name="options">The server's address and the admin key.</param>
    [ActivatorUtilitiesConstructor]
    public DeviceFeaturesAdminClient(HttpClient httpClient, IOptions<DeviceFeaturesAdminClientOptions> options)
        : this(httpClient, Checked(options).BaseAddress!, options.Value.ApiKey)
    {
    }

    /// <summary>Creates a partner. Its secret is in the answer, and only there.</summary>
    /// <param name="name">The partner's name.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The client id and secret.</returns>
    public Task<CreatedPartner> CreatePartnerAsync(string name, CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Post, "partners", JsonContent.Create(new CreatePartnerRequest(name), AdminJsonContext.Default.CreatePartnerRequest),
            AdminJsonContext.Default.CreatedPartner, cancellationToken);

    /// <summary>Creates an account of the operator console.</summary>
    /// <param name="name">The sign-in name: lowercase letters, digits, '.', '_' or '-'.</param>
    /// <param name="role"><c>administrator</c>, <c>customer_success</c> or <c>support</c>.</param>
    /// <param name="password">The password (at least 12 characters); null to have the server generate one.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The operator, with the generated password when the server made one (shown only in this answer).</returns>
    public Task<CreatedOperator> CreateOperatorAsync(string name, string role, string? password = null, CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Post, "operators", JsonContent.Create(new CreateOperatorRequest(name, role, password), AdminJsonContext.Default.CreateOperatorRequest),
            AdminJsonContext.Default.CreatedOperator, cancellationToken);

    /// <summary>Lists the partners.</summary>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>Every partner, oldest first.</returns>
    public async Task<IReadOnlyList<Partner>> ListPartnersAsync(CancellationToken cancellationToken = default) =>
        (await SendAsync(HttpMethod.Get, "partners", null, AdminJsonContext.Default.PartnerList, cancellationToken).ConfigureAwait(false)).Partners;

    /// <summary>Gets one partner.</summary>
    /// <param name="clientId">The partner's client id.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The partner.</returns>
    public Task<Partner> GetPartnerAsync(string clientId, CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Get, $"partners/{Escape(clientId)}", null, AdminJsonContext.Default.Partner, cancellationToken);

    /// <summary>
    /// Gives a partner a new client secret. The previous one is still accepted for <paramref name="overlap"/> (the
    /// server's default, an hour unless configured, when null), so that the partner can roll the new one out.
    /// </summary>
    /// <param name="clientId">The partner's client id.</param>
    /// <param name="overlap">How long the previous secret stays valid; <see cref="TimeSpan.Zero"/> stops it at once.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The new secret, shown only here.</returns>
    public Task<PartnerSecret> RotateSecretAsync(string clientId, TimeSpan? overlap = null, CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Post, $"partners/{Escape(clientId)}/rotate-secret",
            JsonContent.Create(new RotateSecretRequest(overlap is { } o ? (int)o.TotalSeconds : null), AdminJsonContext.Default.RotateSecretRequest),
            AdminJsonContext.Default.PartnerSecret, cancellationToken);

    /// <summary>Sets a partner's quota of signed requests per minute (0: unlimited), or with null returns it to the default.</summary>
    /// <param name="clientId">The partner's client id.</param>
    /// <param name="requestsPerMinute">The quota, or null for the server's default.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The partner, with its quota.</returns>
    public Task<Partner> SetRateLimitAsync(string clientId, int? requestsPerMinute, CancellationToken cancellationToken = default) =>
        requestsPerMinute is { } perMinute
            ? SendAsync(HttpMethod.Put, $"partners/{Escape(clientId)}/rate-limit",
                JsonContent.Create(new RateLimitRequest(perMinute), AdminJsonContext.Default.RateLimitRequest), AdminJsonContext.Default.Partner, cancellationToken)
            : SendAsync(HttpMethod.Delete, $"partners/{Escape(clientId)}/rate-limit", null, AdminJsonContext.Default.Partner, cancellationToken);

    /// <summary>Suspends a partner: its requests are refused until it is resumed.</summary>
    /// <param name="clientId">The partner's client id.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The partner.</returns>
    public Task<Partner> SuspendPartnerAsync(string clientId, CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Post, $"partners/{Escape(clientId)}/suspend", null, AdminJsonContext.Default.Partner, cancellationToken);

    /// <summary>Resumes a suspended partner.</summary>
    /// <param name="clientId">The partner's client id.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The partner.</returns>
    public Task<Partner> ResumePartnerAsync(string clientId, CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Post, $"partners/{Escape(clientId)}/resume", null, AdminJsonContext.Default.Partner, cancellationToken);

    /// <summary>Creates a user of a partner and links devices to it.</summary>
    /// <param name="clientId">The partner's client id.</param>
    /// <param name="devices">The devices to link; a device links to one user only.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The new user id.</returns>
    public async Task<int> CreateUserAsync(string clientId, IEnumerable<DeviceLink> devices, CancellationToken cancellationToken = default)
    {
        var body = new CreateUserRequest(clientId, devices.ToArray());
        var created = await SendAsync(HttpMethod.Post, "users", JsonContent.Create(body, AdminJsonContext.Default.CreateUserRequest),
            AdminJsonContext.Default.CreatedUser, cancellationToken).ConfigureAwait(false);
        return created.Userid;
    }

    /// <summary>Gets a user and its devices.</summary>
    /// <param name="userId">The user id.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The user.</returns>
    public Task<User> GetUserAsync(int userId, CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Get, $"users/{userId.ToString(CultureInfo.InvariantCulture)}", null, AdminJsonContext.Default.User, cancellationToken);

    /// <summary>The features each of a user's devices runs with: defaults, recorded choices, market and grant rules.</summary>
    /// <param name="userId">The user id.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The effective state.</returns>
    public Task<UserFeatureState> GetUserFeaturesAsync(int userId, CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Get, $"users/{userId.ToString(CultureInfo.InvariantCulture)}/features", null,
            AdminJsonContext.Default.UserFeatureState, cancellationToken);

    /// <summary>Grants a gated feature to a partner.</summary>
    /// <param name="clientId">The partner's client id.</param>
    /// <param name="featureName">The gated feature, e.g. <c>feature_esc</c>.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The grant.</returns>
    public Task<Entitlement> GrantEntitlementAsync(string clientId, string featureName, CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Put, $"partners/{Escape(clientId)}/entitlements/{Escape(featureName)}", null,
            AdminJsonContext.Default.Entitlement, cancellationToken);

    /// <summary>Revokes a partner's grant of a gated feature (nothing happens if there was none).</summary>
    /// <param name="clientId">The partner's client id.</param>
    /// <param name="featureName">The gated feature.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>A task that completes when the grant is gone.</returns>
    public Task RevokeEntitlementAsync(string clientId, string featureName, CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Delete, $"partners/{Escape(clientId)}/entitlements/{Escape(featureName)}", null,
            static (_, _) => Task.FromResult(true), cancellationToken);

    /// <summary>Lists a partner's grants.</summary>
    /// <param name="clientId">The partner's client id.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The grants.</returns>
    public async Task<IReadOnlyList<Entitlement>> ListEntitlementsAsync(string clientId, CancellationToken cancellationToken = default) =>
        (await SendAsync(HttpMethod.Get, $"partners/{Escape(clientId)}/entitlements", null, AdminJsonContext.Default.EntitlementList, cancellationToken)
            .ConfigureAwait(false)).Entitlements;

    /// <summary>
    /// Records a partner's choice for a feature on every device of a model in its programme. A user's own choice wins
    /// over it. Turning a gated feature on needs the partner's grant.
    /// </summary>
    /// <param name="clientId">The partner's client id.</param>
    /// <param name="model">The model id, e.g. 17.</param>
    /// <param name="featureName">The feature, e.g. <c>feature_pwv</c>.</param>
    /// <param name="active">Whether the feature is on.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The recorded choice.</returns>
    public Task<ProgrammeChoice> SetProgrammeChoiceAsync(string clientId, int model, string featureName, bool active, CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Put, ProgrammeChoicePath(clientId, model, featureName),
            JsonContent.Create(new ProgrammeChoiceRequest(active), AdminJsonContext.Default.ProgrammeChoiceRequest),
            AdminJsonContext.Default.ProgrammeChoice, cancellationToken);

    /// <summary>Clears a partner's programme choice (nothing happens if there was none): the catalog default applies again.</summary>
    /// <param name="clientId">The partner's client id.</param>
    /// <param name="model">The model id.</param>
    /// <param name="featureName">The feature.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>A task that completes when the choice is gone.</returns>
    public Task ClearProgrammeChoiceAsync(string clientId, int model, string featureName, CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Delete, ProgrammeChoicePath(clientId, model, featureName), null, static (_, _) => Task.FromResult(true), cancellationToken);

    /// <summary>Lists a partner's programme choices, by model then feature name.</summary>
    /// <param name="clientId">The partner's client id.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The choices.</returns>
    public async Task<IReadOnlyList<ProgrammeChoice>> ListProgrammeChoicesAsync(string clientId, CancellationToken cancellationToken = default) =>
        (await SendAsync(HttpMethod.Get, $"partners/{Escape(clientId)}/programme-choices", null, AdminJsonContext.Default.ProgrammeChoiceList, cancellationToken)
            .ConfigureAwait(false)).Choices;

    private static string ProgrammeChoicePath(string clientId, int model, string featureName) =>
        string.Create(CultureInfo.InvariantCulture, $"partners/{Escape(clientId)}/programme-choices/{model}/{Escape(featureName)}");

    /// <summary>
    /// Imports devices into the inventory, at most 1000 per call. Each row is judged on its own: see
    /// <see cref="DeviceImportOutcomes"/>; a row identical to a device already imported is skipped, so a file can be sent again.
    /// </summary>
    /// <param name="devices">The rows.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>One result per row, in the order sent, and the counts.</returns>
    public Task<ImportDevicesResponse> ImportDevicesAsync(IEnumerable<DeviceImportRow> devices, CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Post, "devices/import",
            JsonContent.Create(new ImportDevicesRequest(devices.ToArray()), AdminJsonContext.Default.ImportDevicesRequest),
            AdminJsonContext.Default.ImportDevicesResponse, cancellationToken);

    /// <summary>Reads one page of the device inventory, in MAC address order.</summary>
    /// <param name="clientId">Only the devices assigned to this partner.</param>
    /// <param name="model">Only the devices of this model.</param>
    /// <param name="linked">Only the devices linked to a user (true) or not (false).</param>
    /// <param name="after">Start after this MAC address (the previous page's <see cref="InventoryPage.NextAfter"/>).</param>
    /// <param name="limit">At most this many devices (1 to 1000; the server's default is 100).</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The page.</returns>
    public Task<InventoryPage> ListDevicesAsync(
        string? clientId = null, int? model = null, bool? linked = null, string? after = null, int? limit = null, CancellationToken cancellationToken = default)
    {
        var parts = new List<string>();
        if (clientId is not null)
        {
            parts.Add("client_id=" + Escape(clientId));
        }

        if (model is { } m)
        {
            parts.Add("model=" + m.ToString(CultureInfo.InvariantCulture));
        }

        if (linked is { } l)
        {
            parts.Add(l ? "linked=true" : "linked=false");
        }

        if (after is not null)
        {
            parts.Add("after=" + Escape(after));
        }

        if (limit is { } n)
        {
            parts.Add("limit=" + n.ToString(CultureInfo.InvariantCulture));
        }

        var query = parts.Count == 0 ? string.Empty : "?" + string.Join('&', parts);
        return SendAsync(HttpMethod.Get, "devices" + query, null, AdminJsonContext.Default.InventoryPage, cancellationToken);
    }

    /// <summary>
    /// Sets the URL a partner's change events are POSTed to (<c>feature.changed</c>, <c>feature.applied</c>,
    /// <c>feature.failed</c>), signed with its client secret; verify them with <see cref="CallbackSignature"/>.
    /// </summary>
    /// <param name="clientId">The partner's client id.</param>
    /// <param name="url">An absolute http or https URL.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The partner, with its callback URL.</returns>
    public Task<Partner> SetCallbackAsync(string clientId, Uri url, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(url);
        return SendAsync(HttpMethod.Put, $"partners/{Escape(clientId)}/callback",
            JsonContent.Create(new CallbackRequest(url.OriginalString), AdminJsonContext.Default.CallbackRequest), AdminJsonContext.Default.Partner, cancellationToken);
    }

    /// <summary>Clears a partner's callback URL: no more events are written for it, and its pending ones are parked.</summary>
    /// <param name="clientId">The partner's client id.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The partner.</returns>
    public Task<Partner> ClearCallbackAsync(string clientId, CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Delete, $"partners/{Escape(clientId)}/callback", null, AdminJsonContext.Default.Partner, cancellationToken);

    /// <summary>Lists change events, oldest first, one page at a time.</summary>
    /// <param name="clientId">Only this partner's.</param>
    /// <param name="state">Only the events in this state (<see cref="ChangeEventStates"/>).</param>
    /// <param name="after">
    /// Start after this event (the previous page's <see cref="ChangeEventPage.NextAfter"/>); an id that is no event's
    /// is refused with <see cref="AdminProblemCodes.AfterNotFound"/> rather than read as an empty last page.
    /// </param>
    /// <param name="limit">At most this many events (1 to 1000; the server's default is 100).</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The page.</returns>
    public Task<ChangeEventPage> ListEventsAsync(
        string? clientId = null, string? state = null, string? after = null, int? limit = null, CancellationToken cancellationToken = default)
    {
        var parts = new List<string>();
        if (clientId is not null)
        {
            parts.Add("client_id=" + Escape(clientId));
        }

        if (state is not null)
        {
            parts.Add("state=" + Escape(state));
        }

        if (after is not null)
        {
            parts.Add("after=" + Escape(after));
        }

        if (limit is { } n)
        {
            parts.Add("limit=" + n.ToString(CultureInfo.InvariantCulture));
        }

        var query = parts.Count == 0 ? string.Empty : "?" + string.Join('&', parts);
        return SendAsync(HttpMethod.Get, "events" + query, null, AdminJsonContext.Default.ChangeEventPage, cancellationToken);
    }

    /// <summary>Replays a parked change event: pending again, due now, with its attempts reset.</summary>
    /// <param name="eventId">The event's id.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The event.</returns>
    public Task<ChangeEvent> ReplayEventAsync(string eventId, CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Post, $"events/{Escape(eventId)}/replay", null, AdminJsonContext.Default.ChangeEvent, cancellationToken);

    /// <summary>Gets a device of the inventory, with the user it is linked to.</summary>
    /// <param name="macAddress">The MAC address, with <c>:</c>, <c>-</c> or no separators.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The device.</returns>
    public Task<InventoryDevice> GetDeviceAsync(string macAddress, CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Get, $"devices/{Escape(macAddress)}", null, AdminJsonContext.Default.InventoryDevice, cancellationToken);

    /// <summary>Assigns a device of the inventory to a partner; refused when it is linked to another partner's user.</summary>
    /// <param name="macAddress">The MAC address.</param>
    /// <param name="clientId">The partner's client id.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The device as assigned.</returns>
    public Task<InventoryDevice> AssignDeviceAsync(string macAddress, string clientId, CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Post, $"devices/{Escape(macAddress)}/assign",
            JsonContent.Create(new AssignDeviceRequest(clientId), AdminJsonContext.Default.AssignDeviceRequest),
            AdminJsonContext.Default.InventoryDevice, cancellationToken);

    /// <summary>
    /// Issues the device a new secret for the device API (docs/device-api.md); its previous secret stops at once. The
    /// way to give a secret to a device that has none (imported before the device API, or added by a user's creation).
    /// </summary>
    /// <param name="macAddress">The MAC address.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The new secret: shown here only, stored encrypted by the server.</returns>
    public Task<DeviceCredential> RotateDeviceCredentialAsync(string macAddress, CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Post, $"devices/{Escape(macAddress)}/rotate-credential", null, AdminJsonContext.Default.DeviceCredential, cancellationToken);

    /// <summary>
    /// Reads the emulator's whole state (partners with their secrets in clear, users, devices, choices): a snapshot a
    /// test suite restores with <see cref="RestoreSnapshotAsync"/>. Refused (403 <c>emulator_disabled</c>) unless the
    /// server's emulator is on.
    /// </summary>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The snapshot.</returns>
    public Task<EmulatorSnapshot> GetSnapshotAsync(CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Get, "emulator/snapshot", null, AdminJsonContext.Default.EmulatorSnapshot, cancellationToken);

    /// <summary>Replaces the emulator's whole state with a snapshot, in one transaction; an invalid one changes nothing.</summary>
    /// <param name="snapshot">A snapshot from <see cref="GetSnapshotAsync"/>, or a fixture of the same shape.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>What was removed and what was restored.</returns>
    public Task<EmulatorRestoreResult> RestoreSnapshotAsync(EmulatorSnapshot snapshot, CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Put, "emulator/snapshot", JsonContent.Create(snapshot, AdminJsonContext.Default.EmulatorSnapshot),
            AdminJsonContext.Default.EmulatorRestoreResult, cancellationToken);

    /// <summary>
    /// Resets the emulator's state: one partner's users and devices (its account and configuration stay), or with no
    /// client id everything, partners included.
    /// </summary>
    /// <param name="clientId">The partner to reset; null for everything.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>What was removed.</returns>
    public Task<EmulatorResetResult> ResetEmulatorAsync(string? clientId = null, CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Post, "emulator/reset",
            JsonContent.Create(new EmulatorResetRequest(clientId), AdminJsonContext.Default.EmulatorResetRequest),
            AdminJsonContext.Default.EmulatorResetResult, cancellationToken);

    /// <summary>Reads the emulator's clock: the server's time and how far it was advanced.</summary>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The clock.</returns>
    public Task<EmulatorClockState> GetClockAsync(CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Get, "emulator/clock", null, AdminJsonContext.Default.EmulatorClockState, cancellationToken);

    /// <summary>Moves the emulator's clock forward, so that nonces, quota windows and programme terminations expire without waiting.</summary>
    /// <param name="amount">How far; never negative (the clock never goes back).</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The clock after the advance.</returns>
    public Task<EmulatorClockState> AdvanceClockAsync(TimeSpan amount, CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Post, "emulator/clock",
            JsonContent.Create(new AdvanceClockRequest(AdvanceSeconds: amount.TotalSeconds), AdminJsonContext.Default.AdvanceClockRequest),
            AdminJsonContext.Default.EmulatorClockState, cancellationToken);

    /// <summary>Reads one page of audit events.</summary>
    /// <param name="filter">Which events.</param>
    /// <param name="after">Read events after this id (the previous page's <see cref="AuditPage.NextAfter"/>).</param>
    /// <param name="limit">At most this many events (1 to 1000; the server's default is 100).</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The page.</returns>
    public Task<AuditPage> GetAuditAsync(AuditFilter? filter = null, long? after = null, int? limit = null, CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Get, "audit" + Query(filter, after, limit), null, AdminJsonContext.Default.AuditPage, cancellationToken);

    /// <summary>Reads every matching audit event, page after page.</summary>
    /// <param name="filter">Which events.</param>
    /// <param name="after">Start after this event id.</param>
    /// <param name="cancellationToken">Cancels the reading.</param>
    /// <returns>The events, oldest first.</returns>
    public async IAsyncEnumerable<AuditEvent> ReadAuditAsync(
        AuditFilter? filter = null, long? after = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        while (true)
        {
            var page = await GetAuditAsync(filter, after, 1000, cancellationToken).ConfigureAwait(false);
            foreach (var e in page.Events)
            {
                yield return e;
            }

            if (page.NextAfter is null)
            {
                yield break;
            }

            after = page.NextAfter;
        }
    }

    /// <summary>
    /// Adds a fault rule of the emulator: matching wire requests get its answer (a Withings status, an HTTP status, a
    /// dropped connection, a slow body) instead of the real one. Refused with <see cref="AdminProblemCodes.EmulatorDisabled"/>
    /// unless the server's <c>Emulator:Enabled</c> is on (the default in Development).
    /// </summary>
    /// <param name="rule">Which requests, and what they get.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The rule as the server holds it, with its id.</returns>
    public Task<FaultRule> AddFaultAsync(FaultRuleRequest rule, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(rule);
        return SendAsync(HttpMethod.Post, "emulator/faults", JsonContent.Create(rule, AdminJsonContext.Default.FaultRuleRequest),
            AdminJsonContext.Default.FaultRule, cancellationToken);
    }

    /// <summary>Lists the emulator's fault rules, in the order they are tried, with how often each matched and injected.</summary>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The rules.</returns>
    public async Task<IReadOnlyList<FaultRule>> ListFaultsAsync(CancellationToken cancellationToken = default) =>
        (await SendAsync(HttpMethod.Get, "emulator/faults", null, AdminJsonContext.Default.FaultRuleList, cancellationToken).ConfigureAwait(false)).Faults;

    /// <summary>Deletes one fault rule; an unknown id is refused with <see cref="AdminProblemCodes.FaultNotFound"/>.</summary>
    /// <param name="id">The rule's id, e.g. <c>f1</c>.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>A task that completes when the rule is gone.</returns>
    public Task DeleteFaultAsync(string id, CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Delete, $"emulator/faults/{Escape(id)}", null, static (_, _) => Task.FromResult(true), cancellationToken);

    /// <summary>Deletes every fault rule: wire requests get their real answers again.</summary>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>A task that completes when the rules are gone.</returns>
    public Task ClearFaultsAsync(CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Delete, "emulator/faults", null, static (_, _) => Task.FromResult(true), cancellationToken);

    /// <summary>
    /// Reads the request journal: the last wire requests of each partner, with secrets redacted, and for a refused
    /// signature the string that should have been signed. Works whatever <c>Emulator:Enabled</c> says; empty when the
    /// server's <c>Emulator:JournalSize</c> is 0.
    /// </summary>
    /// <param name="filter">Which entries.</param>
    /// <param name="after">Only entries recorded after this sequence (the previous read's <see cref="JournalPage.NextAfter"/>); the latest ones when null.</param>
    /// <param name="limit">At most this many entries (1 to 1000; the server's default is 100).</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The entries, oldest first.</returns>
    public Task<JournalPage> GetJournalAsync(JournalFilter? filter = null, long? after = null, int? limit = null, CancellationToken cancellationToken = default)
    {
        var parts = new List<string>();
        if (filter?.ClientId is { } clientId)
        {
            parts.Add("client_id=" + Escape(clientId));
        }

        if (filter?.Action is { } action)
        {
            parts.Add("action=" + Escape(action));
        }

        if (filter?.Status is { } status)
        {
            parts.Add("status=" + status.ToString(CultureInfo.InvariantCulture));
        }

        if (filter?.Since is { } since)
        {
            parts.Add("since=" + Escape(since.ToUniversalTime().ToString("O", CultureInfo.InvariantCulture)));
        }

        if (after is { } a)
        {
            parts.Add("after=" + a.ToString(CultureInfo.InvariantCulture));
        }

        if (limit is { } l)
        {
            parts.Add("limit=" + l.ToString(CultureInfo.InvariantCulture));
        }

        var query = parts.Count == 0 ? string.Empty : "?" + string.Join('&', parts);
        return SendAsync(HttpMethod.Get, "emulator/journal" + query, null, AdminJsonContext.Default.JournalPage, cancellationToken);
    }

    /// <summary>Clears the request journal, or only one partner's entries.</summary>
    /// <param name="clientId">Only this partner's entries; all when null.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>A task that completes when the entries are gone.</returns>
    public Task ClearJournalAsync(string? clientId = null, CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Delete, "emulator/journal" + (clientId is null ? string.Empty : "?client_id=" + Escape(clientId)), null,
            static (_, _) => Task.FromResult(true), cancellationToken);

    private static string Query(AuditFilter? filter, long? after, int? limit)
    {
        var parts = new List<string>();
        if (filter?.ClientId is { } clientId)
        {
            parts.Add("client_id=" + Escape(clientId));
        }

        if (filter?.Userid is { } userId)
        {
            parts.Add("userid=" + userId.ToString(CultureInfo.InvariantCulture));
        }

        if (filter?.Since is { } since)
        {
            parts.Add("since=" + Escape(since.ToUniversalTime().ToString("O", CultureInfo.InvariantCulture)));
        }

        if (after is { } a)
        {
            parts.Add("after=" + a.ToString(CultureInfo.InvariantCulture));
        }

        if (limit is { } l)
        {
            parts.Add("limit=" + l.ToString(CultureInfo.InvariantCulture));
        }

        return parts.Count == 0 ? string.Empty : "?" + string.Join('&', parts);
    }

    private Task<T> SendAsync<T>(HttpMethod method, string path, HttpContent? content, JsonTypeInfo<T> type, CancellationToken cancellationToken) =>
        SendAsync(method, path, content, (response, ct) => ReadAsync(response, type, ct), cancellationToken);

    // Every failure to get an answer is a transport exception, as the partner client's are.
    private async Task<T> SendAsync<T>(
        HttpMethod method, string path, HttpContent? content, Func<HttpResponseMessage, CancellationToken, Task<T>> read, CancellationToken cancellationToken)
    {
        using var request = Request(method, path, content);
        try
        {
            using var response = await _http.SendAsync(request, cancellationToken).ConfigureAwait(false);
            await EnsureSuccessAsync(response, cancellationToken).ConfigureAwait(false);
            return await read(response, cancellationToken).ConfigureAwait(false);
        }
        catch (HttpRequestException ex)
        {
            throw new DeviceFeaturesTransportException($"The admin API at {_base} could not be reached: {ex.Message}", (int?)ex.StatusCode, isTransient: true, ex);
        }
        catch (OperationCanceledException ex) when (!cancellationToken.IsCancellationRequested)
        {
            throw new DeviceFeaturesTransportException($"The admin API at {_base} did not answer in time.", null, isTransient: true, ex);
        }
    }

    private static async Task<T> ReadAsync<T>(HttpResponseMessage response, JsonTypeInfo<T> type, CancellationToken cancellationToken)
    {
        try
        {
            return await response.Content.ReadFromJsonAsync(type, cancellationToken).ConfigureAwait(false)
                ?? throw new DeviceFeaturesAdminException((int)response.StatusCode, "empty_answer", "The admin API answered with no body.");
        }
        catch (JsonException ex)
        {
            throw new DeviceFeaturesAdminException((int)response.StatusCode, "unreadable_answer", $"The admin API answered with unreadable JSON: {ex.Message}");
        }
    }

    private HttpRequestMessage Request(HttpMethod method, string path, HttpContent? content)
    {
        var request = new HttpRequestMessage(method, new Uri(_base, path)) { Content = content };
        request.Headers.Authorization = _authorization;
        return request;
    }

    private static async Task EnsureSuccessAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        if (response.IsSuccessStatusCode)
        {
            return;
        }

        AdminProblem? problem = null;
        try
        {
            problem = await response.Content.ReadFromJsonAsync(AdminJsonContext.Default.AdminProblem, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is JsonException or NotSupportedException or InvalidOperationException)
        {
            // Not problem+json: the status alone must do.
        }

        var status = (int)response.StatusCode;
        throw new DeviceFeaturesAdminException(status, problem?.Code ?? "http_" + status.ToString(CultureInfo.InvariantCulture),
            problem?.Detail ?? problem?.Title ?? response.ReasonPhrase ?? "The admin API refused the request.");
    }

    private static string Escape(string value) => Uri.EscapeDataString(value);

    private static DeviceFeaturesAdminClientOptions Checked(IOptions<DeviceFeaturesAdminClientOptions> options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Value.Validate();
        return options.Value;
    }
}
