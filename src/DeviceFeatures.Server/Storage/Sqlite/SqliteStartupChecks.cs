using DeviceFeatures.Server.Hosting;

namespace DeviceFeatures.Server.Storage.Sqlite;

/// <summary>
/// What stops a start on SQLite that the person starting the server can fix: a database folder that cannot be
/// created or written, a database file that cannot be written. Each message names the path and what to do.
/// </summary>
internal static class SqliteStartupChecks
{
    /// <summary>Creates the folder of the database file when it is missing.</summary>
    public static void CreateFolder(string databasePath)
    {
        var folder = Path.GetDirectoryName(databasePath);
        if (string.IsNullOrEmpty(folder))
        {
            return;
        }

        try
        {
            Directory.CreateDirectory(folder);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new StartupFailureException(
                $"Cannot create the SQLite database folder '{folder}' (Storage:ConnectionString): create it writable, or point Storage:ConnectionString elsewhere.",
                StartupExitCodes.CannotCreate, ex);
        }
    }

    public static StartupFailureException CannotWriteFolder(string folder, Exception exception) => new(
        $"Cannot write the SQLite database folder '{folder}' (Storage:ConnectionString): make it writable, or point Storage:ConnectionString elsewhere.",
        StartupExitCodes.CannotCreate, exception);

    public static StartupFailureException CannotWriteDatabase(string databasePath, Exception? exception) => new(
        $"Cannot open the SQLite database '{databasePath}' for writing (Storage:ConnectionString): make the file and its folder writable, or point Storage:ConnectionString elsewhere.",
        StartupExitCodes.CannotCreate, exception);
}
