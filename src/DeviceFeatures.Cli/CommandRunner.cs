using System.CommandLine;
using DeviceFeatures.Client;
using DeviceFeatures.Client.Admin;
using DeviceFeatures.Client.Devices;
using DeviceFeatures.Protocol.Status;

namespace DeviceFeatures.Cli;

/// <summary>Runs a command's action and turns every failure into a clear message on standard error and a named exit code.</summary>
internal static class CommandRunner
{
    public static Command Runs(this Command command, CliHost host, Func<CliContext, ParseResult, CancellationToken, Task<int>> action)
    {
        command.SetAction(async (parse, cancellationToken) =>
        {
            var json = parse.GetValue(GlobalOptions.Json);
            try
            {
                var context = new CliContext(host, parse);
                return await action(context, parse, cancellationToken);
            }
            catch (Exception ex)
            {
                var (code, message, status) = Describe(ex, cancellationToken);
                host.Error.WriteLine(json ? CliContext.ToJson(new { error = message, status, exit_code = code }) : $"error: {message}");
                return code;
            }
        });
        return command;
    }

    internal static (int Code, string Message, int? Status) Describe(Exception exception, CancellationToken cancellationToken) => exception switch
    {
        CliException cli => (cli.ExitCode, cli.Message, null),
        DeviceFeaturesException sdk => Describe(sdk),
        OperationCanceledException when cancellationToken.IsCancellationRequested => (ExitCodes.Cancelled, "cancelled", null),
        OperationCanceledException => (ExitCodes.Unavailable, "the service did not answer in time", null),
        FormatException or ArgumentException => (ExitCodes.Usage, exception.Message, null),
        IOException or UnauthorizedAccessException => (ExitCodes.Failed, exception.Message, null),
        _ => (ExitCodes.Failed, $"unexpected error: {exception.Message}", null),
    };

    // Everything the SDK throws about the service derives from one root; its families decide the exit code.
    private static (int Code, string Message, int? Status) Describe(DeviceFeaturesException exception) => exception switch
    {
        WithingsRefusalException refusal => (ExitCodeOf(refusal.Family), refusal.Error ?? refusal.Message, refusal.Status),
        DeviceFeaturesAdminException admin => (admin.HttpStatus switch
        {
            // 401 is the admin key; a 403 is a rule that refuses the change (a gated feature without its grant).
            401 => ExitCodes.AuthenticationFailed,
            >= 500 => ExitCodes.Unavailable,
            _ => ExitCodes.Refused,
        }, $"{admin.Detail} ({admin.Code})", admin.HttpStatus),
        DeviceFeaturesTransportException => (ExitCodes.Unavailable, exception.Message, null),

        // The device API (device simulate): a refused signature is an authentication failure, like a partner's.
        DeviceApiException device => (device switch
        {
            DeviceAuthenticationException => ExitCodes.AuthenticationFailed,
            { HttpStatus: >= 500 } => ExitCodes.Unavailable,
            _ => ExitCodes.Refused,
        }, $"{device.Detail} ({device.Code})", device.HttpStatus),
        _ => (ExitCodes.Failed, exception.Message, null),
    };

    internal static int ExitCodeOf(StatusFamily family) => family switch
    {
        StatusFamily.Success => ExitCodes.Success,
        StatusFamily.AuthenticationFailed => ExitCodes.AuthenticationFailed,
        StatusFamily.InvalidParams or StatusFamily.Unauthorized or StatusFamily.NotImplemented or StatusFamily.BadState => ExitCodes.Refused,
        StatusFamily.TooManyRequests => ExitCodes.RateLimited,
        _ => ExitCodes.Unavailable,
    };
}
