using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Options;

namespace DeviceFeatures.Server.Hosting;

/// <summary>Runs the server as a process: start-up problems become one line on standard error and an exit code.</summary>
public static partial class ServerRunner
{
    /// <summary>
    /// Builds the server with <see cref="ServerComposition"/>, checks the settings, the listening addresses and the
    /// database, runs the start-up steps, then serves until the process is asked to stop. A problem a person can fix
    /// is reported as one line naming the setting or path, with an exit code from <see cref="StartupExitCodes"/>,
    /// before anything else is printed.
    /// </summary>
    /// <param name="args">The command line: any setting as <c>--Section:Key=value</c>.</param>
    /// <param name="configureBuilder">What the host adds to the server's services, e.g. a metrics exporter.</param>
    /// <param name="configureApp">What the host adds to the server's endpoints.</param>
    /// <param name="error">Where the failure line goes; standard error when not given.</param>
    /// <returns>0 after a normal stop, otherwise the exit code of the start-up failure.</returns>
    public static async Task<int> RunAsync(
        string[] args,
        Action<WebApplicationBuilder>? configureBuilder = null,
        Action<WebApplication>? configureApp = null,
        TextWriter? error = null)
    {
        error ??= Console.Error;
        var builder = WebApplication.CreateBuilder(args);
        builder.AddDeviceFeaturesServer();
        configureBuilder?.Invoke(builder);
        var app = builder.Build();
        try
        {
            // Options first: mapping the endpoints resolves the services that read them.
            ValidateOptions(app.Services);
            app.UseDeviceFeaturesServer();
            configureApp?.Invoke(app);
            CheckAddressesAreFree(app);
            var stopping = app.Lifetime.ApplicationStopping;
            await app.Services.GetRequiredService<ServerStartup>().RunStepsAsync(stopping);
            await app.StartAsync(stopping);
        }
        catch (Exception ex) when (!IsInProcessTestHost(app) && Describe(ex, app) is { } failure)
        {
            await error.WriteLineAsync($"error: {failure.Message}");
            await app.DisposeAsync();
            return failure.ExitCode;
        }

        await app.WaitForShutdownAsync();
        await app.DisposeAsync();
        return 0;
    }

    /// <summary>
    /// WebApplicationFactory runs this entry point on a test server and reports what it throws: there the exception
    /// itself is the clearer answer, and disposing the app would hide it behind an ObjectDisposedException.
    /// </summary>
    private static bool IsInProcessTestHost(WebApplication app) =>
        app.Services.GetService<Microsoft.AspNetCore.Hosting.Server.IServer>()?.GetType().FullName == "Microsoft.AspNetCore.TestHost.TestServer";

    private static void ValidateOptions(IServiceProvider services)
    {
        try
        {
            services.GetService<IStartupValidator>()?.Validate();
        }
        catch (OptionsValidationException ex)
        {
            throw Configuration(ex.Failures);
        }
        catch (AggregateException ex) when (ex.InnerExceptions.All(e => e is OptionsValidationException))
        {
            throw Configuration(ex.InnerExceptions.Cast<OptionsValidationException>().SelectMany(e => e.Failures));
        }
    }

    /// <summary>The settings' own messages, without the wrapper data annotations put around each.</summary>
    private static StartupFailureException Configuration(IEnumerable<string> failures) => new(
        string.Join(" ", failures.Select(f => AnnotationMessage().Match(f) is { Success: true } m ? m.Groups["message"].Value : f)
            .Select(f => f.Trim().TrimEnd('.') + ".")),
        StartupExitCodes.Configuration);

    [GeneratedRegex("with the error: '(?<message>.*)'\\.?$")]
    private static partial Regex AnnotationMessage();

    /// <summary>
    /// Kestrel finds a port in use only after every start-up step ran and printed; a bind tried first turns that into
    /// the same one line as any other start-up failure. Another process can still take the port in between: then
    /// Kestrel's own error is reported the same way.
    /// </summary>
    private static void CheckAddressesAreFree(WebApplication app)
    {
        foreach (var url in Addresses(app))
        {
            if (!BindingAddress.TryParse(url, out var address) || address.Port == 0)
            {
                continue;
            }

            foreach (var ip in address.Ips)
            {
                using var socket = new Socket(ip.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
                try
                {
                    socket.Bind(new IPEndPoint(ip, address.Port));
                }
                catch (SocketException ex) when (ex.SocketErrorCode == SocketError.AddressAlreadyInUse)
                {
                    throw PortInUse(url);
                }
                catch (SocketException)
                {
                    // Not this machine's address, or no IPv6: Kestrel gives its own reason.
                }
            }
        }
    }

    private static string[] Addresses(WebApplication app)
    {
        var urls = app.Configuration[WebHostDefaults.ServerUrlsKey];
        return string.IsNullOrWhiteSpace(urls)
            ? []
            : urls.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
    }

    private static StartupFailureException PortInUse(string url) => new(
        $"The address {url} (setting Urls) is already in use by another process: stop that process, or start this one with --urls http://127.0.0.1:<another port>.",
        StartupExitCodes.Unavailable);

    private static StartupFailureException? Describe(Exception ex, WebApplication app) => ex switch
    {
        StartupFailureException failure => failure,
        OptionsValidationException validation => Configuration(validation.Failures),
        IOException { InnerException: Microsoft.AspNetCore.Connections.AddressInUseException } =>
            PortInUse(string.Join(';', Addresses(app))),
        AggregateException { InnerExceptions.Count: 1 } aggregate => Describe(aggregate.InnerException!, app),
        _ => null,
    };

    /// <summary>Just what is needed to check an address: scheme, host and port, as Kestrel reads them.</summary>
    private readonly record struct BindingAddress(IPAddress[] Ips, int Port)
    {
        public static bool TryParse(string url, out BindingAddress address)
        {
            address = default;
            if (!Uri.TryCreate(url.Replace("://*", "://0.0.0.0", StringComparison.Ordinal).Replace("://+", "://0.0.0.0", StringComparison.Ordinal),
                    UriKind.Absolute, out var uri))
            {
                return false;
            }

            IPAddress[] ips = uri.IsLoopback && !IPAddress.TryParse(uri.Host.Trim('[', ']'), out _)
                ? [IPAddress.Loopback]
                : IPAddress.TryParse(uri.Host.Trim('[', ']'), out var ip) ? [ip] : [IPAddress.Any];
            address = new BindingAddress(ips, uri.Port);
            return true;
        }
    }
}
