using DeviceFeatures.Cli;

using var cancel = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    // The first Ctrl+C stops the command cleanly (a bulk run keeps its results file); a second one kills it.
    e.Cancel = !cancel.IsCancellationRequested;
    cancel.Cancel();
};

return await DevfeatApp.RunAsync(args, CliHost.FromProcess(), cancel.Token);
