namespace DeviceFeatures.Server.Observability;

/// <summary>What a throttled log line is about: each kind has its own allowance.</summary>
internal enum ThrottledLog
{
    /// <summary>A request the client got wrong (an unreadable body, a malformed chunk): the client's fault.</summary>
    ClientError,

    /// <summary>The database did not answer (522 / 503): the operator already has the metric and readiness.</summary>
    DatabaseUnavailable,

    /// <summary>An unexpected failure (2556 / 500): a fault of ours, logged with its stack.</summary>
    Fault,

    /// <summary>
    /// A missing or wrong admin key: its own allowance, so that a flood of unreadable requests cannot hide the lines
    /// that say someone is guessing the key.
    /// </summary>
    AdminKey,
}

/// <summary>
/// At most <see cref="LinesPerMinute"/> lines of each kind per minute of the server's clock, so that requests an
/// outsider can send without credentials cannot fill the logs. The first line of the next minute says how many
/// were left out, so nothing is hidden: the counts stay in <c>devicefeatures_wire_requests_total</c>.
/// </summary>
internal sealed class LogThrottle(TimeProvider time)
{
    public const int LinesPerMinute = 10;

    private static readonly TimeSpan Window = TimeSpan.FromMinutes(1);
    private readonly Allowance[] _allowances = [.. Enum.GetValues<ThrottledLog>().Select(_ => new Allowance())];

    /// <summary>
    /// Whether a line of this kind may be written now; when it may, <paramref name="leftOut"/> is the number of lines
    /// of this kind that were not written since the last one that was.
    /// </summary>
    public bool TryTake(ThrottledLog kind, out int leftOut)
    {
        var allowance = _allowances[(int)kind];
        var now = time.GetUtcNow();
        lock (allowance)
        {
            if (now - allowance.WindowStart >= Window)
            {
                allowance.WindowStart = now;
                allowance.Written = 0;
            }

            if (allowance.Written >= LinesPerMinute)
            {
                allowance.LeftOut++;
                leftOut = 0;
                return false;
            }

            allowance.Written++;
            leftOut = allowance.LeftOut;
            allowance.LeftOut = 0;
            return true;
        }
    }

    private sealed class Allowance
    {
        public DateTimeOffset WindowStart { get; set; } = DateTimeOffset.MinValue;

        public int Written { get; set; }

        public int LeftOut { get; set; }
    }
}
