using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace DeviceFeatures.Server.Tests.Infrastructure;

/// <summary>
/// The real server as a child process, so that a test can kill it the hard way (SIGKILL) and start it again on
/// the same database.
/// </summary>
public sealed class ServerProcess : IAsyncDisposable
{
    public const string AdminKey = "crash-test-admin-key-for-server-processes";
    private readonly Process _process;
    private readonly System.Text.StringBuilder _output = new();

    private ServerProcess(Process process, Uri baseAddress)
    {
        _process = process;
        BaseAddress = baseAddress;
    }

    public Uri BaseAddress { get; }

    /// <summary>What the process wrote so far, standard output and error interleaved as they arrived.</summary>
    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    public int ProcessId => _process.Id;

    /// <summary>
    /// Starts the server on a free loopback port and waits until it is ready; <paramref name="environment"/> adds
    /// variables to the process's environment (a preloaded library, for one).
    /// </summary>
    public static async Task<ServerProcess> StartAsync(
        IReadOnlyDictionary<string, string> settings, int port, CancellationToken cancellationToken, IReadOnlyDictionary<string, string>? environment = null)
    {
        var arguments = new List<string>
        {
            $"--Admin:ApiKey={AdminKey}",
            "--Logging:LogLevel:Default=Warning",
            "--RateLimit:Enabled=false",
        };
        arguments.AddRange(settings.Select(s => $"--{s.Key}={s.Value}"));
        return await StartAsync(arguments, "Production", port, cancellationToken, environment);
    }

    /// <summary>Starts the server with exactly these arguments (plus the port) and waits until it is ready.</summary>
    public static async Task<ServerProcess> StartAsync(
        IEnumerable<string> arguments, string environment, int port, CancellationToken cancellationToken, IReadOnlyDictionary<string, string>? variables = null)
    {
        var process = Process.Start(StartInfo([$"--urls=http://127.0.0.1:{port}", .. arguments], environment, variables))
            ?? throw new InvalidOperationException("The server process did not start.");
        var server = new ServerProcess(process, new Uri($"http://127.0.0.1:{port}/"));
        process.OutputDataReceived += (_, e) => server.Append(e.Data);
        process.ErrorDataReceived += (_, e) => server.Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        using var http = new HttpClient { BaseAddress = server.BaseAddress, Timeout = TimeSpan.FromSeconds(2) };
        var deadline = DateTimeOffset.UtcNow.AddSeconds(60);
        while (true)
        {
            if (process.HasExited)
            {
                throw new InvalidOperationException($"The server exited with code {process.ExitCode} while starting.");
            }

            try
            {
                using var ready = await http.GetAsync("/health/ready", cancellationToken);
                if (ready.StatusCode == HttpStatusCode.OK)
                {
                    return server;
                }
            }
            catch (HttpRequestException)
            {
            }
            catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
            }

            if (DateTimeOffset.UtcNow > deadline)
            {
                await server.DisposeAsync();
                throw new TimeoutException("The server did not become ready within 60 s.");
            }

            await Task.Delay(20, cancellationToken);
        }
    }

    /// <summary>
    /// Runs the server with these arguments until it exits by itself, as a server that cannot start does; killed
    /// after the timeout.
    /// </summary>
    public static async Task<(int ExitCode, string Output, string Error)> RunToExitAsync(
        IEnumerable<string> arguments, string environment, TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var process = Process.Start(StartInfo(arguments, environment)) ?? throw new InvalidOperationException("The server process did not start.");
        var output = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var error = process.StandardError.ReadToEndAsync(cancellationToken);
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        limit.CancelAfter(timeout);
        try
        {
            await process.WaitForExitAsync(limit.Token);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"The server did not exit within {timeout.TotalSeconds} s: {await output}");
        }

        return (process.ExitCode, await output, await error);
    }

    private static ProcessStartInfo StartInfo(IEnumerable<string> arguments, string environment, IReadOnlyDictionary<string, string>? variables = null)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = AppContext.BaseDirectory,
        };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "DeviceFeatures.Host.dll"));
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        start.Environment["ASPNETCORE_ENVIRONMENT"] = environment;

        // Without it the runtime creates debugger and diagnostics pipes in the temporary directory, which a killed
        // process never removes.
        start.Environment["DOTNET_EnableDiagnostics"] = "0";
        foreach (var (name, value) in variables ?? new Dictionary<string, string>())
        {
            start.Environment[name] = value;
        }

        return start;
    }

    private void Append(string? line)
    {
        if (line is not null)
        {
            lock (_output)
            {
                _output.AppendLine(line);
            }
        }
    }

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>Waits until the process has ended by itself (a power cut kills it from inside).</summary>
    public async Task WaitForExitAsync(TimeSpan timeout)
    {
        using var limit = new CancellationTokenSource(timeout);
        await _process.WaitForExitAsync(limit.Token);
    }

    /// <summary>SIGKILL: no shutdown, no flush, nothing the process could do about it.</summary>
    public async Task KillAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
        }

        await _process.WaitForExitAsync();
    }

    public async ValueTask DisposeAsync()
    {
        await KillAsync();
        _process.Dispose();
    }
}
