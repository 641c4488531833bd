using System.Collections.Immutable;
using System.Text.RegularExpressions;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace DeviceFeatures.Client.Tests;

/// <summary>
/// The README's C# snippets are complete: each compiles as pasted into a new project, with no usings, variables or
/// cancellation tokens left for the reader to guess.
/// </summary>
public sealed partial class ReadmeSnippetTests
{
    public static TheoryData<int> Snippets() => [.. Enumerable.Range(0, CSharpBlocks().Count)];

    [Fact]
    public void Readme_HasTheSdkAndTestingSnippets()
    {
        var blocks = CSharpBlocks();
        Assert.Contains(blocks, b => b.Contains("AddDeviceFeaturesClient", StringComparison.Ordinal));
        Assert.Contains(blocks, b => b.Contains("DeviceFeaturesTestServer.StartAsync", StringComparison.Ordinal));
    }

    [Theory]
    [MemberData(nameof(Snippets))]
    public void Snippet_CompilesAsPasted(int index)
    {
        var code = CSharpBlocks()[index];

        // A snippet with a test in it is a test project's file; any other is a program's Program.cs.
        var kind = code.Contains("[Fact]", StringComparison.Ordinal) ? OutputKind.DynamicallyLinkedLibrary : OutputKind.ConsoleApplication;
        var compilation = CSharpCompilation.Create(
            $"ReadmeSnippet{index}",
            [Parse(code), Parse(ImplicitUsings)],
            References,
            new CSharpCompilationOptions(kind, nullableContextOptions: NullableContextOptions.Enable));

        var errors = compilation.GetDiagnostics(TestContext.Current.CancellationToken)
            .Where(d => d.Severity == DiagnosticSeverity.Error)
            .Select(d => d.ToString())
            .ToArray();
        Assert.True(errors.Length == 0, $"README snippet {index} does not compile:\n{string.Join('\n', errors)}\n\n{code}");
    }

    /// <summary>What <c>ImplicitUsings</c> gives every new project made with <c>dotnet new</c>.</summary>
    private const string ImplicitUsings = """
        global using System;
        global using System.Collections.Generic;
        global using System.IO;
        global using System.Linq;
        global using System.Net.Http;
        global using System.Threading;
        global using System.Threading.Tasks;
        """;

    private static SyntaxTree Parse(string code) =>
        CSharpSyntaxTree.ParseText(code, new CSharpParseOptions(LanguageVersion.Latest), cancellationToken: TestContext.Current.CancellationToken);

    /// <summary>The platform's assemblies and this test's (the SDK, the testing package, xunit): what a new project has.</summary>
    private static readonly ImmutableArray<MetadataReference> References =
    [
        .. ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!).Split(Path.PathSeparator)
            .Concat(Directory.GetFiles(AppContext.BaseDirectory, "*.dll"))
            .DistinctBy(Path.GetFileName)
            .Where(IsManagedAssembly)
            .Select(path => MetadataReference.CreateFromFile(path)),
    ];

    private static bool IsManagedAssembly(string path)
    {
        try
        {
            _ = System.Reflection.AssemblyName.GetAssemblyName(path);
            return true;
        }
        catch (BadImageFormatException)
        {
            return false;
        }
    }

    private static List<string> CSharpBlocks()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "DeviceFeatures.slnx")))
        {
            directory = directory.Parent;
        }

        Assert.NotNull(directory);
        var readme = File.ReadAllText(Path.Combine(directory.FullName, "README.md"));
        return [.. CSharpBlock().Matches(readme).Select(m => m.Groups["code"].Value)];
    }

    [GeneratedRegex("```csharp\\n(?<code>.*?)```", RegexOptions.Singleline)]
    private static partial Regex CSharpBlock();
}
