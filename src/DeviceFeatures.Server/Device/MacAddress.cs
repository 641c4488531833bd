namespace DeviceFeatures.Server.Device;

/// <summary>MAC addresses as the server keeps them: 12 hexadecimal digits, lowercase, in pairs joined by <c>:</c>.</summary>
internal static class MacAddress
{
    /// <summary>
    /// The normal form of <paramref name="input"/> written with <c>:</c>, <c>-</c> or no separators, in any case
    /// (<c>00-24-E4-12-34-56</c>, <c>0024e4123456</c>); <see langword="null"/> when it is not a MAC address.
    /// </summary>
    public static string? Normalize(string? input)
    {
        if (input is null)
        {
            return null;
        }

        var hex = input.Replace(":", "", StringComparison.Ordinal).Replace("-", "", StringComparison.Ordinal).Trim();
        if (hex.Length != 12 || !hex.All(char.IsAsciiHexDigit))
        {
            return null;
        }

        hex = hex.ToLowerInvariant();
        return string.Join(':', Enumerable.Range(0, 6).Select(i => hex.Substring(i * 2, 2)));
    }

    /// <summary>
    /// The start of a MAC address in the stored form (lowercase, colon-separated), e.g. <c>0024E4</c> or
    /// <c>00-24-e4</c> becomes <c>00:24:e4</c>; null when it is not 1 to 12 hexadecimal digits.
    /// </summary>
    public static string? NormalizePrefix(string? input)
    {
        var hex = input?.Replace(":", "", StringComparison.Ordinal).Replace("-", "", StringComparison.Ordinal).Trim();
        if (hex is not { Length: >= 1 and <= 12 } || !hex.All(char.IsAsciiHexDigit))
        {
            return null;
        }

        hex = hex.ToLowerInvariant();
        return string.Join(':', hex.Chunk(2).Select(pair => new string(pair)));
    }
}
