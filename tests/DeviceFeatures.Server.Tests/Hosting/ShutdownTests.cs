using DeviceFeatures.Server.Tests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace DeviceFeatures.Server.Tests.Hosting;

/// <summary>A graceful shutdown finishes the requests in flight, and answers them only once their change is committed.</summary>
public sealed class ShutdownTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private sealed class SignallingServer() : ServerFactory(new SqliteTestDatabase(), NewClock(), ownsDatabase: true)
    {
        public TaskCompletionSource DeviceRequestArrived { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            base.ConfigureWebHost(builder);
            builder.ConfigureTestServices(services => services.AddSingleton<IStartupFilter>(new Signal(this)));
        }

        private sealed class Signal(SignallingServer server) : IStartupFilter
        {
            public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
            {
                app.Use((context, nextMiddleware) =>
                {
                    if (context.Request.Path == "/v2/device")
                    {
                        server.DeviceRequestArrived.TrySetResult();
                    }

                    return nextMiddleware(context);
                });
                next(app);
            };
        }
    }

    [Fact]
    public async Task Stopping_FinishesTheRequestInFlight_AndItsChangeIsCommitted()
    {
        using var server = new SignallingServer();
        server.UseKestrel(0);
        server.StartServer();
        var partner = await server.CreatePartnerAsync();
        var signed = await partner.SignedAsync("enablefeature", TestPartner.Feature(partner.UserId, 17, "feature_pacemaker"));

        // Another writer holds the database, so the request waits inside its transaction.
        await using var blocker = new SqliteConnection($"Data Source={((SqliteTestDatabase)server.Database).Path};Pooling=False");
        await blocker.OpenAsync(Ct);
        await using var hold = blocker.CreateCommand();
        hold.CommandText = "BEGIN IMMEDIATE";
        await hold.ExecuteNonQueryAsync(Ct);

        var inFlight = partner.PostFormAsync("/v2/device", signed);
        await server.DeviceRequestArrived.Task.WaitAsync(Ct);

        var lifetime = server.Services.GetRequiredService<IHostApplicationLifetime>();
        lifetime.StopApplication();
        await Task.Run(() => lifetime.ApplicationStopping.WaitHandle.WaitOne(), Ct);
        Assert.False(inFlight.IsCompleted);

        hold.CommandText = "ROLLBACK";
        await hold.ExecuteNonQueryAsync(Ct);

        var answer = await inFlight;
        Assert.Equal(0, answer.Status);
        Assert.Equal(1, Sql.Scalar(server,
            $"SELECT COUNT(*) FROM choices WHERE userid = {partner.UserId} AND feature_name = 'feature_pacemaker' AND active = 1"));
        Assert.Equal(1, Sql.Scalar(server,
            $"SELECT COUNT(*) FROM audit_events WHERE userid = {partner.UserId} AND kind = 'feature.enabled'"));
    }
}
