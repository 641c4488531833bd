namespace DeviceFeatures.Client;

/// <summary>Where the client sends its requests, the partner credentials it signs them with, and how it retries.</summary>
public sealed class DeviceFeaturesClientOptions
{
    /// <summary>The service's base address: one of <see cref="WithingsEndpoints"/>, or a DeviceFeatures server.</summary>
    public Uri BaseAddress { get; set; } = WithingsEndpoints.PublicCloud;

    /// <summary>The partner's client id.</summary>
    public string ClientId { get; set; } = string.Empty;

    /// <summary>The partner's client secret; it signs requests and is never sent.</summary>
    public string ClientSecret { get; set; } = string.Empty;

    /// <summary>How many times a transient failure (connection error, HTTP 5xx, status 522, attempt timeout) is retried.</summary>
    public int MaxTransientRetries { get; set; } = 3;

    /// <summary>The first delay before retrying a transient failure; later delays grow exponentially, with jitter.</summary>
    public TimeSpan TransientRetryDelay { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>How many times a request refused with status 601 (too many requests) is tried again.</summary>
    public int MaxRateLimitRetries { get; set; } = 3;

    /// <summary>The first delay after a 601 that carries no <c>wait_seconds</c>; it doubles on each further 601.</summary>
    public TimeSpan RateLimitDelay { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>The longest the client waits after a 601, whatever <c>wait_seconds</c> says.</summary>
    public TimeSpan MaxRateLimitDelay { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>The longest one attempt (nonce request plus signed call) may take.</summary>
    public TimeSpan AttemptTimeout { get; set; } = TimeSpan.FromSeconds(30);

    internal void Validate()
    {
        if (BaseAddress is null || !BaseAddress.IsAbsoluteUri)
        {
            throw new InvalidOperationException("DeviceFeaturesClientOptions.BaseAddress must be an absolute URI.");
        }

        if (string.IsNullOrEmpty(ClientId) || string.IsNullOrEmpty(ClientSecret))
        {
            throw new InvalidOperationException("DeviceFeaturesClientOptions.ClientId and ClientSecret are required.");
        }
    }
}
