using System.CommandLine;
using Microsoft.AspNetCore.Builder;
using System.Globalization;
using System.Reflection;
using DeviceFeatures.Server.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;

namespace DeviceFeatures.Server.Tool;

/// <summary>
/// <c>devicefeatures serve</c>: the server with the defaults of a developer's machine. Every default is a setting the
/// command line can still override (<c>-- --Section:Key=value</c>: what follows <c>--</c> is passed to the server as
/// is), except that a server on the public admin key listens on the loopback interface only.
/// </summary>
internal static class ServeCommand
{
    public const int UsageExitCode = 2;

    /// <summary>
    /// The admin key when none is given: public, like the demo partner's secret, and as safe as they are because the
    /// server listens on the loopback interface only unless told otherwise. The same key as the host's Development
    /// settings, so one devfeat profile serves both.
    /// </summary>
    public const string LocalAdminKey = "dev-admin-key-not-secret-local-only";

    public const string DefaultDataFolder = "devicefeatures";

    public static Command Create(TextWriter output, TextWriter error, Action<WebApplication>? started, IReadOnlyList<string> serverSettings)
    {
        var port = new Option<int>("--port", "-p")
        {
            Description = "The port to listen on, on 127.0.0.1 (0: any free port, printed at start)",
            DefaultValueFactory = _ => 5080,
        };
        var seed = new Option<FileInfo>("--seed")
        {
            Description = "A fixture (the document of GET /admin/api/emulator/snapshot) loaded into an empty database at start (setting Seed:Path); without it a demo partner is created",
        };
        var database = new Option<string>("--database")
        {
            Description = $"The SQLite database file (default: ./{DefaultDataFolder}/devicefeatures.db, created if needed)",
        };
        var postgres = new Option<string>("--postgres")
        {
            Description = "A PostgreSQL connection string to use instead of SQLite, e.g. 'Host=localhost;Database=devicefeatures;Username=app;Password=...'",
        };
        var adminKey = new Option<string>("--admin-key")
        {
            Description = "The admin API's key, at least 32 characters (default: a fixed local key, printed at start)",
        };
        var command = new Command("serve", "Run the server as a local Withings, with the emulator's powers on")
        {
            port, seed, database, postgres, adminKey,
        };
        command.TreatUnmatchedTokensAsErrors = true;
        command.Validators.Add(result =>
        {
            if (result.GetValue(adminKey) is null && !GivesAdminKey(serverSettings) && NonLoopbackUrl(serverSettings) is { } url)
            {
                result.AddError($"{url} is not a loopback address, and the admin key is the public default: give your own --admin-key.");
            }

            if (result.GetResult(database) is not null && result.GetResult(postgres) is not null)
            {
                result.AddError("Give --database (SQLite) or --postgres, not both.");
            }

            if (result.GetValue(port) is < 0 or > 65535)
            {
                result.AddError("--port must be from 0 to 65535.");
            }
        });

        command.SetAction(async parse =>
        {
            var settings = new ServeSettings(
                parse.GetValue(port),
                parse.GetValue(seed)?.FullName,
                parse.GetValue(database),
                parse.GetValue(postgres),
                parse.GetValue(adminKey) ?? (GivesAdminKey(serverSettings) ? "" : null));
            if (settings.SeedPath is { } path && !File.Exists(path))
            {
                await error.WriteLineAsync($"error: the fixture {path} (--seed) does not exist.");
                return UsageExitCode;
            }

            return await ServerRunner.RunAsync(
                [.. settings.ServerArguments(Directory.GetCurrentDirectory()), .. serverSettings],
                configureApp: app => app.Lifetime.ApplicationStarted.Register(() =>
                {
                    output.WriteLine(Banner(app, settings));
                    started?.Invoke(app);
                }),
                error: error);
        });
        return command;
    }

    /// <summary>Whether the server's own settings set the admin key (<c>--Admin:ApiKey=...</c>).</summary>
    internal static bool GivesAdminKey(IReadOnlyList<string> serverSettings) =>
        serverSettings.Any(a => a.TrimStart('-', '/').StartsWith("Admin:ApiKey", StringComparison.OrdinalIgnoreCase));

    /// <summary>
    /// The first address of a <c>--urls</c> among the server's own settings (<c>--urls=X</c> or <c>--urls X</c>, any
    /// case, several separated by ';') that is not on the loopback interface, or null.
    /// </summary>
    internal static string? NonLoopbackUrl(IReadOnlyList<string> serverSettings)
    {
        for (var i = 0; i < serverSettings.Count; i++)
        {
            var token = serverSettings[i].TrimStart('-', '/');
            string? value = null;
            if (token.StartsWith("urls=", StringComparison.OrdinalIgnoreCase))
            {
                value = token["urls=".Length..];
            }
            else if (token.Equals("urls", StringComparison.OrdinalIgnoreCase) && i + 1 < serverSettings.Count)
            {
                value = serverSettings[i + 1];
            }

            foreach (var url in (value ?? "").Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                if (!IsLoopback(url))
                {
                    return url;
                }
            }
        }

        return null;
    }

    // "http://*:5080", "http://+:5080" and "http://0.0.0.0:5080" listen everywhere; "localhost" and 127.x / ::1 do not.
    private static bool IsLoopback(string url)
    {
        if (!Uri.TryCreate(url.Replace("*", "any-host", StringComparison.Ordinal).Replace("+", "any-host", StringComparison.Ordinal), UriKind.Absolute, out var uri))
        {
            return false;
        }

        return uri.IsLoopback || (System.Net.IPAddress.TryParse(uri.Host.Trim('[', ']'), out var address) && System.Net.IPAddress.IsLoopback(address));
    }

    /// <summary>What the person who started it needs: where it listens, its admin key, where its data is.</summary>
    private static string Banner(WebApplication app, ServeSettings settings)
    {
        var url = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses.FirstOrDefault()
            ?? settings.Url;
        var version = typeof(ServeCommand).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "";
        return $"""

            DeviceFeatures {version.Split('+')[0]}, a local Withings, listening on {url}
              wire API:   {url}/v2/...   (described at {url}/openapi/wire.json, browsable at {url}/scalar)
              admin API:  {url}/admin/api   key: {(settings.AdminKey is null ? LocalAdminKey : "the key you gave")}
              storage:    {settings.StorageDescription(Directory.GetCurrentDirectory())}
              emulator:   on (faults, journal, reset, snapshot, clock under /admin/api/emulator)
              {(settings.SeedPath is null ? "demo:       a demo partner (credentials below)" : $"fixture:    {settings.SeedPath} (loaded into an empty database)")}
              devfeat:    export DEVFEAT_ADMIN_URL={url} DEVFEAT_ADMIN_KEY={(settings.AdminKey is null ? LocalAdminKey : "<the key you gave>")}
            Ctrl+C stops it.
            """;
    }
}

/// <summary>The options of <c>serve</c>, turned into the server's settings.</summary>
internal sealed record ServeSettings(int Port, string? SeedPath, string? DatabasePath, string? PostgresConnectionString, string? AdminKey)
{
    public string Url => $"http://127.0.0.1:{Port.ToString(CultureInfo.InvariantCulture)}";

    public string SqlitePath(string currentDirectory) =>
        Path.GetFullPath(DatabasePath ?? Path.Combine(ServeCommand.DefaultDataFolder, "devicefeatures.db"), currentDirectory);

    public string StorageDescription(string currentDirectory) =>
        PostgresConnectionString is not null ? "PostgreSQL (--postgres)" : $"SQLite, {SqlitePath(currentDirectory)}";

    /// <summary>
    /// The server's command line: each setting as <c>--Section:Key=value</c>. Environment Development: the emulator's
    /// powers, the demo partner and the signing helper of the admin API are for a developer's machine.
    /// </summary>
    public IEnumerable<string> ServerArguments(string currentDirectory)
    {
        yield return "--environment=Development";
        // Not the current directory: the appsettings.json of the project the tool is run in are not the server's.
        yield return $"--contentRoot={AppContext.BaseDirectory}";
        yield return $"--urls={Url}";
        yield return "--Emulator:Enabled=true";
        // Empty: the key is among the server's own settings (after --), which come after these.
        if (AdminKey is not "")
        {
            yield return $"--Admin:ApiKey={AdminKey ?? ServeCommand.LocalAdminKey}";
        }
        if (PostgresConnectionString is not null)
        {
            yield return "--Storage:Provider=postgres";
            yield return $"--Storage:ConnectionString={PostgresConnectionString}";
        }
        else
        {
            yield return "--Storage:Provider=sqlite";
            yield return $"--Storage:ConnectionString=Data Source={SqlitePath(currentDirectory)}";
        }

        // A fixture brings its own partners; the demo partner would be one more, with a public secret.
        yield return $"--Demo:Enabled={(SeedPath is null ? "true" : "false")}";
        if (SeedPath is not null)
        {
            yield return $"--Seed:Path={SeedPath}";
        }
    }
}
