using System.Net;
using System.Net.Sockets;
using DeviceFeatures.Server.Hosting;
using DeviceFeatures.Server.Tests.Infrastructure;

namespace DeviceFeatures.Server.Tests.Hosting;

/// <summary>
/// Each start-up failure a person can fix, as that person sees it: the real server process, one line on standard
/// error naming the setting or path, the documented exit code, no stack trace and no credentials printed.
/// </summary>
public sealed class StartupFailureTests : IDisposable
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(60);
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "devicefeatures-startup-" + Guid.NewGuid().ToString("n"));

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private string Sqlite => $"--Storage:ConnectionString=Data Source={Path.Combine(_directory, "devicefeatures.db")}";

    [Fact]
    public async Task PortInUse_IsOneLineNamingTheAddress_BeforeAnyCredentialIsPrinted()
    {
        using var taken = new TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        var port = ((IPEndPoint)taken.LocalEndpoint).Port;

        var (_, output, error) = await RunAsync("Development", $"--urls=http://127.0.0.1:{port}", Sqlite, "--Admin:ApiKey=");

        AssertFailure(StartupExitCodes.Unavailable, error, $"http://127.0.0.1:{port}", "Urls");
        Assert.DoesNotContain("ADMIN_KEY", output, StringComparison.Ordinal);
        Assert.DoesNotContain("client_secret", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task UnknownStorageProvider_IsAConfigurationError()
    {
        var (_, _, error) = await RunAsync("Production", "--Storage:Provider=mysql", Sqlite);
        AssertFailure(StartupExitCodes.Configuration, error, "Storage:Provider must be 'sqlite' or 'postgres'");
    }

    [Fact]
    public async Task PostgresProvider_WithTheSqliteDefaultConnectionString_SaysWhichKindIsExpected()
    {
        var (_, _, error) = await RunAsync("Production", "--Storage:Provider=postgres");
        AssertFailure(StartupExitCodes.Configuration, error, "Storage:ConnectionString is not a PostgreSQL connection string", "Host=");
    }

    [Fact]
    public async Task SqliteProvider_WithAPostgresConnectionString_SaysWhichKindIsExpected()
    {
        var (_, _, error) = await RunAsync("Production", "--Storage:ConnectionString=Host=127.0.0.1;Username=postgres");
        AssertFailure(StartupExitCodes.Configuration, error, "Storage:ConnectionString is not a SQLite connection string", "Data Source=");
    }

    [Fact]
    public async Task PostgresThatDoesNotAnswer_IsUnavailable()
    {
        using var closed = new TcpListener(IPAddress.Loopback, 0);
        closed.Start();
        var port = ((IPEndPoint)closed.LocalEndpoint).Port;
        closed.Stop();

        var (_, _, error) = await RunAsync("Production", "--Storage:Provider=postgres",
            $"--Storage:ConnectionString=Host=127.0.0.1;Port={port};Username=postgres;Timeout=2");
        AssertFailure(StartupExitCodes.Unavailable, error, "does not answer", "Storage:ConnectionString");
    }

    [Fact]
    public async Task SecretsKey_ThatIsNotAKey_SaysHowToMakeOne()
    {
        var (_, _, error) = await RunAsync("Production", Sqlite, "--Secrets:Key=not-a-key");
        AssertFailure(StartupExitCodes.Configuration, error, "Secrets:Key must be the base64 of 32 random bytes", "openssl rand -base64 32");
    }

    [Fact]
    public async Task SecretsKey_ThatDoesNotDecryptTheStoredSecrets_StopsTheStart()
    {
        var first = Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));
        var database = Path.Combine(_directory, "devicefeatures.db");
        await using (var server = await ServerProcess.StartAsync(
            new Dictionary<string, string> { ["Storage:ConnectionString"] = $"Data Source={database}", ["Secrets:Key"] = first, ["Demo:Enabled"] = "true" },
            ServerProcess.FreePort(), Ct))
        {
        }

        var other = Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));
        var (_, _, error) = await RunAsync("Production", Sqlite, $"--Secrets:Key={other}");
        AssertFailure(StartupExitCodes.Configuration, error, "Secrets:Key does not decrypt the partners' stored secrets");
    }

    [Fact]
    public async Task CatalogPath_ThatCannotBeRead_NamesThePath()
    {
        var (_, _, error) = await RunAsync("Production", Sqlite, "--Catalog:Path=/nonexistent/catalog.json");
        AssertFailure(StartupExitCodes.Configuration, error, "Catalog:Path '/nonexistent/catalog.json' cannot be read");
    }

    [Fact]
    public async Task OptionOutOfRange_NamesTheSetting()
    {
        var (_, _, error) = await RunAsync("Production", Sqlite, "--Signature:NonceLifetimeSeconds=0");
        AssertFailure(StartupExitCodes.Configuration, error, "NonceLifetimeSeconds");
    }

    [Theory]
    [InlineData("Production")]
    [InlineData("Development")]
    public async Task AdminKeyTooShort_IsAConfigurationError_WithoutEchoingTheKey(string environment)
    {
        var (_, output, error) = await RunAsync(environment, Sqlite, "--Admin:ApiKey=a-short-key");
        AssertFailure(StartupExitCodes.Configuration, error, "Admin:ApiKey", "32 characters");
        Assert.DoesNotContain("a-short-key", output + error, StringComparison.Ordinal);
    }

    private async Task<(int ExitCode, string Output, string Error)> RunAsync(string environment, params string[] arguments)
    {
        var all = arguments.Any(a => a.StartsWith("--urls=", StringComparison.Ordinal))
            ? arguments.ToList()
            : [$"--urls=http://127.0.0.1:{ServerProcess.FreePort()}", .. arguments];
        var result = await ServerProcess.RunToExitAsync(all, environment, Limit, Ct);
        _last = result;
        return result;
    }

    private (int ExitCode, string Output, string Error) _last;

    private void AssertFailure(int exitCode, string error, params string[] expected)
    {
        Assert.Equal(exitCode, _last.ExitCode);
        Assert.DoesNotContain("   at ", _last.Output + _last.Error, StringComparison.Ordinal);
        var line = Assert.Single(error.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        Assert.StartsWith("error: ", line, StringComparison.Ordinal);
        foreach (var text in expected)
        {
            Assert.Contains(text, line, StringComparison.Ordinal);
        }
    }

    public void Dispose()
    {
        if (Directory.Exists(_directory))
        {
            Directory.Delete(_directory, recursive: true);
        }
    }
}

/// <summary>The first start a new user makes: what the console shows besides the credentials.</summary>
public sealed class FirstStartTests : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "devicefeatures-first-start-" + Guid.NewGuid().ToString("n"));

    [Fact]
    public async Task CleanFirstStart_InDevelopment_PrintsNoStackTraceAndOnlyTheSecretsKeyWarning()
    {
        var database = Path.Combine(_directory, "data", "devicefeatures.db");
        string output;
        await using (var server = await ServerProcess.StartAsync(
            [$"--Storage:ConnectionString=Data Source={database}", "--Admin:ApiKey="], "Development", ServerProcess.FreePort(),
            TestContext.Current.CancellationToken))
        {
            // The walkthrough is printed once the server listens, so it may come just after the first ready answer.
            for (var wait = 0; wait < 100 && !server.Output.Contains("client_id:", StringComparison.Ordinal); wait++)
            {
                await Task.Delay(50, TestContext.Current.CancellationToken);
            }

            output = server.Output;
        }

        Assert.Contains("export ADMIN_KEY=dfadm_", output, StringComparison.Ordinal);
        Assert.Contains("client_id:     demo-partner", output, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", output, StringComparison.Ordinal);
        Assert.DoesNotContain("fail:", output, StringComparison.Ordinal);
        Assert.DoesNotContain("crit:", output, StringComparison.Ordinal);
        var warnings = output.Split('\n').Where(l => l.StartsWith("warn:", StringComparison.Ordinal)).ToArray();
        var warning = Assert.Single(warnings);
        Assert.Contains("SecretKeyStep", warning, StringComparison.Ordinal);
        Assert.Contains("Secrets:Key is not set", output, StringComparison.Ordinal);
    }

    public void Dispose()
    {
        if (Directory.Exists(_directory))
        {
            Directory.Delete(_directory, recursive: true);
        }
    }
}
