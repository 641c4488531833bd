using System.CommandLine;

namespace DeviceFeatures.Seed;

// A named class rather than top-level statements: the server's top-level Program is public, and the tests reference
// both assemblies.
public static class Program
{
    public static async Task<int> Main(string[] args)
    {
        var provider = new Option<string>("--provider")
        {
            Description = "sqlite or postgres, as Storage:Provider.",
            DefaultValueFactory = _ => "sqlite",
        };
        provider.AcceptOnlyFromAmong("sqlite", "postgres");
        var connectionString = new Option<string>("--connection-string")
        {
            Description = "The database, as Storage:ConnectionString (migrated first if needed).",
            Required = true,
        };
        var users = new Option<int>("--users") { Description = "How many users to add.", DefaultValueFactory = _ => 100_000 };
        var choices = new Option<int>("--choices") { Description = "Recorded choices per user (on the Body Pro 2).", DefaultValueFactory = _ => 5 };
        var clientId = new Option<string>("--client-id") { Description = "The partner that owns the users (created if missing).", DefaultValueFactory = _ => "seed-partner" };
        var clientSecret = new Option<string>("--client-secret") { Description = "Its secret, when it is created.", DefaultValueFactory = _ => "seed-secret" };
        var batch = new Option<int>("--batch") { Description = "SQLite: users per transaction.", DefaultValueFactory = _ => 50_000 };

        var root = new RootCommand("Fills a DeviceFeatures database with users, one Body Pro 2 each, and their recorded choices.")
        {
            provider, connectionString, users, choices, clientId, clientSecret, batch,
        };
        root.SetAction((result, cancellationToken) =>
        {
            var plan = new SeedPlan(
                result.GetRequiredValue(provider),
                result.GetRequiredValue(connectionString),
                result.GetValue(users),
                result.GetValue(choices),
                result.GetRequiredValue(clientId),
                result.GetRequiredValue(clientSecret),
                result.GetValue(batch));
            return Seeder.RunAsync(plan, Console.Out, Console.Error, cancellationToken);
        });

        return await root.Parse(args).InvokeAsync();
    }
}
