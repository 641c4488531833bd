namespace DeviceFeatures.Server.Device;

/// <summary>
/// The states of a device in its partner's programme (Withings calls it the SIM status), and how the stored row and
/// the clock make the state a device is in now. See the state machine in docs/protocol.md.
/// </summary>
internal static class ProgrammeStates
{
    /// <summary>In the inventory, assigned to the partner, not linked to a user yet, and never changed.</summary>
    public const string Ready = "READY";

    /// <summary>In the programme: linked to a user and never changed, or set active by the partner.</summary>
    public const string Active = "ACTIVE";

    /// <summary>Paused by the partner; it keeps its features and can become active again.</summary>
    public const string Standby = "STANDBY";

    /// <summary>Counting down to termination; <c>status=STANDBY</c> reverses it before it completes.</summary>
    public const string PendingTermination = "PENDING_TERMINATION";

    /// <summary>Out of the programme for good: its features run with the catalog defaults and cannot be switched.</summary>
    public const string Terminated = "TERMINATED";

    /// <summary>How long a termination waits before it completes.</summary>
    public static readonly TimeSpan Countdown = TimeSpan.FromDays(30);
}

/// <summary>A device's programme state at one instant, with the time its termination completes (or completed), if any.</summary>
internal readonly record struct DeviceProgramme(string State, long? TerminatesAtMs)
{
    public bool IsTerminated => State == ProgrammeStates.Terminated;

    /// <summary>
    /// The state from the stored row (<paramref name="stored"/> null when there is none) and the clock: a countdown
    /// whose date has passed has completed, without anything having rewritten the row.
    /// </summary>
    public static DeviceProgramme Of(string? stored, long? terminatesAtMs, bool linked, long nowMs) => stored switch
    {
        null => new(linked ? ProgrammeStates.Active : ProgrammeStates.Ready, null),
        ProgrammeStates.PendingTermination when terminatesAtMs <= nowMs => new(ProgrammeStates.Terminated, terminatesAtMs),
        _ => new(stored, terminatesAtMs),
    };
}
