using System.Globalization;
using DeviceFeatures.Protocol.Admin;
using DeviceFeatures.Server.Admin;
using DeviceFeatures.Server.Device;
using DeviceFeatures.Server.Storage;
using Microsoft.AspNetCore.Mvc;

namespace DeviceFeatures.Server.OperatorConsole.Pages;

/// <summary>Finds a user and shows the admin API's effective view of the user's devices.</summary>
internal sealed class UsersModel(AdminService admin, IFeatureStore store) : ConsolePageModel
{
    public static readonly IReadOnlyList<(string Value, string Label)> Kinds =
        [("userid", "userid"), ("external_id", "external_id"), ("email", "email"), ("mac", "device MAC address")];

    [BindProperty(SupportsGet = true)]
    public string? By { get; set; }

    [BindProperty(SupportsGet = true)]
    public string? Q { get; set; }

    public IReadOnlyList<int> Matches { get; private set; } = [];

    public UserFeatureState? State { get; private set; }

    public static string SourceLabel(string source) => source switch
    {
        FeatureSources.Choice => "the user's choice",
        FeatureSources.Programme => "the partner's programme",
        FeatureSources.Default => "the catalog default",
        FeatureSources.Terminated => "default (device terminated)",
        _ => source,
    };

    public async Task OnGetAsync(CancellationToken cancellationToken)
    {
        var q = Q?.Trim();
        if (string.IsNullOrEmpty(q))
        {
            return;
        }

        switch (By)
        {
            case "external_id":
                Matches = await store.ReadAsync(s => s.FindUsersByExternalIdAsync(q), cancellationToken).ConfigureAwait(false);
                break;
            case "email":
                Matches = await store.ReadAsync(s => s.FindUsersByEmailAsync(q), cancellationToken).ConfigureAwait(false);
                break;
            case "mac":
                if (MacAddress.Normalize(q) is not { } mac)
                {
                    Error = "A MAC address is six hexadecimal byte pairs, e.g. 00:24:e4:12:34:56.";
                    return;
                }

                Matches = await store.ReadAsync(s => s.FindUsersByMacAddressAsync(mac), cancellationToken).ConfigureAwait(false);
                break;
            default:
                if (!int.TryParse(q, NumberStyles.None, CultureInfo.InvariantCulture, out var userId))
                {
                    Error = "A userid is a whole number.";
                    return;
                }

                Matches = [userId];
                break;
        }

        if (Matches.Count == 0)
        {
            Error = "No user matches.";
        }
        else if (Matches.Count == 1)
        {
            (State, var error) = await admin.GetEffectiveFeaturesAsync(Matches[0], cancellationToken).ConfigureAwait(false);
            Error = error?.Detail;
        }
    }
}
