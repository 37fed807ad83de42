namespace Vyra.Sdk;

/// <summary>
/// Interchangeable instances of a stateless plugin: calls run on the instances in parallel, callers beyond the free ones
/// wait on a semaphore (asynchronously from <c>CallAsync</c>; no polling), and an instance whose call failed is replaced
/// by a fresh one. The waiters are counted, so the queue is bounded; each waits with its own token, its wait bound and
/// the pool's closing token, so a stop fails them at once.
/// </summary>
/// <remarks>
/// <para>An elastic pool (<see cref="PoolSizing.Elastic"/>) holds between a minimum and a maximum of instances. A caller
/// that has to wait while fewer than the maximum exist asks for one more: one growth runs at a time on its own thread
/// (never the caller's), and keeps adding instances while callers still outnumber the free ones, so a burst of waiters
/// is coalesced into the instances it needs and never into more than the maximum. A timer owned by the pool (closed
/// with it) disposes instances above the minimum that have been idle for the idle time.</para>
/// <para>Free instances are kept as a stack: the most recently returned is leased first, so under light load the same
/// few instances stay warm while the ones at the bottom age and can be reclaimed (a queue would rotate through all of
/// them and keep every one looking busy). Only a free instance can be reclaimed: a leased one is not in the stack.</para>
/// <para>Invariant: every semaphore permit stands for one entry of the stack. An entry is pushed before its permit is
/// released, and a permit is taken before its entry is popped (or, when reclaimed, removed from the bottom).</para>
/// </remarks>
internal sealed class InstancePool : InstanceSlots
{
    private readonly SemaphoreSlim _free;
    private readonly object _gate = new();
    private readonly FreeInstance[] _stack; // under _gate: [0] idle longest, [_freeCount - 1] returned last
    private readonly List<WasmInstance> _all; // under _gate
    private readonly PoolSizing _sizing;
    private readonly CancellationTokenSource _closing = new();
    private readonly ITimer? _reclaimTimer;
    private int _freeCount; // under _gate
    private volatile int _count; // changed under _gate
    private int _waiters;
    private volatile bool _closed;
    private int _growing; // 1 while a growth runs (or is being started)
    private int _askedWhileFull; // a caller was refused with a full queue: grow once even with nobody waiting
    private int _growthHeld; // > 0: a restore is gathering every instance; the pool must not grow under it
    private long _growthRetryAt; // after a failed growth, no other before this timestamp (of _sizing.Time)
    private Task? _growth; // under _gate

    private readonly record struct FreeInstance(WasmInstance Instance, long Since);

    public InstancePool(IReadOnlyList<WasmInstance> instances, int maxWaiters, PoolSizing sizing)
        : base(maxWaiters)
    {
        _sizing = sizing;
        _all = [.. instances];
        _count = instances.Count;
        Peak = instances.Count;
        _stack = new FreeInstance[sizing.Max];
        var now = sizing.Time.GetTimestamp();
        foreach (var instance in instances) _stack[_freeCount++] = new FreeInstance(instance, now);
        _free = new SemaphoreSlim(instances.Count, sizing.Max);
        if (sizing.ReclaimPeriod is { } period)
        {
            // The timer holds the pool weakly: a runtime dropped without a stop must not be kept alive by its own timer.
            _reclaimTimer = sizing.Time.CreateTimer(static state =>
            {
                if (((WeakReference<InstancePool>)state!).TryGetTarget(out var pool)) pool.Reclaim();
            }, new WeakReference<InstancePool>(this), period, period);
        }
        PoolSizes.Track(this);
    }

    /// <summary>The plugin whose pool this is (the gauge's tag).</summary>
    public string PluginId => _sizing.PluginId;

    public override bool IsOpen => !_closed;

    public override int Count => _count;

    /// <summary>The most instances the pool ever held at once (for tests: never above the maximum).</summary>
    internal int Peak { get; private set; }

    /// <summary>Instances added by growth so far.</summary>
    internal int Grown { get; private set; }

    /// <summary>Idle instances disposed by the reclaim timer so far.</summary>
    internal int Reclaimed { get; private set; }

    /// <summary>Raised after every change of <see cref="Count"/> by growth or reclaim (on the thread that made it).</summary>
    internal event Action<InstancePool>? Resized;

    public override WasmInstance? Acquire(int waitMs, CancellationToken cancellationToken, out LeaseRefusal refusal, out long waitedMs)
    {
        waitedMs = 0;
        if (_free.Wait(0)) return Take(out refusal);
        if (!EnterQueue(out refusal)) return null;
        var asked = Environment.TickCount64;
        var waiting = true;
        try
        {
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _closing.Token);
            var free = _free.Wait(waitMs, linked.Token);
            waitedMs = Environment.TickCount64 - asked;
            if (free)
            {
                waiting = LeaveQueue();
                return Take(out refusal);
            }
            refusal = LeaseRefusal.WaitedTooLong;
            return null;
        }
        catch (OperationCanceledException)
        {
            refusal = cancellationToken.IsCancellationRequested ? LeaseRefusal.Cancelled : LeaseRefusal.Closed;
            return null;
        }
        finally
        {
            if (waiting) LeaveQueue();
        }
    }

    /// <summary>
    /// Stops counting the caller as a waiter. A served caller leaves before it takes its instance off the stack, so the
    /// growth, which compares the waiters with the free instances, never counts one caller both as waiting and as not
    /// yet served by a free instance (that would build one instance too many).
    /// </summary>
    private bool LeaveQueue()
    {
        Interlocked.Decrement(ref _waiters);
        return false;
    }

    public override ValueTask<(WasmInstance? Instance, LeaseRefusal Refusal)> AcquireAsync(int waitMs, CancellationToken cancellationToken)
    {
        if (_free.Wait(0)) return new((Take(out var refusal), refusal));
        if (!EnterQueue(out var full)) return new((null, full));
        return WaitAsync(waitMs, cancellationToken);
    }

    private async ValueTask<(WasmInstance?, LeaseRefusal)> WaitAsync(int waitMs, CancellationToken cancellationToken)
    {
        var waiting = true;
        try
        {
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _closing.Token);
            if (!await _free.WaitAsync(waitMs, linked.Token).ConfigureAwait(false)) return (null, LeaseRefusal.WaitedTooLong);
            waiting = LeaveQueue();
            var instance = Take(out var refusal);
            return (instance, refusal);
        }
        catch (OperationCanceledException)
        {
            return (null, cancellationToken.IsCancellationRequested ? LeaseRefusal.Cancelled : LeaseRefusal.Closed);
        }
        finally
        {
            if (waiting) LeaveQueue();
        }
    }

    private bool EnterQueue(out LeaseRefusal refusal)
    {
        if (_closed)
        {
            refusal = LeaseRefusal.Closed;
            return false;
        }
        if (Interlocked.Increment(ref _waiters) > MaxWaiters)
        {
            Interlocked.Decrement(ref _waiters);
            refusal = LeaseRefusal.QueueFull;
            // Refused now, but the next caller should find an instance (with MaxQueueLength 0 nobody ever waits).
            if (_count < _sizing.Max)
            {
                Volatile.Write(ref _askedWhileFull, 1);
                RequestGrowth();
            }
            return false;
        }
        refusal = LeaseRefusal.None;
        // Counted as a waiter first: the growth adds instances while waiters outnumber the free ones.
        if (_count < _sizing.Max) RequestGrowth();
        return true;
    }

    private WasmInstance? Take(out LeaseRefusal refusal)
    {
        lock (_gate)
        {
            if (!_closed && _freeCount > 0)
            {
                var instance = _stack[--_freeCount].Instance;
                _stack[_freeCount] = default;
                refusal = LeaseRefusal.None;
                return instance;
            }
        }
        _free.Release();
        refusal = LeaseRefusal.Closed;
        return null;
    }

    public override void Release(WasmInstance instance)
    {
        var back = instance.Replacement ?? instance;
        if (back.IsDisposed)
        {
            _closed = true;
        }
        else
        {
            var now = _sizing.Elastic ? _sizing.Time.GetTimestamp() : 0;
            lock (_gate) _stack[_freeCount++] = new FreeInstance(back, now);
        }
        _free.Release();
    }

    public override void Replace(WasmInstance broken, WasmInstance? fresh)
    {
        broken.Replacement = fresh;
        broken.Dispose();
        lock (_gate)
        {
            _all.Remove(broken);
            if (fresh is not null) _all.Add(fresh);
        }
        if (fresh is null) _closed = true;
    }

    public override void HoldSize(bool hold)
    {
        if (hold) Interlocked.Increment(ref _growthHeld);
        else Interlocked.Decrement(ref _growthHeld);
    }

    // ---- growth ------------------------------------------------------------------------------------------------

    private void RequestGrowth()
    {
        if (_closed || Volatile.Read(ref _growthHeld) > 0) return;
        if (Failing()) return;
        // One growth at a time: requests made while it runs are coalesced into it (it looks at the waiters again after
        // each instance it adds).
        if (Interlocked.CompareExchange(ref _growing, 1, 0) != 0) return;
        lock (_gate)
        {
            if (_closed)
            {
                Volatile.Write(ref _growing, 0);
                return;
            }
            // Its own thread: instantiating and init run guest code (bounded by the call timeout), which must not hold a
            // thread-pool thread; and the caller's context (activity, logging scopes) is not the growth's.
            if (ExecutionContext.IsFlowSuppressed())
            {
                _growth = StartGrowth();
            }
            else
            {
                using (ExecutionContext.SuppressFlow()) _growth = StartGrowth();
            }
        }
    }

    private Task StartGrowth() =>
        Task.Factory.StartNew(static state => ((InstancePool)state!).Grow(), this, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);

    /// <summary>
    /// True while the pool should hold one more instance: callers outnumber the free instances (counted on the stack,
    /// which a served caller leaves only after it stopped counting as a waiter), or one was refused with a full queue.
    /// </summary>
    private bool Wanted() =>
        !_closed && Volatile.Read(ref _growthHeld) == 0 && _count < _sizing.Max && !Failing()
        && (Volatile.Read(ref _waiters) > Volatile.Read(ref _freeCount) || Interlocked.Exchange(ref _askedWhileFull, 0) == 1);

    /// <summary>True within a second of a failed growth: no other is tried meanwhile.</summary>
    private bool Failing() => _sizing.Time.GetTimestamp() < Volatile.Read(ref _growthRetryAt);

    private void Grow()
    {
        while (true)
        {
            while (Wanted() && AddOne())
            {
            }
            // A full fence, not a release write: a caller increments the waiters and then tries to start a growth; this
            // thread clears the flag and then reads the waiters. A release write may pass the read that follows it, and
            // then both sides miss each other (the caller sees the flag still set, this thread the old count) and the
            // caller waits for a growth nobody runs.
            Interlocked.Exchange(ref _growing, 0);
            // A caller that queued after the last look found this growth running and left the work to it: look again.
            if (!Wanted() || Interlocked.CompareExchange(ref _growing, 1, 0) != 0) return;
        }
    }

    private bool AddOne()
    {
        WasmInstance instance;
        try
        {
            instance = _sizing.Grow(_closing.Token);
        }
        catch (Exception ex)
        {
            // The callers keep waiting for the instances there are; the next growth is tried a second later at the soonest,
            // so a plugin whose instances cannot be built (memory, a failing init) does not rebuild on every call.
            Volatile.Write(ref _growthRetryAt, _sizing.Time.GetTimestamp() + _sizing.Time.TimestampFrequency);
            if (!_closing.IsCancellationRequested) _sizing.GrowthFailed(ex);
            return false;
        }
        var added = false;
        lock (_gate)
        {
            if (!_closed && _count < _sizing.Max)
            {
                _all.Add(instance);
                _stack[_freeCount++] = new FreeInstance(instance, _sizing.Time.GetTimestamp());
                _count++;
                Grown++;
                if (_count > Peak) Peak = _count;
                added = true;
            }
        }
        if (!added)
        {
            instance.Dispose();
            return false;
        }
        _free.Release();
        Resized?.Invoke(this);
        return true;
    }

    // ---- reclaim -----------------------------------------------------------------------------------------------

    /// <summary>Disposes the instances above the minimum that have been free for the idle time; returns how many.</summary>
    internal int Reclaim()
    {
        List<WasmInstance>? gone = null;
        lock (_gate)
        {
            var now = _sizing.Time.GetTimestamp();
            // The bottom of the stack has been free longest. A permit is taken for it first, so no caller can be given it.
            while (!_closed && _count > _sizing.Min && _freeCount > 0
                && _sizing.Time.GetElapsedTime(_stack[0].Since, now) >= _sizing.IdleTimeout && _free.Wait(0))
            {
                var instance = _stack[0].Instance;
                Array.Copy(_stack, 1, _stack, 0, --_freeCount);
                _stack[_freeCount] = default;
                _all.Remove(instance);
                _count--;
                Reclaimed++;
                (gone ??= []).Add(instance);
            }
        }
        if (gone is null) return 0;
        // Reclaiming loses that instance's globals and memory: pooled instances never shared state (docs/architecture.md).
        foreach (var instance in gone) instance.Dispose();
        Resized?.Invoke(this);
        return gone.Count;
    }

    // ---- close -------------------------------------------------------------------------------------------------

    public override async ValueTask CloseAsync(bool interrupt = true)
    {
        Task? growth;
        lock (_gate)
        {
            _closed = true; // no growth starts and no instance is reclaimed or added from now on
            growth = _growth;
        }
        _reclaimTimer?.Dispose();
        if (interrupt)
        {
            lock (_gate)
            {
                foreach (var instance in _all) instance.Guard.Stop(); // runaway calls end at the next epoch tick
            }
        }
        _closing.Cancel(); // callers still waiting fail now with NotStarted; a growth's init in progress is interrupted
        if (growth is not null) await growth.ConfigureAwait(false); // Grow catches what it meets: this never throws
        // Taking every slot waits for the calls in flight; then nothing is leased and all can go.
        var count = _count;
        for (var i = 0; i < count; i++) await _free.WaitAsync().ConfigureAwait(false);
        lock (_gate)
        {
            while (_freeCount > 0)
            {
                _stack[--_freeCount].Instance.Dispose();
                _stack[_freeCount] = default;
            }
            _all.Clear();
        }
        PoolSizes.Untrack(this);
        // Late callers that got past the closed check find the pool closed and fail with NotStarted.
        if (count > 0) _free.Release(count);
    }
}
