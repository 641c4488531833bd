using System.Globalization;
using DeviceFeatures.Server.Admin;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace DeviceFeatures.Server.OperatorConsole;

/// <summary>What every console page knows: the operator, the role, and the origin its changes are audited with.</summary>
internal abstract class ConsolePageModel : PageModel
{
    /// <summary>A message shown once at the top of the next page (after a change redirected there).</summary>
    [Microsoft.AspNetCore.Mvc.TempData]
    public string? Notice { get; set; }

    /// <summary>A refusal to show on this page, in the words of the service that refused.</summary>
    public string? Error { get; set; }

    public string OperatorName => User.Identity?.Name ?? "";

    public bool IsAdministrator => User.IsInRole(OperatorRoles.Administrator);

    public bool IsCustomerSuccess => User.IsInRole(OperatorRoles.Administrator) || User.IsInRole(OperatorRoles.CustomerSuccess);

    /// <summary>The actor and request of the audit events this request's changes write.</summary>
    protected AuditOrigin Origin => AuditOrigin.Operator(OperatorName, HttpContext.TraceIdentifier);

    public static string Time(DateTimeOffset? at) => at is { } t ? t.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss 'UTC'", CultureInfo.InvariantCulture) : "—";

    public static string Time(long ms) => Time(DateTimeOffset.FromUnixTimeMilliseconds(ms));
}
