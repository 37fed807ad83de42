namespace Vyra.Sdk;

/// <summary>
/// One instance behind a lock: calls are serialized and state lives on between them.
/// <para>The lease is biased to the first thread that takes it (docs/architecture.md, "The single-instance lease"):
/// while no other thread has asked, that thread takes and returns the lease with plain reads and writes of a flag, no
/// interlocked operation, which is the whole cost of the typed fast path's lease. The first time another thread asks
/// (or the owner asks again while its own asynchronous call still holds the lease, or a stop closes the slot), the bias
/// is revoked for good: the revoker raises a flag and calls <see cref="Interlocked.MemoryBarrierProcessWide"/>, after
/// which either the owner sees the flag and backs off, or the revoker sees the owner's lease and takes the lock over on
/// its behalf (the owner's release then returns it as a locked lease). From then on the lease is a three-state word:
/// one compare-exchange to take and one to give back.</para>
/// <para>A contended caller queues, under a monitor, a waiter that the releasing caller hands the instance to directly,
/// so the turn is never lost and never stolen. Because waiters live in a list the slot owns, a waiter can leave it: a
/// cancelled or timed-out caller removes itself, a full list refuses at once, and a stop fails them all.</para>
/// </summary>
internal sealed class SingleInstanceSlot(WasmInstance instance, int maxWaiters) : InstanceSlots(maxWaiters)
{
    private const int Free = 0, Held = 1, HeldWithWaiters = 2;
    private const int Biased = 1, Locked = 2;
    private static readonly object s_revoked = new(); // _biasOwner once the bias is gone: matches no thread

    private readonly object _gate = new();
    private readonly LinkedList<Waiter> _waiters = new();
    private int _state; // the lock word, used once _unbiased is set
    private bool _closing; // under _gate
    private volatile WasmInstance? _instance = instance;

    // The bias. Only the owner thread sets _biasHeld to 1; whoever returns its lease (any thread) sets it back to 0.
    // Null until the first lease, then that thread's record (a CallingThread: unlike a managed thread id, never reused
    // by a later thread), s_revoked once revoked.
    private object? _biasOwner;
    private int _biasHeld;
    private int _biasRevoked; // set once, under _gate, before the process-wide barrier
    private int _unbiased; // set once, under _gate, after the revocation is complete: the lock word is in force
    private bool _biasConverted; // under _gate: the revoker took the lock over for a lease the owner held on the bias
    private int _leaseKind; // Biased or Locked: written by whoever holds the lease, read by whoever returns it

    /// <summary>True once the bias was revoked (for tests).</summary>
    internal bool BiasRevoked => Volatile.Read(ref _biasRevoked) != 0;

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
        if (TryTake(CallingThread.Current)) return CurrentOrExit(out refusal);
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
        if (TryTake(CallingThread.Current)) return new((CurrentOrExit(out var refusal), refusal));
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

    /// <summary>The uncontended lease: on the bias (owner thread), or one compare-exchange once the bias is gone.</summary>
    private bool TryTake(CallingThread thread)
    {
        if (TryTakeBiased(thread))
        {
            _leaseKind = Biased;
            return true;
        }
        if (Volatile.Read(ref _unbiased) != 0 && Interlocked.CompareExchange(ref _state, Held, Free) == Free)
        {
            _leaseKind = Locked;
            return true;
        }
        return false;
    }

    /// <summary>
    /// The typed fast path's lease (TypedExport.Enter): on the bias only, for the thread whose record is
    /// <paramref name="thread"/>; null when that is not possible now (another thread has asked, the lease is out, or the
    /// slot is closed), and the caller takes the ordinary path, which waits, refuses or revokes as it must.
    /// </summary>
    public WasmInstance? TryEnterOnBias(CallingThread thread)
    {
        if (!TryTakeBiased(thread)) return null;
        _leaseKind = Biased;
        if (_instance is { } current) return current;
        EndBiased();
        return null;
    }

    private bool TryTakeBiased(CallingThread thread)
    {
        var owner = Volatile.Read(ref _biasOwner);
        if (!ReferenceEquals(owner, thread) && (owner is not null || Interlocked.CompareExchange(ref _biasOwner, thread, null) is not null)) return false;
        // Held already: the owner's own asynchronous call still runs (its lease is returned on a guest thread). The
        // contended path revokes the bias and waits for it like anyone else.
        if (Volatile.Read(ref _biasHeld) != 0) return false;
        Volatile.Write(ref _biasHeld, 1);
        // Store, then load: a revoker stores its flag, then runs a process-wide barrier, then loads _biasHeld. So either
        // this load sees the flag, or the revoker sees this lease (Dekker's pattern, the barrier standing in for the
        // fence this path leaves out).
        if (Volatile.Read(ref _biasRevoked) == 0) return true;
        EndBiased();
        return false;
    }

    /// <summary>Returns a lease taken on the bias (or backs off from one): hands it to the lock when a revoker took it over.</summary>
    private void EndBiased()
    {
        Volatile.Write(ref _biasHeld, 0);
        if (Volatile.Read(ref _biasRevoked) == 0) return;
        lock (_gate)
        {
            if (!_biasConverted) return;
            _biasConverted = false;
        }
        Exit();
    }

    /// <summary>Under <see cref="_gate"/>: ends the bias for good; a lease the owner holds on it becomes a locked lease.</summary>
    private void Revoke()
    {
        Volatile.Write(ref _biasRevoked, 1);
        // A slot never leased (closed before its first call, as every idle runtime's is): once no thread can become the
        // owner, none can hold the bias, so the barrier (several microseconds, most of a short-lived runtime's dispose)
        // is not needed. A thread racing for the ownership loses its compare-exchange and takes the locked path.
        if (Interlocked.CompareExchange(ref _biasOwner, s_revoked, null) is null)
        {
            Volatile.Write(ref _unbiased, 1);
            return;
        }
        Volatile.Write(ref _biasOwner, s_revoked);
        Interlocked.MemoryBarrierProcessWide();
        if (Volatile.Read(ref _biasHeld) != 0)
        {
            // Nobody else can hold the lock word while the bias is in force, so it is free here.
            Volatile.Write(ref _state, Held);
            _biasConverted = true;
        }
        Volatile.Write(ref _unbiased, 1);
    }

    /// <summary>
    /// Queues a waiter, or takes the instance when it came free meanwhile (returns null with no refusal), or refuses
    /// (returns null with the reason).
    /// </summary>
    private Waiter? Enqueue(bool bypassClosing, out LeaseRefusal refusal)
    {
        lock (_gate)
        {
            if (Volatile.Read(ref _unbiased) == 0) Revoke();
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
                    _leaseKind = Locked;
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
        _leaseKind = Locked;
        return CurrentOrExit(out refusal);
    }

    private WasmInstance? CurrentOrExit(out LeaseRefusal refusal)
    {
        var current = _instance;
        if (current is null)
        {
            Return();
            refusal = LeaseRefusal.Closed;
            return null;
        }
        refusal = LeaseRefusal.None;
        return current;
    }

    public override void Release(WasmInstance instance) => Return();

    private void Return()
    {
        if (_leaseKind == Biased) EndBiased();
        else Exit();
    }

    private void Exit()
    {
        if (Interlocked.CompareExchange(ref _state, Free, Held) == Held) return;
        lock (_gate)
        {
            if (_waiters.First is { } next)
            {
                _waiters.RemoveFirst();
                if (_waiters.Count == 0) Volatile.Write(ref _state, Held);
                _leaseKind = Locked;
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
        Return();
    }
}
