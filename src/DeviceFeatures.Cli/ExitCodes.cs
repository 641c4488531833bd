namespace DeviceFeatures.Cli;

/// <summary>The exit codes of devfeat; scripts branch on them. Listed in <c>devfeat --help</c> and the README.</summary>
internal static class ExitCodes
{
    public const int Success = 0;

    /// <summary>Some work failed: a bulk file with failed rows, or an unexpected error.</summary>
    public const int Failed = 1;

    /// <summary>The command line is wrong.</summary>
    public const int Usage = 2;

    /// <summary>Credentials or an admin key are missing: see devfeat configure.</summary>
    public const int NotConfigured = 3;

    /// <summary>Authentication failed: unknown client, wrong secret, or wrong admin key.</summary>
    public const int AuthenticationFailed = 4;

    /// <summary>The service refused the request: invalid parameters, not allowed, not found.</summary>
    public const int Refused = 5;

    /// <summary>The service could not be reached or did not answer in time.</summary>
    public const int Unavailable = 6;

    /// <summary>Too many requests, still refused after waiting.</summary>
    public const int RateLimited = 7;

    /// <summary>Interrupted with Ctrl+C.</summary>
    public const int Cancelled = 130;

    public const string HelpText = """
        Exit codes:
          0  success
          1  failed: some rows of a bulk file failed, or an unexpected error
          2  usage: the command line is wrong
          3  not configured: credentials or admin key missing (see 'devfeat configure')
          4  authentication failed: unknown client, wrong secret or admin key
          5  refused: invalid parameters, not allowed, not found
          6  unavailable: the service could not be reached or timed out
          7  rate limited: too many requests, still refused after waiting
        130  cancelled with Ctrl+C
        """;
}
