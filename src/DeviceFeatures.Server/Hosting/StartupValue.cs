namespace DeviceFeatures.Server.Hosting;

/// <summary>
/// A value that a capability's start-up step loads once, such as a key kept in the database, and that its services
/// read afterwards. The value itself is immutable; this holder is written exactly once, before the server listens.
/// </summary>
internal sealed class StartupValue<T>
    where T : class
{
    private T? _value;

    public T Value => Volatile.Read(ref _value)
        ?? throw new InvalidOperationException($"{typeof(T).Name} is read before the server's start-up loaded it.");

    public bool IsLoaded => Volatile.Read(ref _value) is not null;

    public void Load(T value)
    {
        ArgumentNullException.ThrowIfNull(value);
        if (Interlocked.CompareExchange(ref _value, value, null) is not null)
        {
            throw new InvalidOperationException($"{typeof(T).Name} is loaded once, at start.");
        }
    }
}
