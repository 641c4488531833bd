[assembly: AssemblyFixture(typeof(DeviceFeatures.Cli.Tests.TestFiles))]

namespace DeviceFeatures.Cli.Tests;

/// <summary>
/// One folder under the temporary directory for the files of this test run (profiles, bulk and export files),
/// deleted when the run ends, whatever the tests left in it.
/// </summary>
public sealed class TestFiles : IDisposable
{
    private static readonly Lazy<string> Root = new(() => Directory.CreateTempSubdirectory("devfeat-tests-").FullName);

    /// <summary>A file name in a new folder of a test's own; the file itself is not created.</summary>
    public static string NewPath(string name) => Path.Combine(NewFolder(), name);

    /// <summary>A new, empty folder of a test's own.</summary>
    public static string NewFolder() => Directory.CreateDirectory(Path.Combine(Root.Value, Guid.NewGuid().ToString("n"))).FullName;

    public void Dispose()
    {
        if (Root.IsValueCreated)
        {
            Directory.Delete(Root.Value, recursive: true);
        }
    }
}
