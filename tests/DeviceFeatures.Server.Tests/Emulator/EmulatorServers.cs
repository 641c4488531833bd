using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using DeviceFeatures.Server.Emulator;
using DeviceFeatures.Server.Tests.Infrastructure;

namespace DeviceFeatures.Server.Tests.Emulator;

/// <summary>A server with the emulator's powers on (test servers run in "Testing", where they are off by default).</summary>
public class EmulatorServer : ServerFactory
{
    public EmulatorServer(TestDatabase database, bool realClock = false)
        : base(database, NewClock(), ownsDatabase: true)
    {
        Settings["Emulator:Enabled"] = "true";
        RealClock = realClock;
    }

    /// <summary>
    /// Whether the server runs on a real <see cref="EmulatorClock"/> (around the test's fake clock, so that nothing
    /// depends on the machine's time) instead of the fake clock alone.
    /// </summary>
    public bool RealClock { get; }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        if (RealClock)
        {
            builder.ConfigureTestServices(services => services.AddSingleton<TimeProvider>(new EmulatorClock(Time)));
        }
    }
}

public sealed class EmulatorSqliteServer() : EmulatorServer(new SqliteTestDatabase());

public sealed class EmulatorPostgresServer() : EmulatorServer(new PostgresTestDatabase())
{
    public EmulatorPostgresServer OrSkip()
    {
        PostgresTestDatabase.SkipUnlessConfigured();
        return this;
    }
}

public sealed class EmulatorClockSqliteServer() : EmulatorServer(new SqliteTestDatabase(), realClock: true);

public sealed class EmulatorClockPostgresServer() : EmulatorServer(new PostgresTestDatabase(), realClock: true)
{
    public EmulatorClockPostgresServer OrSkip()
    {
        PostgresTestDatabase.SkipUnlessConfigured();
        return this;
    }
}
