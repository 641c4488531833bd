using System.CommandLine;
using System.CommandLine.Help;

namespace DeviceFeatures.Cli.Tests;

/// <summary>A command line that cannot be read is answered in words a person knows: the option, the value, what was expected.</summary>
public sealed class ParseErrorTests
{
    /// <summary>
    /// Every option of every command whose value is not plain text, as "command path|option name|kind" (file, flag
    /// or value). Each is given a value it cannot read: "abc", or an empty one (any other text is a file path).
    /// </summary>
    public static TheoryData<string> OptionsWithValues()
    {
        var data = new TheoryData<string>();
        void Visit(Command command, string path)
        {
            foreach (var option in command.Options)
            {
                if (option is HelpOption or VersionOption || option.ValueType == typeof(string) || option.ValueType == typeof(string[]))
                {
                    continue;
                }

                // The options every command accepts are tried on one that needs nothing else.
                var kind = option.ValueType == typeof(FileInfo) ? "file" : option.ValueType == typeof(bool) ? "flag" : "value";
                data.Add($"{(path.Length == 0 ? "nonce" : path)}|{option.Name}|{kind}");
            }

            foreach (var sub in command.Subcommands)
            {
                Visit(sub, path.Length == 0 ? sub.Name : $"{path} {sub.Name}");
            }
        }

        Visit(DevfeatApp.Build(new CliHost { Out = TextWriter.Null, Error = TextWriter.Null }), "");
        return data;
    }

    [Theory]
    [MemberData(nameof(OptionsWithValues))]
    public async Task UnreadableOptionValue_IsNamedWithTheOption_NeverAsADotNetType(string pathOptionAndKind)
    {
        var (path, option, kind) = (pathOptionAndKind.Split('|')[0], pathOptionAndKind.Split('|')[1], pathOptionAndKind.Split('|')[2]);
        foreach (var value in kind == "file" ? [""] : new[] { "abc", "" })
        {
            var run = await new Devfeat().RunAsync([.. Devfeat.Split(path), option, value]);

            Assert.True(run.ExitCode == 2, run.ToString());
            Assert.DoesNotContain("System.", run.Error, StringComparison.Ordinal);
            Assert.DoesNotContain("`", run.Error, StringComparison.Ordinal);
            Assert.Contains($"'{value}'", run.Error, StringComparison.Ordinal);

            // A flag does not take a value it cannot read, which is then an argument of its own.
            Assert.Contains(kind == "flag" ? $"argument '{value}'" : $"{option}: '{value}' is not ", run.Error, StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData("list --user abc --model 17", "--user: 'abc' is not a user id (a whole number above 0, e.g. 12345).")]
    [InlineData("list --user 99999999999 --model 17", "--user: '99999999999' is not a user id")]
    [InlineData("list --user -5 --model 17", "--user: '-5' is not a user id")]
    [InlineData("admin state --user 1.5", "--user: '1.5' is not a user id")]
    [InlineData("admin audit --user x", "--user: 'x' is not a user id")]
    [InlineData("admin audit --since yesterday", "--since: 'yesterday' is not a time (ISO 8601, e.g. 2026-11-24T09:00:00Z or 2026-11-24).")]
    [InlineData("admin partners rotate-secret abc --overlap soon", "--overlap: 'soon' is not a number of seconds")]
    [InlineData("bulk --file rows.csv --concurrency many", "--concurrency: 'many' is not a number of requests in flight from 1 to 64.")]
    [InlineData("bulk --file rows.csv --concurrency 65", "--concurrency: '65' is not a number of requests in flight from 1 to 64.")]
    public async Task UnreadableValue_SaysWhatWasExpected(string commandLine, string message)
    {
        var run = await new Devfeat().RunAsync(commandLine);

        Assert.True(run.ExitCode == 2, run.ToString());
        Assert.Contains("error: " + message, run.Error, StringComparison.Ordinal);
        Assert.Contains("See 'devfeat --help'.", run.Error, StringComparison.Ordinal);
        Assert.Equal("", run.Out);
    }

    [Theory]
    [InlineData("list --model 17")]
    [InlineData("bulk --file")]
    [InlineData("admin audit --export")]
    [InlineData("enable --user 1 --model 17")]
    [InlineData("list --json maybe --user 1 --model 17")]
    [InlineData("frobnicate")]
    public async Task OtherUsageErrors_NameNoDotNetType(string commandLine)
    {
        var run = await new Devfeat().RunAsync(commandLine);

        Assert.True(run.ExitCode == 2, run.ToString());
        Assert.StartsWith("error: ", run.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("System.", run.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task FlagsStillTakeAnExplicitValue()
    {
        var run = await new Devfeat().RunAsync("catalog --model 17 --json=false");

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Contains("feature_pacemaker", run.Out, StringComparison.Ordinal);
        Assert.DoesNotContain("\"feature_name\"", run.Out, StringComparison.Ordinal);
    }
}
