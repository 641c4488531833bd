using System.ComponentModel.DataAnnotations;
using System.Globalization;

namespace DeviceFeatures.Server.ChangeEvents;

/// <summary>Section <c>Callbacks</c>: the delivery of change events to partners' callback URLs (docs/protocol.md, "Change events").</summary>
internal sealed class CallbackOptions
{
    public const string SectionName = "Callbacks";

    /// <summary>The schedule used when none is configured: Withings' five cycles (immediately, 10 s, 1 min, 1 h, 4 h) of two attempts.</summary>
    public const string DefaultRetrySchedule = "0s,10s,10s,1m,1m,1h,1h,4h,4h";

    /// <summary>How long a partner has to answer an attempt (seconds); Withings expects an answer within 2 s.</summary>
    [Range(0.1, 60)]
    public double TimeoutSeconds { get; set; } = 2;

    /// <summary>
    /// The delay after each failed attempt before the next, comma-separated (<c>0s</c>, <c>10s</c>, <c>1m</c>, <c>4h</c>,
    /// or <c>hh:mm:ss</c>): n delays make n + 1 attempts, after which the event is parked.
    /// </summary>
    [Required]
    public string RetrySchedule { get; set; } = DefaultRetrySchedule;

    /// <summary>How often the dispatcher looks for due events when nothing woke it (seconds).</summary>
    [Range(0.05, 3600)]
    public double PollIntervalSeconds { get; set; } = 5;

    /// <summary>
    /// How long an instance holds the events it claimed (seconds): an instance killed while delivering leaves them to
    /// the others (or to itself after a restart on PostgreSQL; SQLite clears the claims at start) once it is over. At
    /// least <see cref="LeaseMarginSeconds"/> longer than the timeout, checked at start: a send must end, and its outcome
    /// be recorded, before another instance may claim the event.
    /// </summary>
    [Range(1, 3600)]
    public int LeaseSeconds { get; set; } = 60;

    /// <summary>How many due events one pass claims and sends together.</summary>
    [Range(1, 1000)]
    public int BatchSize { get; set; } = 32;

    /// <summary>How much longer than the timeout the lease must be: reading the partner, recording the outcome, and clock drift between instances.</summary>
    public const int LeaseMarginSeconds = 10;

    public TimeSpan Timeout => TimeSpan.FromSeconds(TimeoutSeconds);

    /// <summary>The parsed <see cref="RetrySchedule"/>; null when it cannot be read.</summary>
    public IReadOnlyList<TimeSpan>? Delays => ParseSchedule(RetrySchedule);

    internal static IReadOnlyList<TimeSpan>? ParseSchedule(string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return null;
        }

        var delays = new List<TimeSpan>();
        foreach (var part in text.Split(',', StringSplitOptions.TrimEntries))
        {
            if (ParseDelay(part) is not { } delay || delay < TimeSpan.Zero)
            {
                return null;
            }

            delays.Add(delay);
        }

        return delays;
    }

    private static TimeSpan? ParseDelay(string text)
    {
        if (text.Length >= 2 && double.TryParse(text.AsSpan(0, text.Length - (text.EndsWith("ms", StringComparison.Ordinal) ? 2 : 1)),
                NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var n))
        {
            if (text.EndsWith("ms", StringComparison.Ordinal))
            {
                return TimeSpan.FromMilliseconds(n);
            }

            switch (text[^1])
            {
                case 's': return TimeSpan.FromSeconds(n);
                case 'm': return TimeSpan.FromMinutes(n);
                case 'h': return TimeSpan.FromHours(n);
                case 'd': return TimeSpan.FromDays(n);
            }
        }

        return TimeSpan.TryParse(text, CultureInfo.InvariantCulture, out var span) ? span : null;
    }
}
