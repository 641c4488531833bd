using DeviceFeatures.Server.Hosting;
using DeviceFeatures.Server.Storage;
using Microsoft.Extensions.Options;

namespace DeviceFeatures.Server.OperatorConsole;

/// <summary>
/// A server that starts with no operator creates the administrator <c>admin</c> with a generated password, and prints
/// the password once it listens, like the generated admin key: only its hash is kept, so it is never shown again.
/// </summary>
internal sealed class FirstAdministratorStep(IOptions<ConsoleOptions> options, IFeatureStore store, OperatorAccounts accounts, TextWriter console)
    : IStartupStep, IStartedStep
{
    public const string Name = "admin";
    private string? _password;

    async Task IStartupStep.RunAsync(CancellationToken cancellationToken)
    {
        if (!options.Value.CreateFirstAdministrator || await store.ReadAsync(s => s.CountOperatorsAsync(), cancellationToken) > 0)
        {
            return;
        }

        // Two instances starting together on one database: the name is the key, and only the one that created it prints.
        var (created, _) = await accounts.CreateAsync(Name, OperatorRoles.Administrator, null, origin: null, cancellationToken);
        _password = created?.Password;
    }

    async Task IStartedStep.RunAsync(CancellationToken cancellationToken)
    {
        if (Interlocked.Exchange(ref _password, null) is { } password)
        {
            // On the console rather than in the logs, like the admin key.
            await console.WriteLineAsync($"""

                Operator console: sign in at /console as '{Name}' with this password (shown only now):
                    {password}

                """);
        }
    }
}
