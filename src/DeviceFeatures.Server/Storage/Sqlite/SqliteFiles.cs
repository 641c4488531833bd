using System.Runtime.InteropServices;

namespace DeviceFeatures.Server.Storage.Sqlite;

/// <summary>
/// Whether the database file and its log are still the files the store opened. A process that has a file open keeps
/// writing to it after it was deleted or replaced, and SQLite does not notice: it would go on committing, and answering,
/// changes that nobody will ever find at the database's path again. The writer therefore asks, before each commit,
/// that both paths still name the same files (device and inode) as when they were opened; a stat costs about a
/// microsecond.
/// </summary>
/// <remarks>
/// The database file's identity is taken once, when the store has migrated it, and never again: a file put back at
/// the path later is another file. The log's is taken whenever the writer opens its connection, since SQLite may
/// delete and create the log when the last connection closes. Linux only (the check needs <c>statx</c>); elsewhere
/// nothing is checked: Windows does not delete a file that is open.
/// </remarks>
internal sealed partial class SqliteFiles(string databasePath, ILogger logger)
{
    private readonly string _logPath = databasePath + "-wal";
    private FileIdentity? _database;
    private FileIdentity? _log;
    private int _lostLogged;

    /// <summary>Whether the check is made here.</summary>
    public static bool Supported { get; } = OperatingSystem.IsLinux();

    /// <summary>Takes the database file's identity (after the migration, when the file surely exists).</summary>
    public void DatabaseOpened()
    {
        if (Supported)
        {
            _database = FileIdentity.Of(databasePath);
        }
    }

    /// <summary>Takes the log's identity, once the writer's connection has it open.</summary>
    public void LogOpened()
    {
        if (Supported)
        {
            var log = FileIdentity.Of(_logPath);
            _log = log == default ? null : log;
        }
    }

    /// <summary>Refuses the commit about to be made if the database or its log is no longer at its path.</summary>
    /// <exception cref="DatabaseFilesChangedException">One of them was deleted, moved or replaced.</exception>
    public void EnsureUnchanged()
    {
        if (!Supported || _database is not { } database)
        {
            return;
        }

        if (_log is null)
        {
            LogOpened();
        }

        var changed = FileIdentity.Of(databasePath) != database ? databasePath
            : _log is { } log && FileIdentity.Of(_logPath) != log ? _logPath
            : null;
        if (changed is null)
        {
            return;
        }

        if (Interlocked.Exchange(ref _lostLogged, 1) == 0)
        {
            LogLost(logger, changed);
        }

        throw new DatabaseFilesChangedException(changed);
    }

    [LoggerMessage(Level = LogLevel.Critical,
        Message = "The SQLite file {Path} was deleted, moved or replaced while the server had it open: every change is refused from now on. Put the files back (or restore a backup) and restart the server")]
    private static partial void LogLost(ILogger logger, string path);

    /// <summary>A file as the kernel knows it: the device it is on and its inode; <c>(0, 0)</c> when the path names nothing.</summary>
    private readonly record struct FileIdentity(ulong Device, ulong Inode)
    {
        private const int AtFdCwd = -100;
        private const uint StatxIno = 0x100;

        public static FileIdentity Of(string path)
        {
            // struct statx has one layout on every Linux architecture: stx_ino at 32, stx_dev_major/minor at 136/140.
            var buffer = new byte[256];
            if (Statx(AtFdCwd, path, 0, StatxIno, buffer) != 0)
            {
                return default;
            }

            var device = ((ulong)BitConverter.ToUInt32(buffer, 136) << 32) | BitConverter.ToUInt32(buffer, 140);
            return new FileIdentity(device, BitConverter.ToUInt64(buffer, 32));
        }

        [DllImport("libc", EntryPoint = "statx", SetLastError = true)]
        [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
        private static extern int Statx(int dirfd, [MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags, uint mask, [Out] byte[] buffer);
    }
}

/// <summary>
/// A commit refused because the SQLite database or its log is no longer the file the server opened: the database is
/// unavailable (522 on the wire, 503 on the admin API) and nothing was acknowledged.
/// </summary>
internal sealed class DatabaseFilesChangedException(string path)
    : IOException($"The SQLite file '{path}' was deleted, moved or replaced while the server had it open; nothing was changed. Put the files back and restart the server.");
