using System.Collections.Concurrent;
using System.Globalization;
using DeviceFeatures.Protocol.Admin;
using DeviceFeatures.Server.Observability;
using Microsoft.AspNetCore.Authentication;

namespace DeviceFeatures.Server.Admin;

/// <summary>
/// The door of <c>/admin/api</c>, before routing's verdicts: a request without the right key is answered 401
/// (problem+json with a code) whatever its route, method or content type, instead of the 404, 405 or 415 that
/// routing would choose before authorization runs; and an address that keeps sending wrong keys is answered 429
/// until its window ends (<see cref="AdminKeyThrottle"/>), the right key included, so that a hit would not show.
/// </summary>
internal static partial class AdminKeyGate
{
    public const string Prefix = "/admin/api";

    public static IApplicationBuilder UseAdminKeyGate(this IApplicationBuilder app) =>
        app.Use(async (context, next) =>
        {
            if (!context.Request.Path.StartsWithSegments(Prefix))
            {
                await next(context).ConfigureAwait(false);
                return;
            }

            var throttle = context.RequestServices.GetRequiredService<AdminKeyThrottle>();
            var metrics = context.RequestServices.GetRequiredService<ServerMetrics>();
            var address = context.Connection.RemoteIpAddress?.ToString() ?? "unknown";
            if (throttle.IsThrottled(address, out var retryAfter))
            {
                metrics.AdminKeyRefused("throttled");
                var seconds = Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds));
                context.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
                await AdminEndpoints.Problem(new AdminError(StatusCodes.Status429TooManyRequests, AdminProblemCodes.AdminKeyThrottled,
                    $"Too many wrong admin keys from this address: try again in {seconds} s.")).ExecuteAsync(context).ConfigureAwait(false);
                return;
            }

            var result = await context.AuthenticateAsync(AdminKeyAuthenticationHandler.SchemeName).ConfigureAwait(false);
            if (!result.Succeeded)
            {
                if (result.Failure is not null)
                {
                    throttle.RecordFailure(address);
                    metrics.AdminKeyRefused("invalid");
                    if (context.RequestServices.GetRequiredService<LogThrottle>().TryTake(ThrottledLog.AdminKey, out var leftOut))
                    {
                        LogWrongKey(context.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger("DeviceFeatures.Admin"), address, leftOut);
                    }
                }
                else
                {
                    metrics.AdminKeyRefused("missing");
                }

                await context.ChallengeAsync(AdminKeyAuthenticationHandler.SchemeName).ConfigureAwait(false);
                return;
            }

            context.User = result.Principal;

            // Set only once the key is right: nobody else gets to send a body at all. A declared length over the limit
            // is refused before anything is read; a chunked body is cut by Kestrel at the limit, and the endpoint's
            // reader then leaves a bare 413, given its code below.
            var maxBodyBytes = context.RequestServices.GetRequiredService<Microsoft.Extensions.Options.IOptions<AdminOptions>>().Value.MaxBodyBytes;
            if (context.Request.ContentLength > maxBodyBytes)
            {
                await TooLarge(context, maxBodyBytes).ConfigureAwait(false);
                return;
            }

            if (context.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
            {
                limit.MaxRequestBodySize = maxBodyBytes;
            }

            await next(context).ConfigureAwait(false);
            if (context.Response.StatusCode == StatusCodes.Status413PayloadTooLarge && !context.Response.HasStarted)
            {
                await TooLarge(context, maxBodyBytes).ConfigureAwait(false);
            }
        });

    private static Task TooLarge(HttpContext context, long maxBodyBytes) =>
        AdminEndpoints.Problem(new AdminError(StatusCodes.Status413PayloadTooLarge, AdminProblemCodes.RequestTooLarge,
            $"The request body is larger than the admin API's {maxBodyBytes}-byte limit (Admin:MaxBodyBytes); send less per request.")).ExecuteAsync(context);

    [LoggerMessage(Level = LogLevel.Warning, Message = "A wrong admin key from {Address} ({LeftOut} more client errors not logged in the last minute)")]
    private static partial void LogWrongKey(ILogger logger, string address, int leftOut);
}

/// <summary>
/// Wrong admin keys per source address, in fixed windows of the server's clock: after
/// <see cref="AdminOptions.FailedKeyAttemptsPerMinute"/> failures within a minute of the first, the address waits
/// for the end of that minute. The key's length (<see cref="AdminOptions.MinimumApiKeyLength"/>) is what makes a
/// guess hopeless; this makes guessing slow and visible (<c>devicefeatures_admin_key_failures_total</c>).
/// </summary>
internal sealed class AdminKeyThrottle(TimeProvider time, Microsoft.Extensions.Options.IOptions<AdminOptions> options)
{
    // Beyond this many addresses, expired windows are dropped; if all are live, new addresses share one window,
    // so that memory stays bounded whatever the number of addresses a guesser uses.
    internal const int MaxAddresses = 10_000;
    private const string Overflow = "(other addresses)";
    private static readonly TimeSpan Window = TimeSpan.FromMinutes(1);

    private readonly int _limit = options.Value.FailedKeyAttemptsPerMinute;
    private readonly ConcurrentDictionary<string, Attempts> _byAddress = new(StringComparer.Ordinal);

    public bool IsThrottled(string address, out TimeSpan retryAfter)
    {
        retryAfter = TimeSpan.Zero;
        if (_limit == 0 || !(_byAddress.TryGetValue(address, out var attempts) || _byAddress.TryGetValue(Overflow, out attempts)))
        {
            return false;
        }

        var now = time.GetUtcNow();
        lock (attempts)
        {
            if (now >= attempts.WindowEnd || attempts.Failures < _limit)
            {
                return false;
            }

            retryAfter = attempts.WindowEnd - now;
            return true;
        }
    }

    public void RecordFailure(string address)
    {
        var now = time.GetUtcNow();
        if (!_byAddress.ContainsKey(address) && _byAddress.Count >= MaxAddresses)
        {
            foreach (var (key, old) in _byAddress)
            {
                if (now >= old.WindowEnd)
                {
                    _byAddress.TryRemove(key, out _);
                }
            }

            if (_byAddress.Count >= MaxAddresses)
            {
                address = Overflow;
            }
        }

        var attempts = _byAddress.GetOrAdd(address, static _ => new Attempts());
        lock (attempts)
        {
            if (now >= attempts.WindowEnd)
            {
                attempts.WindowEnd = now + Window;
                attempts.Failures = 0;
            }

            attempts.Failures++;
        }
    }

    private sealed class Attempts
    {
        public DateTimeOffset WindowEnd { get; set; } = DateTimeOffset.MinValue;

        public int Failures { get; set; }
    }
}
