namespace DeviceFeatures.Server.Tests.Infrastructure;

/// <summary>
/// The base of a suite whose tests start servers of their own (restarts, clocks, settings): the derived
/// <c>...OnSqlite</c> and <c>...OnPostgres</c> classes only say which database a new server gets.
/// </summary>
public abstract class OwnServerTests
{
    protected abstract TestDatabase NewDatabase();

    /// <summary>A server on a fresh database that it owns and drops when disposed.</summary>
    protected ServerFactory NewServer() => new(NewDatabase(), ServerFactory.NewClock(), ownsDatabase: true);
}
