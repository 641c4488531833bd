namespace DeviceFeatures.Server.Emulator;

/// <summary>
/// Section <c>Emulator</c>: the powers a local Withings gives a partner's test suite (faults, reset, snapshots, the
/// clock). They change or fake state on request, so they are on by default only in Development; elsewhere they answer
/// 403 <c>emulator_disabled</c> unless <c>Emulator:Enabled</c> is set to true.
/// </summary>
internal sealed class EmulatorOptions
{
    public const string SectionName = "Emulator";

    /// <summary>Unset means "only in Development"; set, it wins in every environment.</summary>
    public bool? Enabled { get; set; }

    /// <summary>
    /// How many wire requests the journal keeps per partner (0 turns it off). The journal redacts what it keeps, so it
    /// is not governed by <see cref="Enabled"/>.
    /// </summary>
    public int JournalSize { get; set; } = 200;
}

/// <summary>Whether the emulator's powers are on, decided once from <see cref="EmulatorOptions"/> and the environment.</summary>
internal sealed class EmulatorSwitch(Microsoft.Extensions.Options.IOptions<EmulatorOptions> options, IHostEnvironment environment)
{
    public bool Enabled { get; } = options.Value.Enabled ?? environment.IsDevelopment();
}
