using DeviceFeatures.Protocol.Parameters;
using DeviceFeatures.Server.Audit;
using DeviceFeatures.Server.Signature;
using DeviceFeatures.Server.Wire;

namespace DeviceFeatures.Server.Device;

/// <summary>The parameters of <c>endpartnerprogram</c>: a normalised MAC address and one of the states a partner may ask for.</summary>
internal readonly record struct ProgrammeRequest(string MacAddress, string Status);

/// <summary>
/// <c>/v2/device action=endpartnerprogram</c>: a partner moves one of its devices between ACTIVE and STANDBY, or starts
/// its 30-day termination, which STANDBY reverses until the date. The state machine is in docs/protocol.md.
/// </summary>
internal sealed class ProgrammeService(TimeProvider time)
{
    public ISignedHandler<ProgrammeRequest> EndPartnerProgram { get; } = new EndHandler(time);

    /// <summary>The states a partner may ask for; READY and PENDING_TERMINATION are only ever reached, never asked for.</summary>
    private static readonly string[] Requestable = [ProgrammeStates.Active, ProgrammeStates.Standby, ProgrammeStates.Terminated];

    private sealed class EndHandler(TimeProvider time) : ISignedHandler<ProgrammeRequest>
    {
        public (ProgrammeRequest Parameters, WireResult? Refusal) Read(WireParameters parameters)
        {
            if (!parameters.TryGet(WireParameterNames.MacAddress, out var macText) || macText.Length == 0)
            {
                return (default, Refusals.MissingParameter(WireParameterNames.MacAddress));
            }

            if (MacAddress.Normalize(macText) is not { } mac)
            {
                return (default, Refusals.InvalidParameter(WireParameterNames.MacAddress,
                    "must be 12 hexadecimal digits, with ':', '-' or no separators, e.g. 00:24:e4:12:34:56"));
            }

            if (!parameters.TryGet(WireParameterNames.Status, out var statusText) || statusText.Length == 0)
            {
                return (default, Refusals.MissingParameter(WireParameterNames.Status));
            }

            var status = Array.Find(Requestable, s => string.Equals(s, statusText, StringComparison.OrdinalIgnoreCase));
            if (status is null)
            {
                var shown = statusText.Length <= 32 ? statusText : string.Concat(statusText.AsSpan(0, 32), "...");
                return (default, Refusals.InvalidParameter(WireParameterNames.Status,
                    $"must be ACTIVE, STANDBY or TERMINATED, not '{shown}'"));
            }

            return (new ProgrammeRequest(mac, status), null);
        }

        public async ValueTask<WireResult> HandleAsync(SignedCall call, ProgrammeRequest request, SignedSession signed)
        {
            var session = signed.Store;
            var clientId = call.Partner.ClientId;
            var device = await session.FindProgrammeForUpdateAsync(request.MacAddress, clientId);

            // A device of another partner and one that does not exist get the same answer.
            if (device is null || device.ClientId != clientId)
            {
                return Refusals.UnknownDevice(request.MacAddress);
            }

            var nowMs = time.GetUtcNow().ToUnixTimeMilliseconds();
            var current = device.At(nowMs);
            var (next, refusal) = Transition(request, current, nowMs);
            if (refusal is not null)
            {
                return refusal;
            }

            if (next != current)
            {
                await session.SetProgrammeAsync(request.MacAddress, next.State, next.TerminatesAtMs, nowMs);
                await session.DeviceConfigurationChangedAsync(request.MacAddress, nowMs);
                await session.AppendAuditAsync(new AuditRow
                {
                    OccurredAt = nowMs,
                    Kind = AuditKinds.DeviceProgrammeChanged,
                    Actor = clientId,
                    ClientId = clientId,
                    UserId = device.UserId,
                    Model = device.Model,
                    RequestId = call.RequestId,
                    Detail = $"{request.MacAddress} {current.State} -> {next.State}"
                        + (next.TerminatesAtMs is { } at ? $", terminates at {DateTimeOffset.FromUnixTimeMilliseconds(at):yyyy-MM-dd'T'HH:mm:ss'Z'}" : ""),
                });
            }

            // The termination date is part of the answer to a termination request only, as in Withings' answer.
            var terminationDate = request.Status == ProgrammeStates.Terminated ? next.TerminatesAtMs / 1000 : null;
            return WireResult.Ok(w =>
            {
                w.WriteString("new_sim_status"u8, next.State);
                if (terminationDate is { } seconds)
                {
                    w.WriteNumber("termination_date"u8, seconds);
                }
            });
        }

        /// <summary>The state the request leads to, or why it is refused. Asking for the state a device is in changes nothing.</summary>
        private static (DeviceProgramme Next, WireResult? Refusal) Transition(ProgrammeRequest request, DeviceProgramme current, long nowMs)
        {
            WireResult Refuse(string reason) =>
                Refusals.ProgrammeTransitionRefused(request.MacAddress, Describe(current), request.Status, reason);

            switch (current.State)
            {
                case ProgrammeStates.Terminated:
                    return request.Status == ProgrammeStates.Terminated
                        ? (current, null)
                        : (current, Refuse("a terminated device has left the programme for good"));

                case ProgrammeStates.PendingTermination:
                    return request.Status switch
                    {
                        ProgrammeStates.Standby => (new DeviceProgramme(ProgrammeStates.Standby, null), null),
                        ProgrammeStates.Terminated => (current, null),
                        _ => (current, Refuse("a pending termination is reversed with status=STANDBY; the device can be made ACTIVE from STANDBY")),
                    };

                default:
                    if (request.Status == ProgrammeStates.Terminated)
                    {
                        // Whole seconds, so that the date answered is exactly the instant the device becomes TERMINATED.
                        var terminatesAt = ((nowMs / 1000) + (long)ProgrammeStates.Countdown.TotalSeconds) * 1000;
                        return (new DeviceProgramme(ProgrammeStates.PendingTermination, terminatesAt), null);
                    }

                    return request.Status == current.State ? (current, null) : (new DeviceProgramme(request.Status, null), null);
            }
        }

        private static string Describe(DeviceProgramme state) => state.TerminatesAtMs is { } at
            ? $"{state.State} ({(state.IsTerminated ? "since" : "until")} {DateTimeOffset.FromUnixTimeMilliseconds(at):yyyy-MM-dd'T'HH:mm:ss'Z'})"
            : state.State;
    }
}
