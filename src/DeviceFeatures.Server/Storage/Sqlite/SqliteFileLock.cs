using DeviceFeatures.Server.Hosting;

namespace DeviceFeatures.Server.Storage.Sqlite;

/// <summary>
/// An exclusive lock on <c>&lt;database&gt;.lock</c>, held while a store uses the database, so that a second server
/// process on the same SQLite file is refused at start instead of competing with the first for the one writer slot
/// (and counting rate limits and caching partners on its own). On Linux .NET takes it with <c>flock</c>, which the
/// kernel releases when the process ends, however it ends: a killed server leaves no stale lock behind.
/// </summary>
/// <remarks>
/// Stores of one process share the lock (tests run two instances side by side on one file); the last one to be
/// disposed releases it. The file itself stays: removing it could let two processes lock two different files.
/// </remarks>
internal sealed class SqliteFileLock : IDisposable
{
    private static readonly Dictionary<string, (FileStream File, int Holders)> Held = new(StringComparer.Ordinal);
    private static readonly Lock Guard = new();

    private readonly string _path;
    private bool _released;

    private SqliteFileLock(string path) => _path = path;

    /// <summary>Locks the database <paramref name="databasePath"/>, or says why it cannot.</summary>
    /// <exception cref="StartupFailureException">Another process holds the lock, or the folder cannot be written.</exception>
    public static SqliteFileLock Acquire(string databasePath)
    {
        var path = databasePath + ".lock";
        lock (Guard)
        {
            if (Held.TryGetValue(path, out var held))
            {
                Held[path] = (held.File, held.Holders + 1);
                return new SqliteFileLock(path);
            }

            Held[path] = (Open(path, databasePath), 1);
            return new SqliteFileLock(path);
        }
    }

    public void Dispose()
    {
        lock (Guard)
        {
            if (_released || !Held.TryGetValue(_path, out var held))
            {
                return;
            }

            _released = true;
            if (held.Holders > 1)
            {
                Held[_path] = (held.File, held.Holders - 1);
                return;
            }

            Held.Remove(_path);
            held.File.Dispose();
        }
    }

    private static FileStream Open(string path, string databasePath)
    {
        try
        {
            return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (IOException ex) when (IsLockedElsewhere(path))
        {
            throw new StartupFailureException(
                $"Another DeviceFeatures server is using the SQLite database '{databasePath}' (lock file '{path}'): stop it, or give this one another Storage:ConnectionString.",
                StartupExitCodes.Unavailable, ex);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw SqliteStartupChecks.CannotWriteFolder(Path.GetDirectoryName(path)!, ex);
        }
    }

    // Opening the file failed. If it exists and even a shared open is refused, someone holds the lock; if that open
    // works, what failed was writing (a read-only file system, for one).
    private static bool IsLockedElsewhere(string path)
    {
        if (!File.Exists(path))
        {
            return false;
        }

        try
        {
            using var probe = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
            return false;
        }
        catch (IOException)
        {
            return true;
        }
        catch (UnauthorizedAccessException)
        {
            return false;
        }
    }
}
