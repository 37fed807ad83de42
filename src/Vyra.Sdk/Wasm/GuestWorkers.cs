using System.Diagnostics;

namespace Vyra.Sdk;

/// <summary>One piece of guest work handed to a <see cref="GuestWorkers"/> thread; its caller awaits <see cref="Task"/>.</summary>
/// <remarks>
/// Continuations run asynchronously, so a caller that awaits resumes on the thread pool, never on the guest thread.
/// A caller that blocks on the task (sync over async) is different: its wait is not arbitrary code, and the task wakes
/// it from the guest thread directly, so such a caller needs no pool thread (docs/architecture.md, "Completions").
/// </remarks>
internal class GuestWork<T>(Func<T> work) : TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously), IGuestWork
{
    private static readonly ContextCallback RunInContext = static state => Run((GuestWork<T>)state!);

    // The caller's execution context (Activity.Current, logging scopes) is what host functions see during the call.
    private readonly ExecutionContext? _context = ExecutionContext.Capture();
    private readonly Func<T> _work = work;

    /// <summary>The caller's execution context as captured (null when its flow was suppressed).</summary>
    protected ExecutionContext? Context => _context;

    public void Execute()
    {
        if (_context is null) Run(this);
        else ExecutionContext.Run(_context, RunInContext, this);
        Finish();
    }

    /// <summary>The work returned <paramref name="result"/> (still inside the caller's context): completes the task.</summary>
    protected virtual void Complete(T result) => SetResult(result);

    /// <summary>Runs after the work, outside the caller's context (see <see cref="GuestWorkThen{T}"/>).</summary>
    protected virtual void Finish()
    {
    }

    private static void Run(GuestWork<T> item)
    {
        try
        {
            item.Complete(item._work());
        }
        catch (Exception ex)
        {
            item.SetException(ex);
        }
    }
}

/// <summary>
/// Guest work with an after step: run on the same thread once the work returned (its lease and guest slot given
/// back), in the caller's context as captured, before the task completes; the task completes when what the step
/// returns does. Never after a failure. See <see cref="GuestWorkers.Run{T}"/>.
/// </summary>
internal sealed class GuestWorkThen<T>(Func<T> work, Func<object?, T, ValueTask> after, object? afterState, GuestWorkers? owner) : GuestWork<T>(work)
{
    private static readonly ContextCallback RunAfterInContext = static state => ((GuestWorkThen<T>)state!).RunAfter();

    private T _result = default!;
    private bool _succeeded;
    private ValueTask _after;

    protected override void Complete(T result)
    {
        _result = result;
        _succeeded = true;
    }

    protected override void Finish()
    {
        if (!_succeeded) return;
        // The lease and the slot are back: the step is host code that may call this runtime again, or block on
        // something that needs another of its calls; the workers start a thread for such a call rather than queue it
        // behind this one (GuestWorkers.StepAway).
        owner?.StepAway();
        try
        {
            // A context of its own: what the guest's host functions changed in the call's stays out of the step, as it
            // stays out of an await's continuation.
            if (Context is null) RunAfter();
            else ExecutionContext.Run(Context, RunAfterInContext, this);
        }
        finally
        {
            owner?.StepBack();
        }
        if (!_after.IsCompleted)
        {
            _ = CompleteAfterAsync(_after);
            return;
        }
        try
        {
            _after.GetAwaiter().GetResult();
        }
        catch
        {
            // The step reports its own failures (a notification is best effort); the call's result stands.
        }
        SetResult(_result);
    }

    private void RunAfter()
    {
        try
        {
            _after = after(afterState, _result);
        }
        catch (Exception ex)
        {
            _after = ValueTask.FromException(ex);
        }
    }

    private async Task CompleteAfterAsync(ValueTask pending)
    {
        try
        {
            await pending.ConfigureAwait(false);
        }
        catch
        {
            // As above: the step reports its own failures.
        }
        SetResult(_result);
    }
}

/// <summary>Work a guest worker thread runs.</summary>
internal interface IGuestWork
{
    void Execute();
}

/// <summary>
/// Where the asynchronous call paths run guest code: a runtime's own threads, at most one per instance, started when
/// first needed and ended by the stop. Guest code is CPU-bound and may run for its whole timeout; on thread-pool threads
/// a few busy plugins would starve the application (its requests, its timers).
/// </summary>
/// <remarks>
/// <para>The hand-off is what every asynchronous call pays, so it is kept off the kernel where it can be: each worker
/// has a one-item mailbox, idle workers wait on a stack (the one that finished last is used first), and a worker that
/// finished a call spins for a bounded time (<see cref="SpinMicroseconds"/>; at most <see cref="MaxSpinners"/> workers
/// of the process at once) before it parks. Back-to-back calls thus
/// find the worker awake and hand it their work with two plain writes and one interlocked exchange, without a futex
/// wake; a worker that found nothing in that time parks on its own monitor and costs no CPU while idle.</para>
/// <para>Work is handed over only while its instance is leased, so there are never more items than threads for long;
/// the few that arrive while every worker is still finishing its previous item wait in a short backlog, taken first by
/// the next worker that frees up.</para>
/// <para>Work may have an after step (the result notification of <c>CallAsync</c>), run by the same thread once the
/// lease is back and before the caller is woken. While a worker runs one it is away: a call handed over meanwhile, or
/// waiting in the backlog, gets a thread of its own (at most one more per worker away), so host code in an after step
/// may call the runtime again and wait for it. Threads beyond twice the instances end when they find nothing to do.</para>
/// <para>With zero threads (<see cref="PluginRuntimeOptions.GuestThreads"/> off) work runs inline on the calling thread.</para>
/// </remarks>
internal sealed class GuestWorkers(string pluginId, int threads)
{
    /// <summary>How long a worker that ran out of work stays awake for the next item before it parks.</summary>
    internal const int SpinMicroseconds = 50;

    /// <summary>
    /// How many workers, of all runtimes in the process, may spin at once: half the cores (at least one). A burst of
    /// calls to many runtimes leaves many workers idle at the same moment; past this bound they park at once rather
    /// than take cores from the threads doing the work.
    /// </summary>
    internal static readonly int MaxSpinners = Math.Max(1, Environment.ProcessorCount / 2);

    private static readonly long SpinTicks = Math.Max(1, Stopwatch.Frequency * SpinMicroseconds / 1_000_000);
    private static int s_spinners;

    private readonly object _gate = new();
    private readonly Stack<Worker> _idle = new(); // under _gate
    private readonly Queue<IGuestWork> _backlog = new(); // under _gate
    private int _started; // under _gate
    private int _away; // under _gate: workers running an after step
    private bool _completed; // under _gate
    private int _parked;
    private long _parks;
    private long _hotHandOffs;
    private int _alive;

    /// <summary>True when work runs on the runtime's own threads (and so takes a host-wide guest slot).</summary>
    public bool Threaded => threads > 0;

    /// <summary>How many worker threads are parked now (idle past their spin, using no CPU). For tests.</summary>
    internal int Parked => Volatile.Read(ref _parked);

    /// <summary>How many times a worker parked in all. For tests.</summary>
    internal long Parks => Interlocked.Read(ref _parks);

    /// <summary>How many items were handed to a worker that was still spinning (no wake-up needed). For tests.</summary>
    internal long HotHandOffs => Interlocked.Read(ref _hotHandOffs);

    /// <summary>How many workers of the process are spinning now (never more than <see cref="MaxSpinners"/>). For tests.</summary>
    internal static int SpinningNow => Volatile.Read(ref s_spinners);

    /// <summary>Takes one of the process's spin turns; false when <see cref="MaxSpinners"/> workers already spin.</summary>
    private static bool EnterSpin()
    {
        for (var spinning = Volatile.Read(ref s_spinners); spinning < MaxSpinners; spinning = Volatile.Read(ref s_spinners))
        {
            if (Interlocked.CompareExchange(ref s_spinners, spinning + 1, spinning) == spinning) return true;
        }
        return false;
    }

    private static void ExitSpin() => Interlocked.Decrement(ref s_spinners);

    /// <summary>How many worker threads are running (started and not yet ended by the stop). For tests.</summary>
    internal int Alive => Volatile.Read(ref _alive);

    /// <summary>How many worker threads were started (less those that ended as surplus, see <see cref="StepAway"/>).</summary>
    internal int Started
    {
        get
        {
            lock (_gate) return _started;
        }
    }

    /// <summary>
    /// Runs <paramref name="work"/>; <paramref name="held"/> (a guest slot taken for it) is given back when it ends. Then,
    /// unless it failed, <paramref name="after"/> (with <paramref name="afterState"/> and the result) runs on the same
    /// thread, outside the slot, and the task completes once what it returns completes.
    /// </summary>
    public Task<T> Run<T>(Func<T> work, GuestConcurrency? held = null, Func<object?, T, ValueTask>? after = null, object? afterState = null)
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
        if (threads == 0) return Inline(work, after, afterState);
        var item = after is null ? new GuestWork<T>(work) : new GuestWorkThen<T>(work, after, afterState, this);
        Dispatch(item);
        return item.Task;
    }

    private static Task<T> Inline<T>(Func<T> work, Func<object?, T, ValueTask>? after, object? afterState)
    {
        T result;
        try
        {
            result = work();
        }
        catch (Exception ex)
        {
            return Task.FromException<T>(ex);
        }
        return after is null ? Task.FromResult(result) : Then(result, after, afterState);
    }

    /// <summary>
    /// The after step of work that already ran on the calling thread (no guest threads): run as a worker runs it, in a
    /// context of its own; the task completes when the step does.
    /// </summary>
    internal static Task<T> Then<T>(T result, Func<object?, T, ValueTask> after, object? afterState)
    {
        var item = new GuestWorkThen<T>(() => result, after, afterState, null);
        item.Execute();
        return item.Task;
    }

    /// <summary>
    /// The calling worker starts an after step: until <see cref="StepBack"/> it does not count as one of the threads
    /// serving calls. Work already in the backlog gets a thread now (the step may wait for it).
    /// </summary>
    internal void StepAway()
    {
        IGuestWork? queued = null;
        lock (_gate)
        {
            _away++;
            if (!_completed && _started - _away < threads && _backlog.TryDequeue(out queued)) _started++;
        }
        if (queued is not null) StartWorker(queued);
    }

    /// <summary>The calling worker's after step ended: it counts as serving calls again.</summary>
    internal void StepBack()
    {
        lock (_gate) _away--;
    }

    private void StartWorker(IGuestWork first)
    {
        var fresh = new Worker(this, first);
        Interlocked.Increment(ref _alive);
        new Thread(fresh.Loop) { IsBackground = true, Name = $"Vyra guest {pluginId}" }.Start();
    }

    private void Dispatch(IGuestWork item)
    {
        Worker? worker = null;
        var start = false;
        var completed = false;
        lock (_gate)
        {
            if (_completed) completed = true;
            else if (!_idle.TryPop(out worker))
            {
                // A worker running an after step is away: the work gets a thread rather than wait behind the step.
                if (_started - _away < threads)
                {
                    _started++;
                    start = true;
                }
                else
                {
                    _backlog.Enqueue(item);
                }
            }
        }
        if (worker is not null)
        {
            if (worker.Post(item)) Interlocked.Increment(ref _hotHandOffs);
        }
        else if (start)
        {
            StartWorker(item);
        }
        else if (completed)
        {
            // The stop ends the workers only after every lease came back, and work is handed over while leased, so
            // this does not happen; should it ever, the work still runs (here) so that its lease is returned.
            item.Execute();
        }
    }

    /// <summary>Lets the threads end once the backlog is drained (nothing is leased any more when the stop calls this).</summary>
    public void Complete()
    {
        Worker[] idle;
        lock (_gate)
        {
            _completed = true;
            idle = [.. _idle];
            _idle.Clear();
        }
        foreach (var worker in idle) worker.Post(Worker.Stop);
    }

    /// <summary>
    /// The next item for <paramref name="worker"/>, which has just finished one: the backlog first, else the worker waits
    /// on the idle stack for its mailbox (null: the workers are ending).
    /// </summary>
    private IGuestWork? Next(Worker worker)
    {
        lock (_gate)
        {
            if (_backlog.TryDequeue(out var queued)) return queued;
            if (_completed) return null;
            if (_started > threads + _away && _started > 2 * threads)
            {
                // More threads than the instances and the workers away need, and more than twice the instances: this one
                // ends. Up to twice are kept, so a runtime whose calls overlap their notifications does not start a
                // thread per call.
                _started--;
                return null;
            }
            worker.Idle();
            _idle.Push(worker);
        }
        return worker.Wait();
    }

    private void CountPark(int delta)
    {
        Interlocked.Add(ref _parked, delta);
        if (delta > 0) Interlocked.Increment(ref _parks);
    }

    /// <summary>One guest thread and its mailbox.</summary>
    private sealed class Worker(GuestWorkers owner, IGuestWork first)
    {
        /// <summary>Posted to end a worker.</summary>
        public static readonly IGuestWork Stop = new StopWork();

        private const int Busy = 0, Spinning = 1, Parked = 2;

        private IGuestWork? _mail = first;
        private int _state = Busy;

        /// <summary>Called under the owner's gate before the worker goes on the idle stack: from now on a post may come.</summary>
        public void Idle() => Volatile.Write(ref _state, Spinning);

        /// <summary>
        /// Hands <paramref name="item"/> over (the worker was taken off the idle stack, so nobody else posts to it);
        /// true when the worker was still awake and no wake-up was needed.
        /// </summary>
        public bool Post(IGuestWork item)
        {
            Volatile.Write(ref _mail, item);
            // The exchange orders the write before the state is read: a worker that has not parked yet sees the mail
            // when its own compare-exchange to Parked fails, and one that has parked is pulsed under its monitor.
            if (Interlocked.Exchange(ref _state, Busy) != Parked) return true;
            lock (this) Monitor.Pulse(this);
            return false;
        }

        /// <summary>Spins for a bounded time (when the process's spin budget allows), then parks, until an item is posted.</summary>
        public IGuestWork Wait()
        {
            // The state, not the mailbox, says when the item is there: a post leaves Spinning only after writing the
            // mail, and once the worker sees that the post is complete (no exchange of it can land later).
            if (EnterSpin())
            {
                try
                {
                    var until = Stopwatch.GetTimestamp() + SpinTicks;
                    var spinner = default(SpinWait);
                    while (Volatile.Read(ref _state) == Spinning && Stopwatch.GetTimestamp() < until)
                    {
                        // Yields to other threads now and then (never sleeps): on a busy machine the caller may need this core.
                        spinner.SpinOnce(sleep1Threshold: -1);
                    }
                }
                finally
                {
                    ExitSpin();
                }
            }
            if (Interlocked.CompareExchange(ref _state, Parked, Spinning) == Spinning) Park();
            var item = Volatile.Read(ref _mail)!;
            _mail = null;
            return item;
        }

        private void Park()
        {
            owner.CountPark(1);
            lock (this)
            {
                while (Volatile.Read(ref _state) == Parked) Monitor.Wait(this);
            }
            owner.CountPark(-1);
        }

        public void Loop()
        {
            try
            {
                while (RunNext())
                {
                }
            }
            finally
            {
                Interlocked.Decrement(ref owner._alive);
            }
        }

        // The item lives only in this frame: an idle worker, waiting for the next one, must not keep the last call (and
        // through it a runtime and its compiled module) reachable, as a loop variable can in unoptimized builds.
        [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
        private bool RunNext()
        {
            var item = Take();
            if (item is null || ReferenceEquals(item, Stop)) return false;
            item.Execute();
            return true;
        }

        private IGuestWork? Take()
        {
            if (_mail is { } first)
            {
                _mail = null;
                return first;
            }
            return owner.Next(this);
        }
    }

    private sealed class StopWork : IGuestWork
    {
        public void Execute()
        {
        }
    }
}
