using System.Globalization;
using System.Text.Json;
using DeviceFeatures.Protocol.DeviceApi;
using DeviceFeatures.Server.Admin;
using DeviceFeatures.Server.Catalog;
using DeviceFeatures.Server.ChangeEvents;
using DeviceFeatures.Server.Device;
using DeviceFeatures.Server.OpenApi;
using DeviceFeatures.Server.Storage;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;
using Microsoft.OpenApi;

namespace DeviceFeatures.Server.DeviceApi;

/// <summary>
/// The device-facing API under <c>/device/v1</c> (docs/device-api.md): a device, signed with its own secret, pulls its
/// whole effective configuration (conditionally, or waiting for a change) and reports what it applied. Refusals are
/// problem+json with a <c>code</c>, like the admin API's.
/// </summary>
internal static class DeviceApiEndpoints
{
    public const int MaxReasonLength = 200;

    public static IServiceCollection AddDeviceApi(this IServiceCollection services)
    {
        services.AddOptions<DeviceApiOptions>().BindConfiguration(DeviceApiOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<DeviceAuthenticator>();
        services.AddSingleton<DeviceConfigurationService>();
        services.AddHostedService<DeviceChangeListener>();
        services.ConfigureHttpJsonOptions(o => o.SerializerOptions.TypeInfoResolverChain.Add(DeviceApiJsonContext.Default));
        return services;
    }

    public static IEndpointRouteBuilder MapDeviceApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/device/v1").WithTags("device");

        // Every endpoint is signed: the filter answers a refusal before the handler runs, and hands it the device.
        api.AddEndpointFilter(async (context, next) =>
        {
            var http = context.HttpContext;
            var (device, error) = await http.RequestServices.GetRequiredService<DeviceAuthenticator>().AuthenticateAsync(http, http.RequestAborted);
            if (error is not null)
            {
                return AdminEndpoints.Problem(error);
            }

            http.Features.Set(device);
            return await next(context);
        });
        api.MapGet("/configuration", GetConfigurationAsync).Produces<DeviceConfiguration>().Produces(StatusCodes.Status304NotModified)
            .WithQuery(("wait", JsonSchemaType.Integer, "With If-None-Match: wait up to this many seconds for a new version (long poll)."));
        api.MapPost("/report", ReportAsync).Accepts<DeviceReport>("application/json").Produces<DeviceReportReceipt>();
        return app;
    }

    /// <summary>
    /// The configuration; 304 when <c>If-None-Match</c> names the current version. With <c>wait</c> (and
    /// <c>If-None-Match</c>) it waits up to that many seconds for the version to change, holding no connection to the
    /// database and no thread meanwhile, and answers 304 if it did not.
    /// </summary>
    internal static async Task<IResult> GetConfigurationAsync(
        HttpContext context, DeviceConfigurationService configurations, DeviceSignals signals, IOptions<DeviceApiOptions> options, TimeProvider time)
    {
        var device = context.Features.Get<AuthenticatedDevice>()!.Device;
        var ct = context.RequestAborted;
        var maxWait = options.Value.MaxWaitSeconds;
        var wait = 0;
        if (context.Request.Query["wait"].FirstOrDefault() is { Length: > 0 } w
            && (!int.TryParse(w, NumberStyles.None, CultureInfo.InvariantCulture, out wait) || wait > maxWait))
        {
            return Invalid($"'wait' must be a whole number of seconds from 0 to {maxWait}.");
        }

        var known = KnownVersions(context.Request);
        // Registered before the first read: a change committed between the read and the wait still wakes it.
        using var waiter = wait > 0 && known.Count > 0 ? signals.TryEnter(device.MacAddress, options.Value.MaxWaitersPerDevice) : null;
        if (wait > 0 && known.Count > 0 && waiter is null)
        {
            return AdminEndpoints.Problem(new AdminError(StatusCodes.Status429TooManyRequests, DeviceProblemCodes.TooManyWaiters,
                $"The device already has {options.Value.MaxWaitersPerDevice} long polls waiting: one is enough."));
        }

        var deadline = time.GetUtcNow().AddSeconds(wait);
        while (true)
        {
            var changed = waiter?.Next();
            var configuration = await configurations.ReadAsync(device.MacAddress, ct);
            if (!known.Contains(configuration.Version))
            {
                context.Response.Headers.ETag = Tag(configuration.Version);
                return TypedResults.Json(configuration, DeviceApiJsonContext.Default.DeviceConfiguration);
            }

            var remaining = deadline - time.GetUtcNow();
            if (changed is null || remaining <= TimeSpan.Zero)
            {
                context.Response.Headers.ETag = Tag(configuration.Version);
                return TypedResults.StatusCode(StatusCodes.Status304NotModified);
            }

            try
            {
                await changed.WaitAsync(remaining, time, ct);
            }
            catch (TimeoutException)
            {
                // One more read: a change may have come with the end of the wait.
                deadline = time.GetUtcNow();
            }
        }
    }

    /// <summary>Stores the report unless one for a newer version is stored; refuses one for a version not issued yet.</summary>
    internal static async Task<IResult> ReportAsync(
        HttpContext context, IFeatureStore store, CatalogProvider catalog, ChangeEventWriter events, TimeProvider time)
    {
        var authenticated = context.Features.Get<AuthenticatedDevice>()!;
        var device = authenticated.Device;
        DeviceReport? report;
        try
        {
            report = JsonSerializer.Deserialize(authenticated.Body.Span, DeviceApiJsonContext.Default.DeviceReport);
        }
        catch (JsonException e)
        {
            return Invalid($"The body is not a report: {e.Message}");
        }

        if (report?.Version is not { } version || version < 0)
        {
            return Invalid("The body must be {\"version\": N, \"firmware\": \"...\", \"features\": [{\"feature_name\": \"...\", \"applied\": true}]} with the version applied.");
        }

        var firmware = string.IsNullOrWhiteSpace(report.Firmware) ? null : report.Firmware.Trim();
        if (firmware is { Length: > AdminService.MaxFirmwareLength })
        {
            return Invalid($"'firmware' is longer than {AdminService.MaxFirmwareLength} characters.");
        }

        var features = new List<DeviceReportRow>();
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        var modelFeatures = catalog.Current.FeaturesOf(device.Model).Select(f => f.Name).ToHashSet(StringComparer.Ordinal);
        foreach (var (feature, index) in (report.Features ?? []).Select((f, i) => (f, i)))
        {
            if (feature?.FeatureName is not { } name || !modelFeatures.Contains(name))
            {
                return Invalid($"features[{index}].feature_name must be a feature of model {device.Model}.");
            }

            if (feature.Applied is not { } applied)
            {
                return Invalid($"features[{index}].applied must be true or false.");
            }

            if (feature.Reason is { Length: > MaxReasonLength })
            {
                return Invalid($"features[{index}].reason is longer than {MaxReasonLength} characters.");
            }

            if (features.Any(f => f.FeatureName == name))
            {
                return Invalid($"features[{index}]: {name} is listed twice.");
            }

            features.Add(new DeviceReportRow { FeatureName = name, Version = version, Applied = applied, Reason = feature.Reason, ReportedAt = now, Active = feature.Active });
        }

        var (receipt, current) = await store.WriteAsync<(DeviceReportReceipt?, long)>(async s =>
        {
            var sync = await s.FindDeviceSyncAsync(device.MacAddress);
            if (version > (sync?.Version ?? 0))
            {
                return (null, sync?.Version ?? 0);
            }

            if (!await s.TryRecordReportedVersionAsync(device.MacAddress, version, now))
            {
                return (new DeviceReportReceipt(sync?.ReportedVersion ?? version, Recorded: false), 0);
            }

            // The version read again now that the upsert holds the device's row: a change that committed since the first
            // read (PostgreSQL reads each statement afresh) shows here, and one still to come waits for this commit, so the
            // state filled in below is the one of the version it is recorded against.
            var locked = await s.FindDeviceSyncAsync(device.MacAddress);
            await SyncStatus.CompleteReportedActiveAsync(s, catalog.Current, device, features, locked?.Version ?? 0, now);
            foreach (var feature in features)
            {
                await s.RecordFeatureReportAsync(device.MacAddress, feature);
            }

            await ReportedToPartnerAsync(s, events, device.MacAddress, features, now);

            // The firmware the device runs now; not audited (a device reports often), shown by the admin API.
            if (firmware is not null && firmware != device.Firmware)
            {
                await s.SetInventoryFirmwareAsync(device.MacAddress, firmware, now);
            }

            return (new DeviceReportReceipt(version, Recorded: true), 0);
        }, context.RequestAborted);

        return receipt is not null
            ? TypedResults.Json(receipt, DeviceApiJsonContext.Default.DeviceReportReceipt)
            : AdminEndpoints.Problem(new AdminError(StatusCodes.Status409Conflict, DeviceProblemCodes.VersionAhead,
                $"Version {version} has not been issued: the device's configuration is at version {current}."));
    }

    /// <summary>
    /// <c>feature.applied</c> / <c>feature.failed</c> for the reports the device owed since a user's change, in the
    /// report's transaction (docs/protocol.md, "Change events").
    /// </summary>
    private static Task ReportedToPartnerAsync(StoreSession session, ChangeEventWriter events, string macAddress, List<DeviceReportRow> features, long now) =>
        events.DeviceReportedAsync(session, macAddress, features, now);

    /// <summary>The versions of <c>If-None-Match</c>: quoted or not, weak or not, comma-separated.</summary>
    private static HashSet<long> KnownVersions(HttpRequest request)
    {
        var versions = new HashSet<long>();
        foreach (var value in request.Headers.IfNoneMatch)
        {
            foreach (var part in (value ?? "").Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
            {
                var tag = part.StartsWith("W/", StringComparison.Ordinal) ? part[2..] : part;
                if (long.TryParse(tag.Trim('"'), NumberStyles.None, CultureInfo.InvariantCulture, out var version))
                {
                    versions.Add(version);
                }
            }
        }

        return versions;
    }

    private static string Tag(long version) => new EntityTagHeaderValue($"\"{version.ToString(CultureInfo.InvariantCulture)}\"").ToString();

    private static IResult Invalid(string detail) =>
        AdminEndpoints.Problem(new AdminError(StatusCodes.Status400BadRequest, DeviceProblemCodes.InvalidRequest, detail));
}
