namespace DeviceFeatures.Protocol.Parameters;

/// <summary>
/// The parameters of one request, gathered from its query string and its body, in arrival order.
/// A parameter given twice with the same value counts once; given twice with different values it makes the
/// whole request invalid (<see cref="Problem"/>), because no answer could say which one was acted on.
/// </summary>
public sealed class WireParameters
{
    /// <summary>The most parameters one request may carry.</summary>
    public const int MaxCount = 64;

    /// <summary>The longest parameter name accepted.</summary>
    public const int MaxNameLength = 64;

    /// <summary>The longest parameter value accepted, in characters.</summary>
    public const int MaxValueLength = 4096;

    /// <summary>The most characters of a client's name or value that an error text quotes.</summary>
    public const int MaxEchoLength = 64;

    private readonly List<KeyValuePair<string, string>> _items = new(8);

    /// <summary>
    /// Why the request cannot be read, naming the parameter or the part at fault; <see langword="null"/> when it can.
    /// </summary>
    public string? Problem { get; private set; }

    /// <summary>How many distinct parameters were read.</summary>
    public int Count => _items.Count;

    /// <summary>The parameters, in arrival order.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Items => _items;

    /// <summary>Looks up a parameter by its exact name.</summary>
    /// <param name="name">The parameter name.</param>
    /// <param name="value">Its value when present.</param>
    /// <returns><see langword="true"/> when the parameter was given.</returns>
    public bool TryGet(string name, out string value)
    {
        foreach (var item in _items)
        {
            if (string.Equals(item.Key, name, StringComparison.Ordinal))
            {
                value = item.Value;
                return true;
            }
        }

        value = string.Empty;
        return false;
    }

    /// <summary>Adds one parameter, applying the count, length and duplicate rules.</summary>
    /// <param name="name">The parameter name.</param>
    /// <param name="value">The parameter value.</param>
    public void Add(string name, string value)
    {
        if (Problem is not null)
        {
            return;
        }

        if (name.Length == 0)
        {
            return;
        }

        if (name.Length > MaxNameLength)
        {
            Fail($"a parameter name is longer than {MaxNameLength} characters");
            return;
        }

        if (value.Length > MaxValueLength)
        {
            Fail($"parameter '{Echo(name)}' is longer than {MaxValueLength} characters");
            return;
        }

        // No storage keeps a NUL inside a text (PostgreSQL refuses it outright), and no real value holds one.
        if (name.Contains('\0', StringComparison.Ordinal))
        {
            Fail("a parameter name contains a NUL character");
            return;
        }

        if (value.Contains('\0', StringComparison.Ordinal))
        {
            Fail($"parameter '{Echo(name)}' contains a NUL character");
            return;
        }

        foreach (var item in _items)
        {
            if (string.Equals(item.Key, name, StringComparison.Ordinal))
            {
                if (!string.Equals(item.Value, value, StringComparison.Ordinal))
                {
                    Fail($"parameter '{Echo(name)}' is given more than once with different values");
                }

                return;
            }
        }

        if (_items.Count == MaxCount)
        {
            Fail($"the request has more than {MaxCount} parameters");
            return;
        }

        _items.Add(new(name, value));
    }

    /// <summary>
    /// A client's input as an error text quotes it: cut to <see cref="MaxEchoLength"/> characters followed by
    /// <c>...</c>, so that a hostile name or value cannot make the answer (or a log line) large.
    /// </summary>
    /// <param name="value">The name or value to quote.</param>
    /// <returns>The value itself when it is short enough, else its beginning and <c>...</c>.</returns>
    public static string Echo(string? value) =>
        value is null ? string.Empty : value.Length <= MaxEchoLength ? value : string.Concat(value.AsSpan(0, MaxEchoLength), "...");

    /// <summary>Marks the request unreadable; the first problem found is kept.</summary>
    /// <param name="problem">What is wrong, naming the parameter or the part at fault.</param>
    public void Fail(string problem) => Problem ??= problem;
}
