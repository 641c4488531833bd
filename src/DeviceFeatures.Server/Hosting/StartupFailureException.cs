namespace DeviceFeatures.Server.Hosting;

/// <summary>
/// A start-up problem that the person starting the server can fix: its message is one line naming the setting or
/// path at fault and what to do, and the host exits with <see cref="ExitCode"/> instead of a stack trace.
/// </summary>
public sealed class StartupFailureException : Exception
{
    /// <summary>A failure with its one-line message and the process exit code (one of <see cref="StartupExitCodes"/>).</summary>
    public StartupFailureException(string message, int exitCode, Exception? innerException = null)
        : base(message, innerException)
    {
        ExitCode = exitCode;
    }

    /// <summary>The process exit code the host ends with.</summary>
    public int ExitCode { get; }
}

/// <summary>The documented exit codes of a server that could not start (the values of sysexits.h).</summary>
public static class StartupExitCodes
{
    /// <summary>Another process holds what the server needs: the port, or the SQLite database (EX_UNAVAILABLE).</summary>
    public const int Unavailable = 69;

    /// <summary>The data folder or the database file cannot be created or written (EX_CANTCREAT).</summary>
    public const int CannotCreate = 73;

    /// <summary>A setting is wrong: unknown provider, a connection string of the wrong kind, a key that does not fit (EX_CONFIG).</summary>
    public const int Configuration = 78;
}
