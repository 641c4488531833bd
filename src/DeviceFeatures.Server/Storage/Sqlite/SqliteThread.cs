using System.Collections.Concurrent;

namespace DeviceFeatures.Server.Storage.Sqlite;

/// <summary>
/// A thread of its own for a loop that makes SQLite's calls (the writer's, the checkpointer's): the loop runs there,
/// and so does everything it awaits, since this is the thread's synchronization context. SQLite's calls are
/// synchronous (a commit waits for its sync to the disk, a checkpoint for its copy); on the thread pool each of
/// them would hold a thread that the requests need.
/// </summary>
internal sealed class SqliteThread : SynchronizationContext
{
    private readonly BlockingCollection<(SendOrPostCallback Callback, object? State)> _work = [];

    private SqliteThread()
    {
    }

    /// <summary>Starts a thread named <paramref name="name"/> that runs <paramref name="loop"/>, and ends with it.</summary>
    /// <returns>The loop's completion.</returns>
    public static Task Run(string name, Func<Task> loop)
    {
        var context = new SqliteThread();
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var thread = new Thread(() => context.Pump(loop, done)) { IsBackground = true, Name = name };
        thread.Start();
        return done.Task;
    }

    public override void Post(SendOrPostCallback d, object? state) => _work.Add((d, state));

    public override void Send(SendOrPostCallback d, object? state) =>
        throw new NotSupportedException("This thread only runs work posted to it.");

    public override SynchronizationContext CreateCopy() => this;

    private void Pump(Func<Task> loop, TaskCompletionSource done)
    {
        SetSynchronizationContext(this);
        var task = loop();

        // The loop's last continuation runs here, then nothing else is posted: the thread drains and ends.
        task.ContinueWith(static (_, work) => ((BlockingCollection<(SendOrPostCallback, object?)>)work!).CompleteAdding(), _work,
            CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        foreach (var (callback, state) in _work.GetConsumingEnumerable())
        {
            callback(state);
        }

        _work.Dispose();
        if (task.Exception is { } failure)
        {
            done.SetException(failure.InnerExceptions);
        }
        else
        {
            done.SetResult();
        }
    }
}
