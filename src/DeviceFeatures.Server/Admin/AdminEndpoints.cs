using System.Globalization;
using System.Security.Claims;
using System.Text.Json;
using System.Text.Json.Serialization;
using DeviceFeatures.Protocol.Admin;
using DeviceFeatures.Server.Audit;
using DeviceFeatures.Server.Emulator;
using DeviceFeatures.Server.Hosting;
using DeviceFeatures.Server.OpenApi;
using DeviceFeatures.Server.Storage;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.OpenApi;

namespace DeviceFeatures.Server.Admin;

/// <summary>The operators' API under <c>/admin/api</c>: JSON, bearer key, RFC 9457 problem details on every refusal.</summary>
internal static class AdminEndpoints
{
    public const int MaxAuditPage = 1000;

    public static IServiceCollection AddAdmin(this IServiceCollection services)
    {
        services.AddOptions<AdminOptions>().BindConfiguration(AdminOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<AdminKeyThrottle>();
        services.AddSingleton<StartupValue<AdminKeyHash>>();
        services.AddSingleton<AdminKeys>();
        services.AddSingleton(sp => ActivatorUtilities.CreateInstance<AdminKeyStep>(sp, Console.Out));
        services.AddSingleton<IStartupStep>(sp => sp.GetRequiredService<AdminKeyStep>());
        services.AddSingleton<IStartedStep>(sp => sp.GetRequiredService<AdminKeyStep>());
        services.AddSingleton<AdminService>();
        services.AddAuthentication()
            .AddScheme<AuthenticationSchemeOptions, AdminKeyAuthenticationHandler>(AdminKeyAuthenticationHandler.SchemeName, null);
        services.AddAuthorizationBuilder().AddPolicy(AdminKeyAuthenticationHandler.PolicyName, policy => policy
            .AddAuthenticationSchemes(AdminKeyAuthenticationHandler.SchemeName)
            .RequireAuthenticatedUser());
        services.ConfigureHttpJsonOptions(o =>
        {
            o.SerializerOptions.PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower;
            o.SerializerOptions.TypeInfoResolverChain.Insert(0, AdminJsonContext.Default);
            o.SerializerOptions.TypeInfoResolverChain.Insert(1, AdminProblemDetailsJsonContext.Default);
        });
        return services;
    }

    public static IEndpointRouteBuilder MapAdminEndpoints(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup(AdminKeyGate.Prefix).RequireAuthorization(AdminKeyAuthenticationHandler.PolicyName).WithTags("admin")
            .RejectControlCharacters();

        // Answers carry secrets (a new partner's or operator's, a rotated secret, a reset password) and personal data:
        // no cache, shared or private, may keep any of them.
        api.AddEndpointFilter(static (context, next) =>
        {
            context.HttpContext.Response.Headers.CacheControl = "no-store";
            return next(context);
        });

        var partners = api.MapGroup("/partners");
        partners.MapPost("/", CreatePartnerAsync).Produces<CreatedPartner>(StatusCodes.Status201Created);
        partners.MapGet("/", ListPartnersAsync);
        partners.MapGet("/{clientId}", GetPartnerAsync).Produces<Partner>();
        partners.MapPost("/{clientId}/rotate-secret", RotateSecretAsync).Produces<PartnerSecret>();
        partners.MapPost("/{clientId}/suspend", (string clientId, AdminService admin, HttpContext context, CancellationToken ct) =>
            SetSuspendedAsync(clientId, true, admin, context, ct)).Produces<Partner>();
        partners.MapPost("/{clientId}/resume", (string clientId, AdminService admin, HttpContext context, CancellationToken ct) =>
            SetSuspendedAsync(clientId, false, admin, context, ct)).Produces<Partner>();
        partners.MapPut("/{clientId}/rate-limit", SetRateLimitAsync).Produces<Partner>();
        partners.MapDelete("/{clientId}/rate-limit", ResetRateLimitAsync).Produces<Partner>();
        partners.MapGet("/{clientId}/entitlements", ListEntitlementsAsync).Produces<EntitlementList>();
        partners.MapPut("/{clientId}/entitlements/{featureName}", GrantAsync).Produces<Entitlement>();
        partners.MapDelete("/{clientId}/entitlements/{featureName}", RevokeAsync).Produces(StatusCodes.Status204NoContent);
        partners.MapGet("/{clientId}/programme-choices", ListProgrammeChoicesAsync).Produces<ProgrammeChoiceList>();
        partners.MapPut("/{clientId}/programme-choices/{model}/{featureName}", SetProgrammeChoiceAsync).Produces<ProgrammeChoice>();
        partners.MapDelete("/{clientId}/programme-choices/{model}/{featureName}", ClearProgrammeChoiceAsync).Produces(StatusCodes.Status204NoContent);

        var users = api.MapGroup("/users");
        users.MapPost("/", CreateUserAsync).Produces<CreatedUser>(StatusCodes.Status201Created);
        users.MapGet("/{userid:int}", GetUserAsync).Produces<User>();
        users.MapGet("/{userid:int}/features", GetUserFeaturesAsync).Produces<UserFeatureState>();

        var devices = api.MapGroup("/devices");
        devices.MapPost("/import", ImportDevicesAsync).Produces<ImportDevicesResponse>();
        devices.MapGet("/", ListDevicesAsync).Produces<InventoryPage>().WithQuery(
            ("client_id", JsonSchemaType.String, "Only the devices assigned to this partner."),
            ("model", JsonSchemaType.Integer, "Only this model id."),
            ("linked", JsonSchemaType.Boolean, "Only devices linked to a user (true) or not (false)."),
            ("after", JsonSchemaType.String, "The next_after of the previous page."),
            ("limit", JsonSchemaType.Integer, $"At most this many devices, 1 to {AdminService.MaxInventoryPage} (100 by default)."));
        devices.MapGet("/{mac}", GetDeviceAsync).Produces<InventoryDevice>();
        devices.MapPost("/{mac}/assign", AssignDeviceAsync).Produces<InventoryDevice>();
        devices.MapPost("/{mac}/rotate-credential", RotateDeviceCredentialAsync).Produces<DeviceCredential>();

        CallbackAdminEndpoints.Map(api, partners);

        api.MapPost("/operators", CreateOperatorAsync).Produces<CreatedOperator>(StatusCodes.Status201Created);
        OperatorAdminEndpoints.Map(api.MapGroup("/operators"));

        api.MapGet("/audit", QueryAuditAsync).Produces<AuditPage>().WithQuery(AuditQueryParameters);
        api.MapGet("/audit/export", ExportAuditAsync).Produces<AuditEvent>(contentType: "application/x-ndjson").WithQuery(AuditQueryParameters[..^1]);
        api.MapEmulatorEndpoints();
        return app;
    }

    private static readonly (string, JsonSchemaType, string)[] AuditQueryParameters =
    [
        ("client_id", JsonSchemaType.String, "Only this partner's events."),
        ("userid", JsonSchemaType.Integer, "Only this user's events."),
        ("since", JsonSchemaType.String, "Only events at or after this ISO 8601 time, e.g. 2026-11-24T09:00:00Z."),
        ("after", JsonSchemaType.Integer, "The next_after of the previous page."),
        ("limit", JsonSchemaType.Integer, $"At most this many events, 1 to {MaxAuditPage} (100 by default)."),
    ];

    internal static async Task<IResult> CreatePartnerAsync(CreatePartnerRequest? request, AdminService admin, HttpContext context, CancellationToken ct)
    {
        var (created, error) = await admin.CreatePartnerAsync(request?.Name, AuditOrigin.Admin(context.TraceIdentifier), ct);
        return error is not null ? Problem(error) : TypedResults.Created($"/admin/api/partners/{created!.ClientId}", created);
    }

    /// <summary>An account of the operator console; a generated password is in this answer only, and in no log.</summary>
    internal static async Task<IResult> CreateOperatorAsync(
        CreateOperatorRequest? request, OperatorConsole.OperatorAccounts accounts, HttpContext context, CancellationToken ct)
    {
        var (created, error) = await accounts.CreateAsync(request?.Name, request?.Role, request?.Password, AuditOrigin.Admin(context.TraceIdentifier), ct);
        return error is not null ? Problem(error) : TypedResults.Created($"/admin/api/operators/{created!.Name}", created);
    }

    internal static async Task<Ok<PartnerList>> ListPartnersAsync(AdminService admin, CancellationToken ct) =>
        TypedResults.Ok(new PartnerList(await admin.ListPartnersAsync(ct)));

    internal static async Task<IResult> GetPartnerAsync(string clientId, AdminService admin, CancellationToken ct) =>
        Answer(await admin.GetPartnerAsync(clientId, ct));

    internal static async Task<IResult> RotateSecretAsync(
        string clientId, [FromBody] RotateSecretRequest? request, AdminService admin, HttpContext context, CancellationToken ct) =>
        Answer(await admin.RotateSecretAsync(clientId, request?.OverlapSeconds, AuditOrigin.Admin(context.TraceIdentifier), ct));

    internal static async Task<IResult> SetRateLimitAsync(
        string clientId, RateLimitRequest? request, AdminService admin, HttpContext context, CancellationToken ct)
    {
        if (request?.RequestsPerMinute is not { } perMinute)
        {
            return Problem(AdminError.Invalid("The body must be {\"requests_per_minute\": N}, N from 0 (unlimited); DELETE returns to the default."));
        }

        return Answer(await admin.SetRateLimitAsync(clientId, perMinute, AuditOrigin.Admin(context.TraceIdentifier), ct));
    }

    internal static async Task<IResult> ResetRateLimitAsync(string clientId, AdminService admin, HttpContext context, CancellationToken ct) =>
        Answer(await admin.SetRateLimitAsync(clientId, null, AuditOrigin.Admin(context.TraceIdentifier), ct));

    internal static async Task<IResult> SetSuspendedAsync(string clientId, bool suspended, AdminService admin, HttpContext context, CancellationToken ct) =>
        Answer(await admin.SetSuspendedAsync(clientId, suspended, AuditOrigin.Admin(context.TraceIdentifier), ct));

    internal static async Task<IResult> ListEntitlementsAsync(string clientId, AdminService admin, CancellationToken ct) =>
        Answer(await admin.ListEntitlementsAsync(clientId, ct));

    internal static async Task<IResult> GrantAsync(string clientId, string featureName, AdminService admin, HttpContext context, CancellationToken ct) =>
        Answer(await admin.GrantAsync(clientId, featureName, AuditOrigin.Admin(context.TraceIdentifier), ct));

    internal static async Task<IResult> RevokeAsync(string clientId, string featureName, AdminService admin, HttpContext context, CancellationToken ct) =>
        await admin.RevokeAsync(clientId, featureName, AuditOrigin.Admin(context.TraceIdentifier), ct) is { } error ? Problem(error) : TypedResults.NoContent();

    internal static async Task<IResult> ListProgrammeChoicesAsync(string clientId, AdminService admin, CancellationToken ct) =>
        Answer(await admin.ListProgrammeChoicesAsync(clientId, ct));

    internal static async Task<IResult> SetProgrammeChoiceAsync(
        string clientId, string model, string featureName, [FromBody] ProgrammeChoiceRequest? request, AdminService admin, HttpContext context,
        CancellationToken ct) =>
        Answer(await admin.SetProgrammeChoiceAsync(clientId, model, featureName, request?.Active, AuditOrigin.Admin(context.TraceIdentifier), ct));

    internal static async Task<IResult> ClearProgrammeChoiceAsync(
        string clientId, string model, string featureName, AdminService admin, HttpContext context, CancellationToken ct) =>
        await admin.ClearProgrammeChoiceAsync(clientId, model, featureName, AuditOrigin.Admin(context.TraceIdentifier), ct) is { } error ? Problem(error) : TypedResults.NoContent();

    internal static async Task<IResult> CreateUserAsync(CreateUserRequest? request, AdminService admin, HttpContext context, CancellationToken ct)
    {
        if (request is null)
        {
            return Problem(AdminError.Invalid("The body must be a JSON object with 'client_id' and 'devices'."));
        }

        var (created, error) = await admin.CreateUserAsync(request, AuditOrigin.Admin(context.TraceIdentifier), ct);
        return error is not null ? Problem(error) : TypedResults.Created($"/admin/api/users/{created!.Userid}", created);
    }

    internal static async Task<IResult> GetUserAsync(int userid, AdminService admin, CancellationToken ct) =>
        Answer(await admin.GetUserAsync(userid, ct));

    internal static async Task<IResult> GetUserFeaturesAsync(int userid, AdminService admin, CancellationToken ct) =>
        Answer(await admin.GetEffectiveFeaturesAsync(userid, ct));

    internal static async Task<IResult> ImportDevicesAsync(ImportDevicesRequest? request, AdminService admin, HttpContext context, CancellationToken ct) =>
        Answer(await admin.ImportDevicesAsync(request, AuditOrigin.Admin(context.TraceIdentifier), ct));

    internal static async Task<IResult> ListDevicesAsync(HttpRequest request, AdminService admin, CancellationToken ct)
    {
        var q = request.Query;
        string? clientId = q["client_id"].FirstOrDefault() is { Length: > 0 } c ? c : null;

        int? model = null;
        if (q["model"].FirstOrDefault() is { Length: > 0 } m)
        {
            if (!int.TryParse(m, NumberStyles.None, CultureInfo.InvariantCulture, out var parsed))
            {
                return Problem(AdminError.Invalid("'model' must be a model id, a whole number."));
            }

            model = parsed;
        }

        bool? linked = null;
        if (q["linked"].FirstOrDefault() is { Length: > 0 } l)
        {
            if (!bool.TryParse(l, out var parsed))
            {
                return Problem(AdminError.Invalid("'linked' must be true or false."));
            }

            linked = parsed;
        }

        var limit = 100;
        if (q["limit"].FirstOrDefault() is { Length: > 0 } n && !int.TryParse(n, NumberStyles.None, CultureInfo.InvariantCulture, out limit))
        {
            return Problem(AdminError.Invalid($"'limit' must be a whole number from 1 to {AdminService.MaxInventoryPage}."));
        }

        bool? assigned = null;
        if (q["assigned"].FirstOrDefault() is { Length: > 0 } a)
        {
            if (!bool.TryParse(a, out var parsed))
            {
                return Problem(AdminError.Invalid("'assigned' must be true or false."));
            }

            assigned = parsed;
        }

        return Answer(await admin.ListDevicesAsync(clientId, model, linked, q["after"].FirstOrDefault(), limit, assigned, q["mac_prefix"].FirstOrDefault(), ct));
    }

    internal static async Task<IResult> GetDeviceAsync(string mac, AdminService admin, CancellationToken ct) =>
        Answer(await admin.GetDeviceAsync(mac, ct));

    internal static async Task<IResult> AssignDeviceAsync(
        string mac, [FromBody] AssignDeviceRequest? request, AdminService admin, HttpContext context, CancellationToken ct) =>
        Answer(await admin.AssignDeviceAsync(mac, request?.ClientId, AuditOrigin.Admin(context.TraceIdentifier), ct));

    internal static async Task<IResult> RotateDeviceCredentialAsync(string mac, AdminService admin, HttpContext context, CancellationToken ct) =>
        Answer(await admin.RotateDeviceCredentialAsync(mac, AuditOrigin.Admin(context.TraceIdentifier), ct));

    internal static async Task<IResult> QueryAuditAsync(HttpRequest request, IFeatureStore store, CancellationToken ct)
    {
        var (query, error) = ReadAuditQuery(request);
        if (error is not null)
        {
            return Problem(error);
        }

        var rows = await store.ReadAsync(s => s.QueryAuditAsync(query!), ct);
        long? next = rows.Count == query!.Limit ? rows[^1].Id : null;
        return TypedResults.Ok(new AuditPage(rows.Select(AdminService.ToResponse).ToArray(), next));
    }

    /// <summary>Every matching event as JSON lines, read and written page by page.</summary>
    internal static async Task ExportAuditAsync(HttpContext context, IFeatureStore store, CancellationToken ct)
    {
        var (query, error) = ReadAuditQuery(context.Request, defaultLimit: MaxAuditPage);
        if (error is not null)
        {
            await Problem(error).ExecuteAsync(context);
            return;
        }

        context.Response.ContentType = "application/x-ndjson";
        var page = query! with { Limit = MaxAuditPage };
        while (true)
        {
            var rows = await store.ReadAsync(s => s.QueryAuditAsync(page), ct);
            foreach (var row in rows)
            {
                await JsonSerializer.SerializeAsync(context.Response.Body, AdminService.ToResponse(row), AdminJsonContext.Default.AuditEvent, ct);
                await context.Response.Body.WriteAsync("\n"u8.ToArray(), ct);
            }

            if (rows.Count < page.Limit)
            {
                return;
            }

            page = page with { AfterId = rows[^1].Id };
        }
    }

    private static (AuditQuery? Query, AdminError? Error) ReadAuditQuery(HttpRequest request, int defaultLimit = 100)
    {
        var q = request.Query;
        string? clientId = q["client_id"].FirstOrDefault() is { Length: > 0 } c ? c : null;

        int? userId = null;
        if (q["userid"].FirstOrDefault() is { Length: > 0 } u)
        {
            if (!int.TryParse(u, NumberStyles.None, CultureInfo.InvariantCulture, out var parsed))
            {
                return (null, AdminError.Invalid("'userid' must be a whole number."));
            }

            userId = parsed;
        }

        long? since = null;
        if (q["since"].FirstOrDefault() is { Length: > 0 } s)
        {
            if (!DateTimeOffset.TryParse(s, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at))
            {
                return (null, AdminError.Invalid("'since' must be an ISO 8601 time, e.g. 2026-11-24T09:00:00Z."));
            }

            since = at.ToUnixTimeMilliseconds();
        }

        long after = 0;
        if (q["after"].FirstOrDefault() is { Length: > 0 } a && !long.TryParse(a, NumberStyles.None, CultureInfo.InvariantCulture, out after))
        {
            return (null, AdminError.Invalid("'after' must be the id of an event (the next_after of the previous page)."));
        }

        var limit = defaultLimit;
        if (q["limit"].FirstOrDefault() is { Length: > 0 } l
            && (!int.TryParse(l, NumberStyles.None, CultureInfo.InvariantCulture, out limit) || limit < 1 || limit > MaxAuditPage))
        {
            return (null, AdminError.Invalid($"'limit' must be a whole number from 1 to {MaxAuditPage}."));
        }

        return (new AuditQuery(clientId, userId, since, after, limit), null);
    }

    private static IResult Answer<T>((T? Value, AdminError? Error) outcome) =>
        outcome.Error is not null ? Problem(outcome.Error) : TypedResults.Ok(outcome.Value);

    internal static IResult Problem(AdminError error) =>
        TypedResults.Problem(
            detail: error.Detail,
            statusCode: error.Status,
            title: ReasonPhrase(error.Status),
            extensions: new Dictionary<string, object?> { ["code"] = error.Code });

    private static string ReasonPhrase(int status) => Microsoft.AspNetCore.WebUtilities.ReasonPhrases.GetReasonPhrase(status);
}

/// <summary>
/// Authenticates <c>Authorization: Bearer &lt;admin key&gt;</c>. It runs before the endpoint reads the body, so an
/// unauthenticated request learns nothing about what its body would have done. The framework's handler logs a
/// line at Information for every request without the key, which anyone could send by the thousand: it gets no
/// logger, and the gate (<see cref="AdminKeyGate"/>) logs wrong keys rate-limited and counts them all.
/// </summary>
internal sealed class AdminKeyAuthenticationHandler(
    Microsoft.Extensions.Options.IOptionsMonitor<AuthenticationSchemeOptions> options,
    System.Text.Encodings.Web.UrlEncoder encoder,
    AdminKeys keys) : AuthenticationHandler<AuthenticationSchemeOptions>(options, Microsoft.Extensions.Logging.Abstractions.NullLoggerFactory.Instance, encoder)
{
    public const string SchemeName = "AdminKey";
    public const string PolicyName = "Admin";

    protected override Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var key = PresentedKey();
        if (key.IsEmpty)
        {
            return Task.FromResult(AuthenticateResult.NoResult());
        }

        if (!keys.IsValid(key))
        {
            return Task.FromResult(AuthenticateResult.Fail("The admin key is not valid."));
        }

        var identity = new ClaimsIdentity([new Claim(ClaimTypes.Name, AdminService.Actor)], SchemeName);
        return Task.FromResult(AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), SchemeName)));
    }

    // Someone who sent no key and someone who sent the wrong one have different things to fix.
    protected override Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        var missing = PresentedKey().IsEmpty;
        Response.StatusCode = StatusCodes.Status401Unauthorized;
        Response.Headers.WWWAuthenticate = missing ? "Bearer" : "Bearer error=\"invalid_token\"";
        var error = missing
            ? new AdminError(StatusCodes.Status401Unauthorized, AdminProblemCodes.AdminKeyMissing,
                "The request has no admin key: send it as 'Authorization: Bearer <key>'.")
            : new AdminError(StatusCodes.Status401Unauthorized, AdminProblemCodes.AdminKeyInvalid,
                "The admin key is wrong: send the key set in the server's Admin:ApiKey, or the one it printed on its first start.");
        return AdminEndpoints.Problem(error).ExecuteAsync(Context);
    }

    /// <summary>The key after <c>Bearer </c>; empty when there is none (no header, another scheme, or nothing after it).</summary>
    private ReadOnlySpan<char> PresentedKey()
    {
        var header = Request.Headers.Authorization.ToString();
        const string Bearer = "Bearer ";
        return header.StartsWith(Bearer, StringComparison.OrdinalIgnoreCase) ? header.AsSpan(Bearer.Length).Trim() : [];
    }
}

// The framework's problem types, beside the shared contracts (DeviceFeatures.Protocol.Admin) that cannot know them.
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(ProblemDetails))]
[JsonSerializable(typeof(HttpValidationProblemDetails))]
internal sealed partial class AdminProblemDetailsJsonContext : JsonSerializerContext;
