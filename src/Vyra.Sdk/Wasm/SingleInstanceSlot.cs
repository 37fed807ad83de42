namespace Vyra.Sdk;

/// <summary>
/// One instance behind a lock: calls are serialized and state lives on between them. The lock is a three-state word:
/// an uncontended lease is one compare-exchange to take and one to give back (the typed fast path's whole cost).
/// A contended caller queues, under a monitor, a waiter that the releasing caller hands the instance to directly, so
/// the turn is never lost and never stolen. Because waiters live in a list the slot owns, a waiter can leave it: a
/// cancelled or timed-out caller removes itself, a full list refuses at once, and a stop fails them all.
/// </summary>
internal sealed class SingleInstanceSlot(WasmInstance instance, int maxWaiters) : InstanceSlots(maxWaiters)
{
    private const int Free = 0, Held = 1, HeldWithWaiters = 2;

    private readonly object _gate = new();
    private readonly LinkedList<Waiter> _waiters = new();
    private int _state;
    private bool _closing; // under _gate
    private volatile WasmInstance? _instance = instance;

    /// <summary>Completed with true when the instance is handed over, false when the slot closes.</summary>
    private sealed class Waiter() : TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously)
    {
        public LinkedListNode<Waiter>? Node;
    }

    public override bool IsOpen => _instance is not null;

    public override int Count => 1;

    public override WasmInstance? Acquire(int waitMs, CancellationToken cancellationToken, out LeaseRefusal refusal, out long waitedMs)
    {
        waitedMs = 0;
        if (Interlocked.CompareExchange(ref _state, Held, Free) == Free) return CurrentOrExit(out refusal);
        var asked = Environment.TickCount64;
        var waiter = Enqueue(bypassClosing: false, out refusal);
        if (waiter is null) return refusal == LeaseRefusal.None ? CurrentOrExit(out refusal) : null;
        bool handedOver;
        try
        {
            handedOver = waiter.Task.Wait(waitMs, cancellationToken);
        }
        catch (OperationCanceledException)
        {
            handedOver = false;
        }
        waitedMs = Environment.TickCount64 - asked;
        return Settle(waiter, handedOver ? LeaseRefusal.None : cancellationToken.IsCancellationRequested ? LeaseRefusal.Cancelled : LeaseRefusal.WaitedTooLong, out refusal);
    }

    public override ValueTask<(WasmInstance? Instance, LeaseRefusal Refusal)> AcquireAsync(int waitMs, CancellationToken cancellationToken)
    {
        if (Interlocked.CompareExchange(ref _state, Held, Free) == Free) return new((CurrentOrExit(out var refusal), refusal));
        var waiter = Enqueue(bypassClosing: false, out var queued);
        if (waiter is null) return new(queued == LeaseRefusal.None ? (CurrentOrExit(out var r), r) : (null, queued));
        return WaitAsync(waiter, waitMs, cancellationToken);
    }

    private async ValueTask<(WasmInstance?, LeaseRefusal)> WaitAsync(Waiter waiter, int waitMs, CancellationToken cancellationToken)
    {
        var why = LeaseRefusal.None;
        try
        {
            await waiter.Task.WaitAsync(waitMs < 0 ? Timeout.InfiniteTimeSpan : TimeSpan.FromMilliseconds(waitMs), cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            why = LeaseRefusal.WaitedTooLong;
        }
        catch (OperationCanceledException)
        {
            why = LeaseRefusal.Cancelled;
        }
        var instance = Settle(waiter, why, out var refusal);
        return (instance, refusal);
    }

    /// <summary>
    /// Queues a waiter, or takes the instance when it came free meanwhile (returns null with no refusal), or refuses
    /// (returns null with the reason).
    /// </summary>
    private Waiter? Enqueue(bool bypassClosing, out LeaseRefusal refusal)
    {
        lock (_gate)
        {
            while (true)
            {
                if (_closing && !bypassClosing)
                {
                    refusal = LeaseRefusal.Closed;
                    return null;
                }
                var state = Volatile.Read(ref _state);
                if (state == Free)
                {
                    if (Interlocked.CompareExchange(ref _state, Held, Free) != Free) continue;
                    refusal = LeaseRefusal.None;
                    return null;
                }
                if (state == Held && Interlocked.CompareExchange(ref _state, HeldWithWaiters, Held) != Held) continue;
                if (!bypassClosing && _waiters.Count >= MaxWaiters)
                {
                    refusal = LeaseRefusal.QueueFull;
                    return null;
                }
                var waiter = new Waiter();
                waiter.Node = _waiters.AddLast(waiter);
                refusal = LeaseRefusal.None;
                return waiter;
            }
        }
    }

    /// <summary>After a wait: a waiter still queued leaves the queue with <paramref name="why"/>; one handed over owns the instance.</summary>
    private WasmInstance? Settle(Waiter waiter, LeaseRefusal why, out LeaseRefusal refusal)
    {
        lock (_gate)
        {
            if (waiter.Node!.List is not null)
            {
                _waiters.Remove(waiter.Node);
                refusal = why;
                return null;
            }
        }
        // Handed over (true) or failed by a close (false): the task completed under the gate before the node left.
        if (!waiter.Task.Result)
        {
            refusal = LeaseRefusal.Closed;
            return null;
        }
        return CurrentOrExit(out refusal);
    }

    private WasmInstance? CurrentOrExit(out LeaseRefusal refusal)
    {
        var current = _instance;
        if (current is null)
        {
            Exit();
            refusal = LeaseRefusal.Closed;
            return null;
        }
        refusal = LeaseRefusal.None;
        return current;
    }

    public override void Release(WasmInstance instance) => Exit();

    private void Exit()
    {
        if (Interlocked.CompareExchange(ref _state, Free, Held) == Held) return;
        lock (_gate)
        {
            if (_waiters.First is { } next)
            {
                _waiters.RemoveFirst();
                if (_waiters.Count == 0) Volatile.Write(ref _state, Held);
                next.Value.SetResult(true); // the turn passes straight to the next waiter: the state stays held
                return;
            }
            Volatile.Write(ref _state, Free);
        }
    }

    public override void Replace(WasmInstance broken, WasmInstance? fresh)
    {
        _instance = fresh;
        broken.Dispose();
    }

    public override async ValueTask CloseAsync(bool interrupt = true)
    {
        if (interrupt) _instance?.Guard.Stop(); // a runaway call ends at the next epoch tick instead of holding the instance until its timeout
        Waiter? own;
        lock (_gate)
        {
            _closing = true;
            // Callers still waiting fail now, not after the call in flight: their answer does not depend on it.
            foreach (var waiter in _waiters) waiter.SetResult(false);
            _waiters.Clear();
            own = Enqueue(bypassClosing: true, out _);
        }
        if (own is not null) await own.Task.ConfigureAwait(false);
        var held = _instance;
        _instance = null;
        held?.Dispose();
        Exit();
    }
}
