using System.Reflection;

namespace DeviceFeatures.Server.Tests.Infrastructure;

/// <summary>Whether this run has the PostgreSQL halves of the suites, said once.</summary>
public sealed class PostgresAvailabilityTests
{
    [Fact]
    public void PostgresServer_IsConfigured_ElseThePostgresTestsAreLeftOut()
    {
        if (!PostgresTestDatabase.IsConfigured)
        {
            // Shown in the output of dotnet test, where a skipped test's reason is not.
            TestContext.Current.SendDiagnosticMessage(PostgresTestDatabase.SkipReason);
        }

        PostgresTestDatabase.SkipUnlessConfigured();
        using var database = new PostgresTestDatabase();
        using var connection = database.Open();
        Assert.Equal(System.Data.ConnectionState.Open, connection.State);
    }

    [Fact]
    public void EveryPostgresTest_CarriesTheTraitThatLeavesItOutWithoutAServer()
    {
        var unmarked =
            from type in typeof(PostgresAvailabilityTests).Assembly.GetTypes()
            where !type.IsAbstract && type != typeof(PostgresAvailabilityTests)
            from method in type.GetMethods(BindingFlags.Public | BindingFlags.Instance)
            where method.GetCustomAttributes<FactAttribute>().Any()
                // A suite's PostgreSQL half, or a test named for it (not one that only names the provider in a setting).
                && (type.Name.Contains("Postgres", StringComparison.Ordinal) || method.Name.EndsWith("OnPostgres", StringComparison.Ordinal))
                && type.GetCustomAttribute<NeedsPostgresAttribute>() is null
                && method.GetCustomAttribute<NeedsPostgresAttribute>() is null
            select $"{type.Name}.{method.Name}";

        Assert.Empty(unmarked);
    }
}
