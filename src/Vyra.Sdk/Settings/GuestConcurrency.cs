namespace Vyra.Sdk;

/// <summary>
/// A cap on how much guest code runs at once on the asynchronous call paths, shared by every runtime that uses it
/// (<see cref="PluginRuntimeOptions.GuestConcurrency"/>; by default <see cref="Host"/>, one per process). Each runtime
/// runs its asynchronous calls on its own threads, one per instance; without a cap, many saturated instances would
/// take every core from the application (its requests, its timers) however few of them the host meant to give away.
/// <para>
/// A call takes a slot after it leased its instance and before its guest code runs. The time it waits for a slot counts
/// toward the same bound as the wait for an instance (the call's timeout, or <see cref="PluginRuntimeOptions.MaxQueueWait"/>):
/// a call that gets no slot in time fails with <see cref="PluginErrorKind.Overloaded"/> and never ran; the caller's
/// token and a stop of the runtime end the wait at once. A call started from inside another asynchronous call (a host
/// function of runtime A calling runtime B and waiting for it) runs on its caller's slot instead of waiting for one:
/// the caller holds that slot and is blocked until the nested call ends, so the nested call cannot add running code.
/// The sync typed path runs on the caller's own thread, by the caller's choice, and takes no slot.
/// </para>
/// </summary>
public sealed class GuestConcurrency
{
    private readonly object _gate = new();
    private readonly LinkedList<Waiter> _waiters = new();
    private int _limit;
    private int _running;

    /// <summary>Completed with true when a slot is handed to the waiter.</summary>
    private sealed class Waiter() : TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously)
    {
        public LinkedListNode<Waiter>? Node;
    }

    /// <summary>Creates a cap of <paramref name="limit"/> concurrently running guest calls.</summary>
    public GuestConcurrency(int limit)
    {
        _limit = CheckLimit(limit);
    }

    /// <summary>
    /// The process-wide cap every runtime uses unless its options name another: by default one core fewer than the
    /// process may use (at least one), which leaves a core to the application while plugins are saturated.
    /// Set <see cref="Limit"/> on it to configure the whole process.
    /// </summary>
    public static GuestConcurrency Host { get; } = new(DefaultLimit);

    /// <summary><c>max(1, Environment.ProcessorCount - 1)</c>.</summary>
    public static int DefaultLimit => Math.Max(1, Environment.ProcessorCount - 1);

    /// <summary>
    /// How many guest calls may run at once (at least 1). A change applies at once to waiting calls; calls already
    /// running finish, so lowering it takes effect as they end.
    /// </summary>
    public int Limit
    {
        get => Volatile.Read(ref _limit);
        set
        {
            CheckLimit(value);
            List<Waiter>? granted;
            lock (_gate)
            {
                _limit = value;
                granted = GrantLocked();
            }
            Complete(granted);
        }
    }

    /// <summary>How many guest calls hold a slot now (for diagnostics and tests).</summary>
    public int Running
    {
        get
        {
            lock (_gate) return _running;
        }
    }

    private static int CheckLimit(int limit) =>
        limit >= 1 ? limit : throw new ArgumentOutOfRangeException(nameof(limit), limit, "GuestConcurrency.Limit must be at least 1");

    /// <summary>
    /// Takes a slot, waiting at most <paramref name="waitMs"/> (-1: no bound); the wait ends at once when
    /// <paramref name="cancellationToken"/> or <paramref name="stopping"/> is cancelled.
    /// </summary>
    internal ValueTask<LeaseRefusal> EnterAsync(int waitMs, CancellationToken cancellationToken, CancellationToken stopping)
    {
        Waiter waiter;
        lock (_gate)
        {
            // First come, first served: a free slot goes to a newcomer only when nobody is waiting for it.
            if (_waiters.Count == 0 && _running < _limit)
            {
                _running++;
                return new(LeaseRefusal.None);
            }
            if (stopping.IsCancellationRequested) return new(LeaseRefusal.Closed);
            if (cancellationToken.IsCancellationRequested) return new(LeaseRefusal.Cancelled);
            if (waitMs == 0) return new(LeaseRefusal.WaitedTooLong);
            waiter = new Waiter();
            waiter.Node = _waiters.AddLast(waiter);
        }
        return WaitAsync(waiter, waitMs, cancellationToken, stopping);
    }

    private async ValueTask<LeaseRefusal> WaitAsync(Waiter waiter, int waitMs, CancellationToken cancellationToken, CancellationToken stopping)
    {
        var why = LeaseRefusal.None;
        using (var either = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, stopping))
        {
            try
            {
                await waiter.Task.WaitAsync(waitMs < 0 ? Timeout.InfiniteTimeSpan : TimeSpan.FromMilliseconds(waitMs), either.Token).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                why = LeaseRefusal.WaitedTooLong;
            }
            catch (OperationCanceledException)
            {
                why = stopping.IsCancellationRequested ? LeaseRefusal.Closed : LeaseRefusal.Cancelled;
            }
        }
        lock (_gate)
        {
            if (waiter.Node!.List is not null)
            {
                _waiters.Remove(waiter.Node);
                return why;
            }
        }
        // Handed a slot while the wait was ending: the call owns it and runs.
        return LeaseRefusal.None;
    }

    /// <summary>Gives a slot back; the longest waiter gets it.</summary>
    internal void Exit()
    {
        List<Waiter>? granted;
        lock (_gate)
        {
            _running--;
            granted = GrantLocked();
        }
        Complete(granted);
    }

    /// <summary>Hands free slots to waiters (under the gate); completing them happens outside it.</summary>
    private List<Waiter>? GrantLocked()
    {
        List<Waiter>? granted = null;
        while (_running < _limit && _waiters.First is { } next)
        {
            _waiters.RemoveFirst();
            _running++;
            (granted ??= []).Add(next.Value);
        }
        return granted;
    }

    private static void Complete(List<Waiter>? granted)
    {
        if (granted is null) return;
        foreach (var waiter in granted) waiter.SetResult(true);
    }
}
