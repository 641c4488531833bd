using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using DeviceFeatures.Protocol.Signing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace DeviceFeatures.Server.Tool.Tests;

public sealed class ServeCommandTests
{
    private const string PostgresVariable = "DEVICEFEATURES_TEST_POSTGRES";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>SQLite always; PostgreSQL when the test run has one (CI always does).</summary>
    public static TheoryData<string> Providers()
    {
        var providers = new TheoryData<string> { "sqlite" };
        if (!string.IsNullOrEmpty(Environment.GetEnvironmentVariable(PostgresVariable)))
        {
            providers.Add("postgres");
        }

        return providers;
    }

    [Theory]
    [MemberData(nameof(Providers))]
    public async Task Serve_OnAFreePort_AnswersTheDemoPartner_AndStopsCleanly(string provider)
    {
        var folder = Directory.CreateTempSubdirectory("devicefeatures-tool-tests-");
        string? postgresDatabase = null;
        string[] storage = ["--database", Path.Combine(folder.FullName, "data", "tool.db")];
        if (provider == "postgres")
        {
            postgresDatabase = "tool_tests_" + Guid.NewGuid().ToString("n");
            await RunSqlAsync($"CREATE DATABASE {postgresDatabase}");
            storage = ["--postgres", new NpgsqlConnectionStringBuilder(Environment.GetEnvironmentVariable(PostgresVariable)) { Database = postgresDatabase }.ConnectionString];
        }

        try
        {
            var output = new StringWriter();
            var error = new StringWriter();
            var started = new TaskCompletionSource<WebApplication>(TaskCreationOptions.RunContinuationsAsynchronously);
            var run = Task.Run(() => ToolApp.RunAsync(["serve", "--port", "0", .. storage], TextWriter.Synchronized(output), TextWriter.Synchronized(error), app => started.SetResult(app)), Ct);

            var app = await Task.WhenAny(started.Task, run) == started.Task
                ? await started.Task
                : throw new InvalidOperationException($"serve ended with {await run}: {error}");
            try
            {
                var url = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
                Assert.StartsWith("http://127.0.0.1:", url, StringComparison.Ordinal);
                Assert.True(app.Configuration.GetValue<bool>("Emulator:Enabled"));
                Assert.Equal(provider, app.Configuration["Storage:Provider"]);
                Assert.Contains($"listening on {url}", output.ToString(), StringComparison.Ordinal);
                Assert.Contains(ServeCommand.LocalAdminKey, output.ToString(), StringComparison.Ordinal);

                using var http = new HttpClient { BaseAddress = new Uri(url) };
                using (var ready = await http.GetAsync("/health/ready", Ct))
                {
                    Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
                }

                // The demo partner, signed as Withings clients sign getnonce.
                var timestamp = app.Services.GetRequiredService<TimeProvider>().GetUtcNow().ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
                using var nonce = await http.PostAsync("/v2/signature", new FormUrlEncodedContent(new Dictionary<string, string>
                {
                    ["action"] = "getnonce",
                    ["client_id"] = "demo-partner",
                    ["timestamp"] = timestamp,
                    ["signature"] = WithingsSignature.Sign("demo-secret", "getnonce", "demo-partner", timestamp),
                }), Ct);
                var answer = await nonce.Content.ReadFromJsonAsync<JsonElement>(Ct);
                Assert.Equal(0, answer.GetProperty("status").GetInt32());
                Assert.Equal(40, answer.GetProperty("body").GetProperty("nonce").GetString()!.Length);

                // The emulator's powers are on: its clock answers instead of 403 emulator_disabled.
                using var admin = new HttpRequestMessage(HttpMethod.Get, "/admin/api/emulator/clock");
                admin.Headers.Authorization = new("Bearer", ServeCommand.LocalAdminKey);
                using var emulator = await http.SendAsync(admin, Ct);
                Assert.Equal(HttpStatusCode.OK, emulator.StatusCode);

                using var wire = await http.GetAsync("/openapi/wire.json", Ct);
                Assert.Equal(HttpStatusCode.OK, wire.StatusCode);
            }
            finally
            {
                app.Lifetime.StopApplication();
            }

            Assert.Equal(0, await run);
        }
        finally
        {
            if (postgresDatabase is not null)
            {
                NpgsqlConnection.ClearAllPools();
                await RunSqlAsync($"DROP DATABASE IF EXISTS {postgresDatabase} WITH (FORCE)");
            }

            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            folder.Delete(recursive: true);
        }
    }

    /// <summary>The documented fixture, served by the tool: its partner signs, and the demo partner is not there.</summary>
    [Fact]
    public async Task Serve_WithTheExampleFixture_AnswersItsPartner_AndNotTheDemoPartner()
    {
        var folder = Directory.CreateTempSubdirectory("devicefeatures-tool-tests-");
        var fixture = Path.Combine(AppContext.BaseDirectory, "fixture.json");
        try
        {
            var output = new StringWriter();
            var error = new StringWriter();
            var started = new TaskCompletionSource<WebApplication>(TaskCreationOptions.RunContinuationsAsynchronously);
            var run = Task.Run(() => ToolApp.RunAsync(
                ["serve", "--port", "0", "--seed", fixture, "--database", Path.Combine(folder.FullName, "tool.db")],
                TextWriter.Synchronized(output), TextWriter.Synchronized(error), app => started.SetResult(app)), Ct);

            var app = await Task.WhenAny(started.Task, run) == started.Task
                ? await started.Task
                : throw new InvalidOperationException($"serve ended with {await run}: {error}");
            try
            {
                var url = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
                using var http = new HttpClient { BaseAddress = new Uri(url) };
                var time = app.Services.GetRequiredService<TimeProvider>();

                Assert.Equal(0, await GetNonceStatusAsync(http, time, "fixture-partner", "fixture-secret"));
                Assert.NotEqual(0, await GetNonceStatusAsync(http, time, "demo-partner", "demo-secret"));
            }
            finally
            {
                app.Lifetime.StopApplication();
            }

            Assert.Equal(0, await run);
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            folder.Delete(recursive: true);
        }
    }

    private static async Task<int> GetNonceStatusAsync(HttpClient http, TimeProvider time, string clientId, string secret)
    {
        var timestamp = time.GetUtcNow().ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        using var answer = await http.PostAsync("/v2/signature", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["action"] = "getnonce",
            ["client_id"] = clientId,
            ["timestamp"] = timestamp,
            ["signature"] = WithingsSignature.Sign(secret, "getnonce", clientId, timestamp),
        }), Ct);
        return (await answer.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("status").GetInt32();
    }

    [Fact]
    public void ServerArguments_ByDefault_AreALocalDevelopmentServerWithTheDemoPartner()
    {
        var arguments = new ServeSettings(5080, null, null, null, null).ServerArguments("/work/here").ToList();

        Assert.Contains("--environment=Development", arguments);
        Assert.Contains("--urls=http://127.0.0.1:5080", arguments);
        Assert.Contains("--Emulator:Enabled=true", arguments);
        Assert.Contains("--Demo:Enabled=true", arguments);
        Assert.Contains($"--Admin:ApiKey={ServeCommand.LocalAdminKey}", arguments);
        Assert.Contains("--Storage:Provider=sqlite", arguments);
        Assert.Contains($"--Storage:ConnectionString=Data Source={Path.GetFullPath("/work/here/devicefeatures/devicefeatures.db")}", arguments);
        Assert.DoesNotContain(arguments, a => a.StartsWith("--Seed:", StringComparison.Ordinal));
    }

    [Fact]
    public void ServerArguments_WithAFixture_SetSeedPath_AndLeaveTheDemoPartnerOut()
    {
        var arguments = new ServeSettings(6000, "/fixtures/suite.json", null, "Host=db;Database=x", "an-admin-key-of-at-least-32-characters")
            .ServerArguments("/work/here").ToList();

        Assert.Contains("--Seed:Path=/fixtures/suite.json", arguments);
        Assert.Contains("--Demo:Enabled=false", arguments);
        Assert.Contains("--Storage:Provider=postgres", arguments);
        Assert.Contains("--Storage:ConnectionString=Host=db;Database=x", arguments);
        Assert.Contains("--Admin:ApiKey=an-admin-key-of-at-least-32-characters", arguments);
        Assert.Contains("--urls=http://127.0.0.1:6000", arguments);
    }

    [Fact]
    public async Task Serve_WithAFixtureThatDoesNotExist_IsAUsageError()
    {
        var error = new StringWriter();
        var code = await ToolApp.RunAsync(["serve", "--seed", "/nowhere/fixture.json"], TextWriter.Null, error);

        Assert.Equal(ServeCommand.UsageExitCode, code);
        Assert.Contains("/nowhere/fixture.json", error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Serve_WithBothDatabases_IsAUsageError()
    {
        var error = new StringWriter();
        var code = await ToolApp.RunAsync(["serve", "--database", "a.db", "--postgres", "Host=x"], TextWriter.Null, error);

        Assert.Equal(ServeCommand.UsageExitCode, code);
        Assert.Contains("not both", error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Serve_WithAnUnknownOption_IsAUsageError_ButWhatFollowsTheSeparatorIsTheServers()
    {
        var error = new StringWriter();
        var code = await ToolApp.RunAsync(["serve", "--admin-kee", "an-admin-key-of-at-least-32-characters"], TextWriter.Null, error);

        Assert.Equal(ServeCommand.UsageExitCode, code);
        Assert.Contains("--admin-kee", error.ToString(), StringComparison.Ordinal);

        // After '--' nothing is the tool's: a setting there reaches the validation of the tool's own options only through --urls.
        error = new StringWriter();
        code = await ToolApp.RunAsync(["serve", "--database", "a.db", "--postgres", "Host=x", "--", "--Some:Setting=1"], TextWriter.Null, error);
        Assert.Equal(ServeCommand.UsageExitCode, code);
        Assert.DoesNotContain("Some:Setting", error.ToString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--urls=http://0.0.0.0:5080")]
    [InlineData("--Urls=http://*:5080")]
    [InlineData("--urls=http://127.0.0.1:5080;http://192.0.2.10:5080")]
    public async Task Serve_OnANonLoopbackAddress_WithThePublicAdminKey_IsAUsageError(string urls)
    {
        var error = new StringWriter();
        var code = await ToolApp.RunAsync(["serve", "--", urls], TextWriter.Null, error);

        Assert.Equal(ServeCommand.UsageExitCode, code);
        Assert.Contains("--admin-key", error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void NonLoopbackUrl_FindsEveryFormOfUrls_AndKnowsTheLoopbackOnes()
    {
        Assert.Null(ServeCommand.NonLoopbackUrl(["--urls=http://127.0.0.1:5080;http://localhost:5081;http://[::1]:5082"]));
        Assert.Null(ServeCommand.NonLoopbackUrl(["--RateLimit:DefaultRequestsPerMinute=20"]));
        Assert.Equal("http://0.0.0.0:1", ServeCommand.NonLoopbackUrl(["--urls", "http://0.0.0.0:1"]));
        Assert.Equal("http://+:1", ServeCommand.NonLoopbackUrl(["/URLS=http://+:1"]));
        Assert.True(ServeCommand.GivesAdminKey(["--Admin:ApiKey=an-admin-key-of-at-least-32-characters"]));
    }

    [Fact]
    public async Task Serve_WithAKeyOfYourOwn_NeverPrintsIt()
    {
        const string Key = "a-private-admin-key-of-at-least-32-characters";
        var folder = Directory.CreateTempSubdirectory("devicefeatures-tool-tests-");
        try
        {
            var output = new StringWriter();
            var error = new StringWriter();
            var started = new TaskCompletionSource<WebApplication>(TaskCreationOptions.RunContinuationsAsynchronously);
            var run = Task.Run(() => ToolApp.RunAsync(
                ["serve", "--port", "0", "--admin-key", Key, "--database", Path.Combine(folder.FullName, "tool.db")],
                TextWriter.Synchronized(output), TextWriter.Synchronized(error), app => started.SetResult(app)), Ct);
            var app = await Task.WhenAny(started.Task, run) == started.Task
                ? await started.Task
                : throw new InvalidOperationException($"serve ended with {await run}: {error}");
            try
            {
                Assert.Equal(Key, app.Configuration["Admin:ApiKey"]);
                Assert.Contains("the key you gave", output.ToString(), StringComparison.Ordinal);
                Assert.DoesNotContain(Key, output.ToString(), StringComparison.Ordinal);
                Assert.DoesNotContain(Key, error.ToString(), StringComparison.Ordinal);
            }
            finally
            {
                app.Lifetime.StopApplication();
            }

            Assert.Equal(0, await run);
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            folder.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task Version_PrintsThePackageVersion()
    {
        var output = new StringWriter();
        var code = await ToolApp.RunAsync(["--version"], output, TextWriter.Null);

        Assert.Equal(0, code);
        Assert.StartsWith("1.", output.ToString().Trim(), StringComparison.Ordinal);
    }

    private static async Task RunSqlAsync(string sql)
    {
        await using var connection = new NpgsqlConnection(Environment.GetEnvironmentVariable(PostgresVariable));
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }
}
