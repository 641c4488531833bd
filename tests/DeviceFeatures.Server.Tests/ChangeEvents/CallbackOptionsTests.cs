using DeviceFeatures.Server.ChangeEvents;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace DeviceFeatures.Server.Tests.ChangeEvents;

/// <summary>
/// The lease must outlast a send: a lease not longer than the timeout by the margin stops the start, like any other
/// option that cannot work (the options are validated on start).
/// </summary>
public sealed class CallbackOptionsTests
{
    [Theory]
    [InlineData("60", "2", true)]
    [InlineData("12", "2", true)]
    [InlineData("11", "2", false)]
    [InlineData("2", "2", false)]
    [InlineData("1", "5", false)]
    public void LeaseSeconds_MustExceedTimeoutSecondsByTheMargin(string lease, string timeout, bool valid)
    {
        using var services = new ServiceCollection()
            .AddSingleton<IConfiguration>(new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["Callbacks:LeaseSeconds"] = lease,
                ["Callbacks:TimeoutSeconds"] = timeout,
            }).Build())
            .AddLogging()
            .AddChangeEvents()
            .BuildServiceProvider();
        var options = services.GetRequiredService<IOptions<CallbackOptions>>();
        if (valid)
        {
            Assert.Equal(int.Parse(lease, System.Globalization.CultureInfo.InvariantCulture), options.Value.LeaseSeconds);
            return;
        }

        var refused = Assert.Throws<OptionsValidationException>(() => options.Value);
        Assert.Contains("Callbacks:LeaseSeconds must exceed Callbacks:TimeoutSeconds", refused.Message, StringComparison.Ordinal);
    }
}
