using DeviceFeatures.Load;

using var cancel = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    // The first Ctrl+C ends the run cleanly (the server is stopped, the throwaway database deleted).
    e.Cancel = !cancel.IsCancellationRequested;
    cancel.Cancel();
};

return await LoadCommand.RunAsync(args, cancel.Token);
