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
    /// How many wire requests the journal keeps per partner (0 turns it off). Unset means
    /// <see cref="DefaultJournalSize"/> when the emulator is enabled and 0 otherwise, so that a production server keeps
    /// no requests unless told to; set, it wins in every environment (the journal redacts what it keeps).
    /// </summary>
    public int? JournalSize { get; set; }

    public const int DefaultJournalSize = 200;

    /// <summary>The journal's size on a server whose emulator is <paramref name="emulatorEnabled"/>.</summary>
    public int SizeFor(bool emulatorEnabled) => JournalSize ?? (emulatorEnabled ? DefaultJournalSize : 0);
}

/// <summary>Whether the emulator's powers are on, decided once from <see cref="EmulatorOptions"/> and the environment.</summary>
internal sealed class EmulatorSwitch(Microsoft.Extensions.Options.IOptions<EmulatorOptions> options, IHostEnvironment environment)
{
    public bool Enabled { get; } = options.Value.Enabled ?? environment.IsDevelopment();
}
