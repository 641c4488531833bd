namespace DeviceFeatures.Client.Admin;

/// <summary>Where the admin client sends its requests and the key it sends (see <c>AddDeviceFeaturesAdminClient</c>).</summary>
public sealed class DeviceFeaturesAdminClientOptions
{
    /// <summary>The DeviceFeatures server's base address, e.g. <c>http://127.0.0.1:5080/</c>; the admin API is under <c>admin/api/</c>.</summary>
    public Uri? BaseAddress { get; set; }

    /// <summary>The admin API key (the server's <c>Admin:ApiKey</c>, or the key it printed on its first start).</summary>
    public string ApiKey { get; set; } = string.Empty;

    internal void Validate()
    {
        if (BaseAddress is null || !BaseAddress.IsAbsoluteUri)
        {
            throw new InvalidOperationException("DeviceFeaturesAdminClientOptions.BaseAddress must be an absolute URI.");
        }

        if (string.IsNullOrEmpty(ApiKey))
        {
            throw new InvalidOperationException("DeviceFeaturesAdminClientOptions.ApiKey is required.");
        }
    }
}
