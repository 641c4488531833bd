using System.CommandLine;
using DeviceFeatures.Client;
using Spectre.Console;

namespace DeviceFeatures.Cli.Bulk;

/// <summary>
/// <c>bulk --file changes.csv</c>: applies many changes with bounded concurrency, pausing on 601, writing a result per
/// row, and resuming where a previous run stopped.
/// </summary>
internal static class BulkCommand
{
    public const int MaxAttemptsPerRow = 6;

    public static Command Create(CliHost host)
    {
        var file = new Option<FileInfo>("--file") { Description = "CSV with columns userid,model,feature_name,action", Required = true };
        var concurrency = new Option<int>("--concurrency", "-c") { Description = "Requests in flight at once (1-64)", DefaultValueFactory = _ => 4 };
        concurrency.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<int>() is < 1 or > 64)
            {
                r.AddError("--concurrency must be from 1 to 64.");
            }
        });
        var results = new Option<FileInfo?>("--results") { Description = "Where to write one result per row [default: <file>.results.csv]" };
        var resume = new Option<bool>("--resume") { Description = "Skip the rows that already succeeded according to the results file" };

        var command = new Command("bulk", "Enable or disable features from a CSV file") { file, concurrency, results, resume };
        return command.Runs(host, async (context, parse, ct) =>
        {
            var input = parse.GetValue(file)!;
            if (!input.Exists)
            {
                throw new CliException(ExitCodes.Usage, $"The file {input.FullName} does not exist.");
            }

            var resultsPath = parse.GetValue(results)?.FullName ?? input.FullName + ".results.csv";
            var run = new BulkRun(context, parse.GetValue(concurrency), parse.GetValue(resume));
            var summary = await run.ExecuteAsync(input.FullName, resultsPath, ct);

            if (context.Json)
            {
                context.WriteJson(summary);
            }
            else
            {
                context.Console.WriteLine($"succeeded {summary.Succeeded}, failed {summary.Failed}, skipped {summary.Skipped} (results in {summary.Results})");
            }

            return summary.Aborted is not null ? summary.Aborted.Value : summary.Failed > 0 ? ExitCodes.Failed : ExitCodes.Success;
        });
    }
}

internal sealed record BulkSummary(int Succeeded, int Failed, int Skipped, string Results, int? Aborted);

internal sealed class BulkRun(CliContext context, int concurrency, bool resume)
{
    private readonly RateGate _gate = new(context.Host.Time, TimeSpan.FromSeconds(15), TimeSpan.FromMinutes(2));
    private int _succeeded;
    private int _failed;
    private int _done;
    private int? _aborted;

    public async Task<BulkSummary> ExecuteAsync(string inputPath, string resultsPath, CancellationToken cancellationToken)
    {
        var (rows, problems) = BulkFile.Read(inputPath);
        var succeededBefore = resume ? BulkResults.ReadSucceeded(resultsPath) : [];
        var todo = rows.Where(r => !succeededBefore.Contains(r.Key)).ToList();
        var skipped = rows.Count - todo.Count;

        // The bulk run handles 601 itself, pausing every worker, so the client must not wait on its own.
        var client = context.CreateClient(o => o.MaxRateLimitRetries = 0);
        await using var output = await BulkResults.OpenAsync(resultsPath, append: resume);

        foreach (var problem in problems)
        {
            _failed++;
            context.Diagnostic($"line {problem.Line}: invalid row: {problem.Reason}");
            await output.WriteAsync(problem);
        }

        using var abort = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var total = todo.Count;
        async Task RunAllAsync(Action onRow)
        {
            try
            {
                await Parallel.ForEachAsync(todo, new ParallelOptions { MaxDegreeOfParallelism = concurrency, CancellationToken = abort.Token },
                    async (row, ct) =>
                    {
                        await ApplyAsync(client, row, output, abort, ct);
                        onRow();
                    });
            }
            catch (OperationCanceledException) when (_aborted is not null && !cancellationToken.IsCancellationRequested)
            {
                // Stopped on purpose: every remaining row would have failed the same way.
            }
        }

        if (context.Host.IsInteractive && !context.Json)
        {
            await context.Diagnostics.Progress().AutoClear(true).StartAsync(async progress =>
            {
                var task = progress.AddTask("applying changes", maxValue: Math.Max(total, 1));
                await RunAllAsync(() => task.Increment(1));
            });
        }
        else
        {
            var step = Math.Max(1, total / 10);
            await RunAllAsync(() =>
            {
                var done = Interlocked.Increment(ref _done);
                if (done % step == 0 || done == total)
                {
                    context.Diagnostic($"progress: {done}/{total} rows ({Volatile.Read(ref _failed)} failed so far)");
                }
            });
        }

        return new BulkSummary(_succeeded, _failed, skipped, resultsPath, _aborted);
    }

    private async Task ApplyAsync(DeviceFeaturesClient client, BulkRow row, BulkResults output, CancellationTokenSource abort, CancellationToken ct)
    {
        for (var attempt = 1; ; attempt++)
        {
            await _gate.WaitAsync(ct);
            try
            {
                if (row.Enable)
                {
                    await client.EnableFeatureAsync(row.UserId, row.Model, row.Feature, ct);
                }
                else
                {
                    await client.DisableFeatureAsync(row.UserId, row.Model, row.Feature, ct);
                }

                _gate.Succeeded();
                Interlocked.Increment(ref _succeeded);
                await output.WriteAsync(row, "ok", 0, null);
                return;
            }
            catch (TooManyRequestsException limited) when (attempt < BulkCommand.MaxAttemptsPerRow)
            {
                if (_gate.Pause(limited.WaitSeconds) is { } pause)
                {
                    context.Diagnostic($"rate limited (601): pausing every request for {pause.TotalSeconds:0} s");
                }
            }
            catch (DeviceFeaturesException ex)
            {
                var (code, message, status) = CommandRunner.Describe(ex, ct);
                Interlocked.Increment(ref _failed);
                context.Diagnostic($"line {row.Line}: failed{(status is null ? "" : $" ({status})")}: {message}");
                await output.WriteAsync(row, "failed", status, message);

                // Wrong credentials, a clock out of the window, a suspended partner or a service that cannot be reached
                // (after the client's own retries) fail every row alike: stop, and let --resume carry on later.
                if (status is 100 or 101 or 102 or 214 || ex is DeviceFeaturesTransportException)
                {
                    _aborted ??= code;
                    await abort.CancelAsync();
                }

                return;
            }
        }
    }
}
