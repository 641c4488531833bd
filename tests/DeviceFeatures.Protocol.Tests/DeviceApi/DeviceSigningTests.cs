using System.Text;
using DeviceFeatures.Protocol.DeviceApi;

namespace DeviceFeatures.Protocol.Tests.DeviceApi;

/// <summary>The worked examples of docs/device-api.md §2, so that the document and the code cannot drift apart.</summary>
public sealed class DeviceSigningTests
{
    private const string Secret = "5f0c3d0b1a9e4c7d8e2f6a1b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b1c2d";

    [Fact]
    public void Sign_AGetWithItsQuery_GivesTheDocumentedSignature()
    {
        Assert.Equal(
            "GET\n/device/v1/configuration?wait=30\n00:24:e4:12:34:56\n1764403200\n3f9c2a7e5b1d4c8a9e6f0b2d4a6c8e0f\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
            DeviceSigning.StringToSign("get", "/device/v1/configuration?wait=30", "00:24:E4:12:34:56", 1764403200, "3f9c2a7e5b1d4c8a9e6f0b2d4a6c8e0f", []));
        Assert.Equal("e0feff5f4610c8b852d3e1ccee78286aae971e16b816585d4d6726381f8aec80",
            DeviceSigning.Sign(Secret, "GET", "/device/v1/configuration?wait=30", "00:24:e4:12:34:56", 1764403200, "3f9c2a7e5b1d4c8a9e6f0b2d4a6c8e0f", []));
    }

    [Fact]
    public void Sign_AReport_CoversItsBody()
    {
        var body = Encoding.UTF8.GetBytes(
            """{"version":7,"firmware":"2.3.1","features":[{"feature_name":"feature_eyes_closed_mode","applied":true},{"feature_name":"feature_pacemaker","applied":false,"reason":"sensor missing"}]}""");
        Assert.Equal("d2ccdb0eb6dfe26a7dda9b694ca3b7d705bb93a0249220c7f7a0222acdf50627",
            DeviceSigning.Sign(Secret, "POST", "/device/v1/report", "00:24:e4:12:34:56", 1764403260, "a1b2c3d4e5f60718293a4b5c6d7e8f90", body));
        Assert.NotEqual("d2ccdb0eb6dfe26a7dda9b694ca3b7d705bb93a0249220c7f7a0222acdf50627",
            DeviceSigning.Sign(Secret, "POST", "/device/v1/report", "00:24:e4:12:34:56", 1764403260, "a1b2c3d4e5f60718293a4b5c6d7e8f90", body.AsSpan(1)));
    }
}
