namespace DeviceFeatures.Load;

/// <summary>The workloads of a run, by the letters the issue and the report use.</summary>
internal enum WorkloadKind
{
    Health,
    GetNonce,
    FeatureFlow,
    GetFeaturesFlow,
    PeerFlow,
}

/// <param name="Kind">What the workers do.</param>
/// <param name="Letter">How the report names it: a to e.</param>
/// <param name="Name">A short name for tables.</param>
/// <param name="MeasuredRequest">The request whose latency the report shows.</param>
/// <param name="RequestsPerOperation">HTTP requests in one operation (a flow is getnonce plus one device call).</param>
/// <param name="Description">What it sends, for the report.</param>
internal sealed record Workload(WorkloadKind Kind, char Letter, string Name, string MeasuredRequest, int RequestsPerOperation, string Description)
{
    public static readonly Workload Health = new(WorkloadKind.Health, 'a', "health", "GET /health/live", 1,
        "`GET /health/live`, a fixed JSON answer: the ceiling of this host and stack");

    public static readonly Workload GetNonce = new(WorkloadKind.GetNonce, 'b', "getnonce", "getnonce", 1,
        "signed `POST /v2/signature action=getnonce`");

    public static readonly Workload FeatureFlow = new(WorkloadKind.FeatureFlow, 'c', "enable/disable flow", "enable/disablefeature", 2,
        "getnonce, then `enablefeature` or `disablefeature` (alternating per user, so every call changes a stored choice and writes an audit event) over the users");

    public static readonly Workload GetFeaturesFlow = new(WorkloadKind.GetFeaturesFlow, 'd', "getfeatures flow", "getfeatures", 2,
        "getnonce, then `getfeatures` over the users");

    public static readonly Workload PeerFlow = new(WorkloadKind.PeerFlow, 'e', "WireMock flow", "device call (mock)", 2,
        "the flow of (c) against WireMock.Net 1.25.0 in the load tool's process, with fixed stub answers");

    public static readonly IReadOnlyList<Workload> All = [Health, GetNonce, FeatureFlow, GetFeaturesFlow, PeerFlow];

    public bool IsFlow => RequestsPerOperation == 2;

    public static bool TryParseList(string text, out IReadOnlyList<Workload> workloads)
    {
        var list = new List<Workload>();
        foreach (var part in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var workload = All.FirstOrDefault(w => part.Length == 1 && char.ToLowerInvariant(part[0]) == w.Letter);
            if (workload is null)
            {
                workloads = [];
                return false;
            }

            if (!list.Contains(workload))
            {
                list.Add(workload);
            }
        }

        // Always in the report's order, whatever order they were given in.
        workloads = list.OrderBy(w => w.Letter).ToArray();
        return list.Count > 0;
    }
}
