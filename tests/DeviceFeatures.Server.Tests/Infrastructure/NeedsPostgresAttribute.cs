using Xunit.v3;

namespace DeviceFeatures.Server.Tests.Infrastructure;

/// <summary>
/// Marks a test (or a class of tests) that needs the PostgreSQL server named by
/// <see cref="PostgresTestDatabase.Variable"/>, with the trait <c>Database=PostgreSQL</c>. Without the variable,
/// <c>dotnet test</c> leaves these tests out of the run (see the project file) and
/// <see cref="PostgresAvailabilityTests"/> says why, once, instead of a skipped line per test.
/// </summary>
[AttributeUsage(AttributeTargets.Class | AttributeTargets.Method)]
public sealed class NeedsPostgresAttribute : Attribute, ITraitAttribute
{
    public const string Trait = "Database";
    public const string Value = "PostgreSQL";

    public IReadOnlyCollection<KeyValuePair<string, string>> GetTraits() => [new(Trait, Value)];
}
