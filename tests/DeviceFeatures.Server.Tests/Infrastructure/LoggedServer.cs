using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;

namespace DeviceFeatures.Server.Tests.Infrastructure;

/// <summary>
/// A server whose log lines are kept, at the levels the shipped configuration writes (not Trace): what an operator's
/// log would hold.
/// </summary>
public sealed class LoggedServer(TestDatabase database, FakeTimeProvider time) : ServerFactory(database, time, ownsDatabase: true)
{
    public CapturingLoggerProvider Logs { get; } = new();

    /// <summary>The captured lines at <paramref name="level"/> or above.</summary>
    public List<string> LinesAtOrAbove(LogLevel level) =>
        Logs.Lines.Where(line => Enum.TryParse<LogLevel>(line[..line.IndexOf(' ', StringComparison.Ordinal)], out var at) && at >= level).ToList();

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.ConfigureTestServices(services => services.AddSingleton<ILoggerProvider>(Logs));
    }
}

/// <summary>A fake clock that can be made to fail once, to reach the server's last-resort handler with a real request.</summary>
public sealed class BreakableClock() : FakeTimeProvider(ServerFactory.NewClock().GetUtcNow())
{
    private int _broken;

    /// <summary>The next reading of the clock throws; the ones after it work again.</summary>
    public void BreakOnce() => Volatile.Write(ref _broken, 1);

    public override DateTimeOffset GetUtcNow() =>
        Interlocked.Exchange(ref _broken, 0) == 1 ? throw new InvalidOperationException("The clock is broken on purpose.") : base.GetUtcNow();
}
