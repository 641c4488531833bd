using System.Diagnostics.Metrics;
using DeviceFeatures.Protocol.Status;

namespace DeviceFeatures.Server.Observability;

/// <summary>
/// The server's own instruments (meter <c>DeviceFeatures.Server</c>), exported with the ASP.NET Core ones on
/// <c>/metrics</c> in the Prometheus format.
/// </summary>
internal sealed class ServerMetrics
{
    public const string MeterName = "DeviceFeatures.Server";

    private readonly Counter<long> _requests;
    private readonly Counter<long> _noncesIssued;
    private readonly Counter<long> _noncesUsed;
    private readonly Counter<long> _noncesRefused;
    private readonly Histogram<double> _writeDuration;
    private readonly Counter<long> _adminKeyRefused;
    private readonly Counter<long> _partnerLookups;
    private readonly Counter<long> _repeatedNonceRequests;
    private readonly Counter<long> _faultsInjected;

    public ServerMetrics(IMeterFactory meterFactory)
    {
        var meter = meterFactory.Create(MeterName);
        _requests = meter.CreateCounter<long>("devicefeatures.wire.requests", "{request}", "Wire API answers, by service, action, status and family");
        _noncesIssued = meter.CreateCounter<long>("devicefeatures.nonces.issued", "{nonce}", "Nonces issued by getnonce");
        _noncesUsed = meter.CreateCounter<long>("devicefeatures.nonces.used", "{nonce}", "Nonces spent by a signed call");
        _noncesRefused = meter.CreateCounter<long>("devicefeatures.nonces.refused", "{nonce}", "Nonces refused, by reason");
        _writeDuration = meter.CreateHistogram<double>("devicefeatures.write.duration", "ms",
            "Time from the start of a signed call's write transaction until it is committed, waiting for the writer included");
        _adminKeyRefused = meter.CreateCounter<long>("devicefeatures.admin.key_failures", "{request}",
            "Admin API requests refused at the door, by outcome: missing key, invalid key, throttled address");
        _partnerLookups = meter.CreateCounter<long>("devicefeatures.partner.lookups", "{lookup}",
            "Client ids the partner cache did not hold, by outcome: found or unknown in the database, unknown remembered, shed (too many lookups at once)");
        _repeatedNonceRequests = meter.CreateCounter<long>("devicefeatures.nonce_requests.repeats_refused", "{request}",
            "getnonce requests refused because the same signed request had already been answered as often as allowed");
        _faultsInjected = meter.CreateCounter<long>("devicefeatures.faults.injected", "{request}",
            "Wire requests a fault rule of the emulator answered or slowed, by what it did: the Withings status, http_<status>, drop, slow_body or latency");
    }

    public void Answered(string service, string action, int status) =>
        _requests.Add(1,
            new KeyValuePair<string, object?>("service", service),
            new KeyValuePair<string, object?>("action", action),
            new KeyValuePair<string, object?>("status", status),
            new KeyValuePair<string, object?>("family", WireStatus.FamilyOf(status).ToString()));

    public void NonceIssued() => _noncesIssued.Add(1);

    public void NonceUsed() => _noncesUsed.Add(1);

    public void NonceRefused(string reason) => _noncesRefused.Add(1, new KeyValuePair<string, object?>("reason", reason));

    public void AdminKeyRefused(string outcome) => _adminKeyRefused.Add(1, new KeyValuePair<string, object?>("outcome", outcome));

    public void PartnerLookup(string outcome) => _partnerLookups.Add(1, new KeyValuePair<string, object?>("outcome", outcome));

    public void NonceRequestRepeatRefused() => _repeatedNonceRequests.Add(1);

    public void FaultInjected(string status) => _faultsInjected.Add(1, new KeyValuePair<string, object?>("status", status));

    public void WriteCommitted(TimeSpan elapsed) => _writeDuration.Record(elapsed.TotalMilliseconds);
}
