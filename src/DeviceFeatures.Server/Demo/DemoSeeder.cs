using System.Globalization;
using DeviceFeatures.Protocol.Admin;
using DeviceFeatures.Server.Admin;
using DeviceFeatures.Server.Hosting;
using DeviceFeatures.Server.Partners;
using DeviceFeatures.Server.Storage;
using Microsoft.Extensions.Options;

namespace DeviceFeatures.Server.Demo;

/// <summary>Section <c>Demo</c>: a partner and a user for a first try, on by default only in Development.</summary>
internal sealed class DemoOptions
{
    public const string SectionName = "Demo";

    public bool Enabled { get; set; }

    public string ClientId { get; set; } = "demo-partner";

    public string ClientSecret { get; set; } = "demo-secret";
}

/// <summary>
/// On an empty database, creates a demo partner and a user with an EU Body Pro 2 and a BPM Pro 2, then prints the
/// credentials and a copy-paste example that signs and sends a real <c>enablefeature</c>.
/// </summary>
internal sealed class DemoSeeder(
    IOptions<DemoOptions> options,
    IFeatureStore store,
    AdminService admin,
    PartnerDirectory partners,
    IConfiguration configuration,
    TextWriter console) : IStartupStep, IStartedStep
{
    internal const string UserSetting = "demo_userid";
    private string? _walkthrough;

    async Task IStartupStep.RunAsync(CancellationToken cancellationToken)
    {
        var demo = options.Value;

        // A seed file (Seed:Path) is the state its author wants: no demo partner beside it.
        if (!demo.Enabled || !string.IsNullOrEmpty(configuration["Seed:Path"]))
        {
            return;
        }

        if (await store.ReadAsync(s => s.CountPartnersAsync(), cancellationToken) == 0)
        {
            await admin.CreatePartnerAsync("Demo partner", AuditOrigin.Admin("demo-seed"), cancellationToken, demo.ClientId, demo.ClientSecret);
            var (user, _) = await admin.CreateUserAsync(
                new CreateUserRequest(demo.ClientId,
                [
                    new DeviceLink("00:24:e4:de:00:17", 17, "EU"),
                    new DeviceLink("00:24:e4:de:00:47", 47, "EU"),
                ]),
                AuditOrigin.Admin("demo-seed"),
                cancellationToken);
            await store.WriteAsync(s => s.AddSettingAsync(UserSetting, user!.Userid.ToString(CultureInfo.InvariantCulture)), cancellationToken);
        }

        var userId = await store.ReadAsync(s => s.GetSettingAsync(UserSetting), cancellationToken);
        var partner = await partners.FindAsync(demo.ClientId, cancellationToken);
        if (userId is null || partner is null || partner.Secret != demo.ClientSecret)
        {
            return;
        }

        var url = (configuration["urls"] ?? "http://127.0.0.1:5080").Split(';')[0].TrimEnd('/');
        _walkthrough = Walkthrough(url, demo.ClientId, demo.ClientSecret, userId);
    }

    /// <summary>Printed once the server listens: a server that fails to start shows no credentials.</summary>
    async Task IStartedStep.RunAsync(CancellationToken cancellationToken)
    {
        if (Interlocked.Exchange(ref _walkthrough, null) is { } text)
        {
            await console.WriteLineAsync(text);
        }
    }

    internal static string Walkthrough(string url, string clientId, string secret, string userId) => $$"""

        Demo partner (Development only)
          client_id:     {{clientId}}
          client_secret: {{secret}}
          userid:        {{userId}}  (an EU Body Pro 2, model 17, and a BPM Pro 2, model 47)

        Enable eyes-closed mode on the Body Pro 2, signed like Withings requests:
          URL={{url}} CLIENT_ID={{clientId}} SECRET={{secret}}
          TS=$(date +%s)
          SIG=$(printf 'getnonce,%s,%s' "$CLIENT_ID" "$TS" | openssl dgst -sha256 -hmac "$SECRET" | awk '{print $NF}')
          NONCE=$(curl -s "$URL/v2/signature" -d action=getnonce -d client_id=$CLIENT_ID -d timestamp=$TS -d signature=$SIG | sed -E 's/.*"nonce":"([0-9a-f]+)".*/\1/')
          SIG=$(printf 'enablefeature,%s,%s' "$CLIENT_ID" "$NONCE" | openssl dgst -sha256 -hmac "$SECRET" | awk '{print $NF}')
          curl -s "$URL/v2/device" -d action=enablefeature -d client_id=$CLIENT_ID -d nonce=$NONCE -d signature=$SIG \
               -d feature_name=feature_eyes_closed_mode -d userid={{userId}} -d model=17

        """;
}

internal static class DemoServiceCollectionExtensions
{
    public static IServiceCollection AddDemo(this IServiceCollection services)
    {
        services.AddOptions<DemoOptions>().BindConfiguration(DemoOptions.SectionName);
        services.AddSingleton(sp => ActivatorUtilities.CreateInstance<DemoSeeder>(sp, Console.Out));
        services.AddSingleton<IStartupStep>(sp => sp.GetRequiredService<DemoSeeder>());
        services.AddSingleton<IStartedStep>(sp => sp.GetRequiredService<DemoSeeder>());
        services.AddDevelopmentSigning();
        return services;
    }
}
