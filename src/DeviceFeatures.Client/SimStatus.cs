namespace DeviceFeatures.Client;

/// <summary>
/// A device's state in the partner's programme (Withings' SIM status), e.g. <c>STANDBY</c>. An open value: a state this
/// version does not know is carried as it is, so an answer from the service never breaks a caller.
/// </summary>
/// <param name="Value">The status as sent on the wire, upper case.</param>
public readonly record struct SimStatus(string Value)
{
    /// <summary>In the inventory, not linked to a user yet; never asked for.</summary>
    public static SimStatus Ready { get; } = new("READY");

    /// <summary>In the programme. May be asked for from <see cref="Ready"/> or <see cref="Standby"/>.</summary>
    public static SimStatus Active { get; } = new("ACTIVE");

    /// <summary>Paused. Asking for it also reverses a <see cref="PendingTermination"/> before its date.</summary>
    public static SimStatus Standby { get; } = new("STANDBY");

    /// <summary>Counting down to termination (30 days); the answer to asking for <see cref="Terminated"/>.</summary>
    public static SimStatus PendingTermination { get; } = new("PENDING_TERMINATION");

    /// <summary>Out of the programme for good. Asking for it starts the countdown.</summary>
    public static SimStatus Terminated { get; } = new("TERMINATED");

    /// <summary>The wire value.</summary>
    /// <returns><see cref="Value"/>.</returns>
    public override string ToString() => Value;
}

/// <summary>The answer of <c>endpartnerprogram</c>.</summary>
/// <param name="NewSimStatus">The device's state after the request, e.g. <see cref="SimStatus.PendingTermination"/>.</param>
/// <param name="TerminationDate">
/// When the device is (or was) terminated: only when <see cref="SimStatus.Terminated"/> was asked for; null otherwise.
/// </param>
public sealed record PartnerProgramResult(SimStatus NewSimStatus, DateTimeOffset? TerminationDate);
