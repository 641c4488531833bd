namespace DeviceFeatures.Server.Storage;

/// <summary>
/// The server's own keys (<c>server_keys</c>: the nonce key) and settings (<c>settings</c>: the admin key's hash, the
/// secrets key, the demo user), each written once and then only read.
/// </summary>
internal static class SettingStatements
{
    private static readonly SqlStatement<(string Name, byte[] Candidate, long Now)> AddServerKey = new(
        "INSERT INTO server_keys (name, key_material, created_at) VALUES (@name, @candidate, @now) ON CONFLICT (name) DO NOTHING",
        static (a, p) => p.Add("@name", a.Name).Add("@candidate", a.Candidate).Add("@now", a.Now));

    private static readonly SqlQuery<string, byte[]> FindServerKey = new(
        "SELECT key_material FROM server_keys WHERE name = @name",
        static (name, p) => p.Add("@name", name),
        static row => row.Bytes("key_material"));

    private static readonly SqlQuery<string, string> FindSetting = new(
        "SELECT value FROM settings WHERE name = @name",
        static (name, p) => p.Add("@name", name),
        static row => row.Text("value"));

    private static readonly SqlStatement<(string Name, string Value)> AddSetting = new(
        "INSERT INTO settings (name, value) VALUES (@name, @value) ON CONFLICT (name) DO NOTHING",
        static (a, p) => p.Add("@name", a.Name).Add("@value", a.Value));

    /// <summary>The key named <paramref name="name"/>: the one already stored, or else <paramref name="candidate"/>, stored now.</summary>
    public static async Task<byte[]> GetOrAddServerKeyAsync(this StoreSession session, string name, byte[] candidate, long now)
    {
        await session.ExecuteAsync(AddServerKey, (name, candidate, now)).ConfigureAwait(false);
        return await session.QueryFirstAsync(FindServerKey, name).ConfigureAwait(false)
            ?? throw new InvalidOperationException($"The server key '{name}' was neither found nor stored.");
    }

    public static Task<string?> GetSettingAsync(this StoreSession session, string name) =>
        session.QueryFirstAsync(FindSetting, name);

    /// <summary>Stores the setting unless it is already set; the number of rows added (0 or 1).</summary>
    public static Task<int> AddSettingAsync(this StoreSession session, string name, string value) =>
        session.ExecuteAsync(AddSetting, (name, value));
}
