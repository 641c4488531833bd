using System.Buffers.Binary;
using System.Security.Cryptography;
using BenchmarkDotNet.Attributes;
using DeviceFeatures.Protocol.Catalog;
using DeviceFeatures.Protocol.Parameters;
using DeviceFeatures.Server.ChangeEvents;
using DeviceFeatures.Server.Catalog;
using DeviceFeatures.Server.Device;
using DeviceFeatures.Server.Partners;
using DeviceFeatures.Server.Signature;
using DeviceFeatures.Server.Storage;
using DeviceFeatures.Server.Storage.Sqlite;
using DeviceFeatures.Server.Wire;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace DeviceFeatures.Benchmarks;

/// <summary>
/// The database's share of a device call on SQLite, without HTTP or signatures: what the pipeline runs in the
/// group-commit writer for a signed call (spend the nonce, then the handler, in one write), on the server's own store
/// in a file with <c>synchronous=FULL</c>. <see cref="Concurrent"/> calls are queued at once, as requests in flight
/// queue under load, so that they share commits; each is counted as one operation. The baseline spends a nonce and
/// nothing else, the least a signed call writes; the others run <see cref="FeatureService"/>'s handlers for the load
/// tool's feature and model, enable and disable in turn so that every call changes the choice. The database goes in
/// the temporary folder: with <c>TMPDIR=/dev/shm</c> the syncs cost nothing and what is left is the write path's work
/// (statements, log pages, the writer's queue), without the disk's latency.
/// </summary>
[MemoryDiagnoser]
public class DeviceCallWriteBenchmarks
{
    private const int Concurrent = 32;

    // Each user comes back every 31 invocations, an odd number: enable and disable alternate, so it always changes.
    private const int Users = Concurrent * 31;
    private const int Model = 17;

    private readonly Task<WireResult>[] _calls = new Task<WireResult>[Concurrent];
    private string _directory = "";
    private ServiceProvider _services = null!;
    private IFeatureStore _store = null!;
    private FeatureService _features = null!;
    private SqliteCheckpointer _checkpointer = null!;
    private PartnerCredentials _partner = null!;
    private FeatureRequest[] _enable = [];
    private FeatureRequest[] _get = [];
    private int _firstUserId;
    private int _next;
    private bool _active;

    [GlobalSetup]
    public void Setup() => SetupAsync().GetAwaiter().GetResult();

    private async Task SetupAsync()
    {
        _directory = Directory.CreateTempSubdirectory("devicefeatures-bench-").FullName;
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Storage:ConnectionString"] = $"Data Source={Path.Combine(_directory, "bench.db")}",
        }).Build();
        _services = new ServiceCollection()
            .AddSingleton<IConfiguration>(configuration)
            .AddLogging(l => l.SetMinimumLevel(LogLevel.Warning))
            .AddStorage()
            .AddCatalog()
            .AddSingleton<ChangeEventSignal>()
            .AddSingleton<ChangeEventWriter>()
            .AddSingleton<FeatureService>()
            .BuildServiceProvider();
        _store = _services.GetRequiredService<IFeatureStore>();
        await _store.MigrateAsync(CancellationToken.None);

        // The background checkpoints run as they do in the server, so that the log stays as short as it does there.
        _checkpointer = _services.GetServices<IHostedService>().OfType<SqliteCheckpointer>().Single();
        await _checkpointer.StartAsync(CancellationToken.None);

        var now = TimeProvider.System.GetUtcNow().ToUnixTimeMilliseconds();
        _firstUserId = await _store.WriteAsync(async s =>
        {
            await s.InsertPartnerAsync(new PartnerRow { ClientId = Inputs.ClientId, Name = "Benchmark", ClientSecret = Inputs.ClientSecret, CreatedAt = now, UpdatedAt = now });
            var first = await s.InsertUserAsync(Inputs.ClientId, now);
            for (var i = 1; i < Users; i++)
            {
                await s.InsertUserAsync(Inputs.ClientId, now);
            }

            return first;
        }, CancellationToken.None);
        _partner = new PartnerCredentials(Inputs.ClientId, Inputs.ClientSecret, null, null, false, null, TimeProvider.System.GetUtcNow());

        var catalog = _services.GetRequiredService<CatalogProvider>().Current;
        _features = _services.GetRequiredService<FeatureService>();
        _enable = [.. Enumerable.Range(_firstUserId, Users).Select(id => Request(catalog, id, Inputs.FeatureName))];
        _get = [.. Enumerable.Range(_firstUserId, Users).Select(id => Request(catalog, id, null))];
    }

    private static FeatureRequest Request(FeatureCatalog catalog, int userId, string? featureName)
    {
        var parameters = new WireParameters();
        parameters.Add(WireParameterNames.UserId, userId.ToString(System.Globalization.CultureInfo.InvariantCulture));
        parameters.Add(WireParameterNames.Model, Model.ToString(System.Globalization.CultureInfo.InvariantCulture));
        if (featureName is not null)
        {
            parameters.Add(WireParameterNames.FeatureName, featureName);
        }

        var (request, refusal) = FeatureRequest.Read(parameters, catalog, needsFeature: featureName is not null);
        return refusal is null ? request : throw new InvalidOperationException("The benchmark's request is refused before the database.");
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _checkpointer.StopAsync(CancellationToken.None).GetAwaiter().GetResult();
        _services.DisposeAsync().AsTask().GetAwaiter().GetResult();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_directory, recursive: true);
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = Concurrent)]
    public Task SpendNonce() => RunAsync(static (_, _, _) => ValueTask.FromResult(WireResult.Success), _enable);

    [Benchmark(OperationsPerInvoke = Concurrent)]
    public Task EnableOrDisable()
    {
        _active = !_active;
        var handler = _active ? _features.Enable : _features.Disable;
        return RunAsync(handler.HandleAsync, _enable);
    }

    [Benchmark(OperationsPerInvoke = Concurrent)]
    public Task GetFeatures() => RunAsync(_features.Get.HandleAsync, _get);

    // Laid out as NonceService issues them: the second of issue first, so that used nonces land at the end of their index.
    private static byte[] Nonce()
    {
        var nonce = RandomNumberGenerator.GetBytes(NonceService.ByteLength);
        BinaryPrimitives.WriteUInt32BigEndian(nonce, (uint)TimeProvider.System.GetUtcNow().ToUnixTimeSeconds());
        return nonce;
    }

    // The pipeline's write for a signed call whose partner and parameters are good (WirePipeline.RunSignedAsync).
    private async Task RunAsync(Func<SignedCall, FeatureRequest, SignedSession, ValueTask<WireResult>> handle, FeatureRequest[] requests)
    {
        var expires = TimeProvider.System.GetUtcNow().AddMinutes(10);
        for (var i = 0; i < Concurrent; i++)
        {
            var request = requests[_next++ % Users];
            var call = new SignedCall(_partner, Nonce(), expires, "bench");
            _calls[i] = _store.WriteAsync(
                async s => await SignedSession.TrySpendNonceAsync(s, call) is { } session ? await handle(call, request, session) : Refusals.UsedNonce(),
                CancellationToken.None);
        }

        foreach (var answer in await Task.WhenAll(_calls))
        {
            if (answer.Status != 0)
            {
                throw new InvalidOperationException($"A benchmarked call was refused: status {answer.Status}.");
            }
        }
    }
}
