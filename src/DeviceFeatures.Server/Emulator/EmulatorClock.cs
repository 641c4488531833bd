using System.Globalization;
using System.Xml;
using DeviceFeatures.Protocol.Admin;
using DeviceFeatures.Server.Admin;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace DeviceFeatures.Server.Emulator;

/// <summary>
/// The server's clock while the emulator is on: the clock it would run on otherwise (the system's, or the one its
/// host registered) plus an offset that a test suite moves forward through the admin API, so that nonces expire,
/// quota windows turn and a 30-day programme termination completes without waiting. Only forward: what was stored
/// at "now" is never in the future of a later "now". Timers and timestamps are the inner clock's: a background job
/// keeps its period and sees the advanced time when it next runs.
/// </summary>
internal sealed class EmulatorClock(TimeProvider inner) : TimeProvider
{
    private long _offsetTicks;

    /// <summary>How far this clock is ahead of the one it runs on.</summary>
    public TimeSpan Offset => TimeSpan.FromTicks(Interlocked.Read(ref _offsetTicks));

    public override DateTimeOffset GetUtcNow() => inner.GetUtcNow() + Offset;

    public override TimeZoneInfo LocalTimeZone => inner.LocalTimeZone;

    public override long TimestampFrequency => inner.TimestampFrequency;

    public override long GetTimestamp() => inner.GetTimestamp();

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period) =>
        inner.CreateTimer(callback, state, dueTime, period);

    /// <summary>
    /// The furthest this clock runs ahead of the one it runs on: a century, far beyond any window a test needs, and far
    /// from the end of <see cref="DateTimeOffset"/>, which an unbounded offset would overflow into an error on every
    /// request that reads the time.
    /// </summary>
    public static readonly TimeSpan MaxOffset = TimeSpan.FromDays(36_525);

    /// <summary>
    /// Moves the clock forward, unless that would take it more than <see cref="MaxOffset"/> ahead: then nothing moves
    /// and the answer is false. A negative amount is refused by the caller, and ignored here. Concurrent advances add
    /// up, each checked against the offset it actually extends.
    /// </summary>
    public bool Advance(TimeSpan amount)
    {
        if (amount <= TimeSpan.Zero)
        {
            return true;
        }

        while (true)
        {
            var current = Interlocked.Read(ref _offsetTicks);
            if (amount.Ticks > MaxOffset.Ticks - current)
            {
                return false;
            }

            if (Interlocked.CompareExchange(ref _offsetTicks, current + amount.Ticks, current) == current)
            {
                return true;
            }
        }
    }

    /// <summary>
    /// Makes the server's <see cref="TimeProvider"/> an <see cref="EmulatorClock"/> around the one registered so far
    /// (<see cref="TimeProvider.System"/> unless the host chose another) when the emulator is on, and leaves it as it
    /// was when it is off. A registration made later, such as a test's fake clock, still wins.
    /// </summary>
    internal static void Register(IServiceCollection services)
    {
        var previous = services.LastOrDefault(d => d.ServiceType == typeof(TimeProvider) && !d.IsKeyedService);
        services.RemoveAll<TimeProvider>();
        services.AddSingleton(sp => new EmulatorClock(Resolve(sp, previous)));
        services.AddSingleton<TimeProvider>(sp =>
        {
            var clock = sp.GetRequiredService<EmulatorClock>();
            return sp.GetRequiredService<EmulatorSwitch>().Enabled ? clock : clock.Inner;
        });
    }

    internal TimeProvider Inner => inner;

    private static TimeProvider Resolve(IServiceProvider services, ServiceDescriptor? descriptor) => descriptor switch
    {
        null => System,
        { ImplementationInstance: TimeProvider instance } => instance,
        { ImplementationFactory: { } factory } => (TimeProvider)factory(services),
        { ImplementationType: { } type } => (TimeProvider)ActivatorUtilities.CreateInstance(services, type),
        _ => System,
    };
}

/// <summary><c>GET/POST /admin/api/emulator/clock</c>.</summary>
internal static class EmulatorClockEndpoints
{
    public static RouteGroupBuilder MapClock(this RouteGroupBuilder emulator)
    {
        emulator.MapGet("/clock", GetClock);
        emulator.MapPost("/clock", AdvanceClock);
        return emulator;
    }

    private static readonly AdminError NotEmulated = new(
        StatusCodes.Status409Conflict,
        AdminProblemCodes.ClockNotEmulated,
        "This server runs on a clock its host registered (such as a test's fake clock), not the emulator's: advance that clock instead.");

    internal static IResult GetClock(TimeProvider time) =>
        time is EmulatorClock clock ? TypedResults.Ok(State(clock)) : AdminEndpoints.Problem(NotEmulated);

    internal static IResult AdvanceClock(AdvanceClockRequest? request, TimeProvider time)
    {
        if (time is not EmulatorClock clock)
        {
            return AdminEndpoints.Problem(NotEmulated);
        }

        var (amount, error) = Read(request);
        if (error is not null)
        {
            return AdminEndpoints.Problem(AdminError.Invalid(error));
        }

        if (!clock.Advance(amount))
        {
            var member = request!.Advance is null ? "advance_seconds" : "advance";
            return AdminEndpoints.Problem(AdminError.Invalid(
                $"'{member}' is too large: the emulator's clock runs at most a century (P36525D) ahead of the real one, " +
                $"and it is {clock.Offset.TotalSeconds.ToString(CultureInfo.InvariantCulture)} seconds ahead now."));
        }

        return TypedResults.Ok(State(clock));
    }

    /// <summary>The amount to advance by, or why the body is refused (naming the member).</summary>
    internal static (TimeSpan Amount, string? Error) Read(AdvanceClockRequest? request)
    {
        const string Shape = "The body must be {\"advance\": \"PT10M\"} (an ISO 8601 duration) or {\"advance_seconds\": 600}.";
        switch (request)
        {
            case { Advance: { } text, AdvanceSeconds: null }:
                TimeSpan amount;
                try
                {
                    amount = XmlConvert.ToTimeSpan(text.Trim());
                }
                catch (Exception e) when (e is FormatException or OverflowException)
                {
                    return (default, $"'advance' must be an ISO 8601 duration such as PT10M or P30D, not '{Shorten(text)}'.");
                }

                return amount < TimeSpan.Zero
                    ? (default, "'advance' must not be negative: the emulator's clock never goes back.")
                    : (amount, null);
            case { Advance: null, AdvanceSeconds: { } seconds }:
                if (double.IsNaN(seconds) || seconds < 0)
                {
                    return (default, "'advance_seconds' must not be negative: the emulator's clock never goes back.");
                }

                return seconds > TimeSpan.MaxValue.TotalSeconds / 2
                    ? (default, "'advance_seconds' is too large.")
                    : (TimeSpan.FromSeconds(seconds), null);
            default:
                return (default, Shape);
        }
    }

    private static EmulatorClockState State(EmulatorClock clock) => new(clock.GetUtcNow(), clock.Offset.TotalSeconds);

    private static string Shorten(string text) =>
        text.Length <= 32 ? text : string.Concat(text.AsSpan(0, 32), "...").ToString(CultureInfo.InvariantCulture);
}
