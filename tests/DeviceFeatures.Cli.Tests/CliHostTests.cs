namespace DeviceFeatures.Cli.Tests;

public sealed class CliHostTests
{
    [Fact]
    public void LinesWrittenFromManyThreads_AllArrive_WhateverWriterIsGiven()
    {
        // Bulk workers report bad rows from several threads; a plain string writer is not safe for that.
        var error = new StringWriter();
        var host = new CliHost { Out = new StringWriter(), Error = error };
        Parallel.For(0, 8, new ParallelOptions { MaxDegreeOfParallelism = 8 }, worker =>
        {
            for (var i = 0; i < 2_000; i++)
            {
                host.Error.WriteLine($"line {worker}-{i}: failed");
            }
        });

        var lines = error.ToString().Split(Environment.NewLine, StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(16_000, lines.Length);
        Assert.Equal(16_000, lines.Distinct().Count());
        Assert.All(lines, l => Assert.Matches("^line [0-7]-[0-9]+: failed$", l));
    }
}
