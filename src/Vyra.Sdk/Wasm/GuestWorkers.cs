using System.Collections.Concurrent;

namespace Vyra.Sdk;

/// <summary>One piece of guest work handed to a <see cref="GuestWorkers"/> thread; its caller awaits <see cref="Task"/>.</summary>
internal sealed class GuestWork<T>(Func<T> work) : TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously), IGuestWork
{
    // The caller's execution context (Activity.Current, logging scopes) is what host functions see during the call.
    private readonly ExecutionContext? _context = ExecutionContext.Capture();

    public void Execute()
    {
        if (_context is null) Run(this);
        else ExecutionContext.Run(_context, static state => Run((GuestWork<T>)state!), this);
    }

    private static void Run(GuestWork<T> item)
    {
        try
        {
            item.SetResult(item._work());
        }
        catch (Exception ex)
        {
            item.SetException(ex);
        }
    }

    private readonly Func<T> _work = work;
}

/// <summary>Work a guest worker thread runs.</summary>
internal interface IGuestWork
{
    void Execute();
}

/// <summary>
/// Where the asynchronous call paths run guest code: a runtime's own threads, one per instance, started on first use
/// and ended by the stop. Guest code is CPU-bound and may run for its whole timeout; on thread-pool threads a few busy
/// plugins would starve the application (its requests, its timers). Callers wait without a thread (the work completes
/// a <see cref="TaskCompletionSource{TResult}"/> whose continuations run asynchronously, so the caller's continuation
/// never runs on, or blocks, a worker). Work is handed over only while its instance is leased, so there are never more
/// items than threads for long: the queue needs no bound of its own.
/// </summary>
/// <para>With zero threads (<see cref="PluginRuntimeOptions.GuestThreads"/> off) work runs inline on the calling thread.</para>
internal sealed class GuestWorkers(string pluginId, int threads)
{
    private readonly BlockingCollection<IGuestWork> _queue = new(new ConcurrentQueue<IGuestWork>());
    private readonly object _gate = new();
    private bool _started;

    /// <summary>True when work runs on the runtime's own threads (and so takes a host-wide guest slot).</summary>
    public bool Threaded => threads > 0;

    /// <summary>Runs <paramref name="work"/>; <paramref name="held"/> (a guest slot taken for it) is given back when it ends.</summary>
    public Task<T> Run<T>(Func<T> work, GuestConcurrency? held = null)
    {
        if (held is not null)
        {
            var inner = work;
            work = () =>
            {
                // Marked on the thread so a host function that waits for another plugin can lend the slot out (HeldGuestSlot).
                var outer = HeldGuestSlot.Enter(held);
                try
                {
                    return inner();
                }
                finally
                {
                    HeldGuestSlot.Exit(outer);
                }
            };
        }
        if (threads == 0) return Inline(work);
        var item = new GuestWork<T>(work);
        if (!Volatile.Read(ref _started)) StartThreads();
        // The stop completes the queue only after every lease came back, and work is handed over while leased, so the
        // queue is open here; should that ever fail, the work still runs (here) so that its lease is returned.
        try
        {
            _queue.Add(item);
        }
        catch (InvalidOperationException)
        {
            item.Execute();
        }
        return item.Task;
    }

    private static Task<T> Inline<T>(Func<T> work)
    {
        try
        {
            return Task.FromResult(work());
        }
        catch (Exception ex)
        {
            return Task.FromException<T>(ex);
        }
    }

    /// <summary>Lets the threads end once the queue is drained (nothing is leased any more when the stop calls this).</summary>
    public void Complete() => _queue.CompleteAdding();

    private void StartThreads()
    {
        lock (_gate)
        {
            if (_started) return;
            for (var i = 0; i < threads; i++)
            {
                new Thread(Loop) { IsBackground = true, Name = $"Vyra guest {pluginId} #{i + 1}" }.Start();
            }
            Volatile.Write(ref _started, true);
        }
    }

    private void Loop()
    {
        while (TakeAndRun())
        {
        }
    }

    // The item lives only in this frame: an idle worker, blocked waiting for the next one, must not keep the last call
    // (and through it a runtime and its compiled module) reachable, as a loop variable can in unoptimized builds.
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private bool TakeAndRun()
    {
        if (!_queue.TryTake(out var item, Timeout.Infinite)) return false;
        item.Execute();
        return true;
    }
}
