using System.Globalization;

namespace DeviceFeatures.Server.OperatorConsole.Pages;

internal sealed class IndexModel(ConsoleQueries queries, TimeProvider time) : ConsolePageModel
{
    public OverviewCounts? Counts { get; private set; }

    public IReadOnlyList<(string ClientId, long LastRefusedAt)> RateLimited { get; private set; } = [];

    public string DayAgo => time.GetUtcNow().AddDays(-1).UtcDateTime.ToString("yyyy-MM-ddTHH:mm", CultureInfo.InvariantCulture);

    public async Task OnGetAsync(CancellationToken cancellationToken) =>
        (Counts, RateLimited) = await queries.OverviewAsync(cancellationToken).ConfigureAwait(false);
}
