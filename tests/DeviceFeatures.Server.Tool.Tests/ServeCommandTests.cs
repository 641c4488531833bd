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

                // The emulator's powers are on: its group answers something other than 403 emulator_disabled.
                using var admin = new HttpRequestMessage(HttpMethod.Get, "/admin/api/emulator/none");
                admin.Headers.Authorization = new("Bearer", ServeCommand.LocalAdminKey);
                using var emulator = await http.SendAsync(admin, Ct);
                Assert.NotEqual(HttpStatusCode.Forbidden, emulator.StatusCode);

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
