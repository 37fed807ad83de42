using Wasmtime;

namespace Vyra.Sdk;

/// <summary>Why the guard stopped guest code.</summary>
internal enum Interruption
{
    None,
    Timeout,
    Cancelled,
    Stopped,
}

/// <summary>Thrown from the epoch callback to stop guest code; Wasmtime hands it back as the inner exception.</summary>
internal sealed class GuestInterruptedException(Interruption reason, CancellationToken token) : Exception(reason switch
{
    Interruption.Timeout => "the call timed out",
    Interruption.Stopped => "the runtime was stopped during the call",
    _ => "the call was cancelled",
})
{
    public Interruption Reason { get; } = reason;

    /// <summary>The caller's token, for the <see cref="OperationCanceledException"/> a cancelled call carries.</summary>
    public CancellationToken Token { get; } = token;
}

/// <summary>
/// Arms one store's limits for each call: a wall-clock deadline and the caller's cancellation token, both checked in
/// the store's epoch callback at every tick of the shared <see cref="EpochTicker"/>, and the fuel budget, re-armed
/// per call. Arming costs a clock read and two field writes, so the typed fast path can afford it.
/// </summary>
internal sealed class CallGuard
{
    private readonly Store _store;
    private readonly long _timeoutMs;
    private readonly ulong? _fuel;
    private long _deadline = long.MaxValue;
    private CancellationToken _token;
    private long _waitedMs;
    private volatile bool _stopping;

    // The epoch callback is installed by the first Arm, not here (a store that never runs guest code pays none).
    // Wasmtime's binding makes a new native thunk and handle for every installation, the largest part of a start
    // beyond the store itself; guest code only ever runs armed, so it never runs unwatched. (Guest code run unarmed
    // would meet a deadline of zero with no callback and trap at once as interrupted: loud, never unbounded.)
    public CallGuard(Store store, TimeSpan timeout, ulong? fuel)
    {
        _store = store;
        // Timeout.InfiniteTimeSpan (the options' explicit opt-out; other negatives are refused there) or absurdly long
        // (beyond ~30 years, where the clock arithmetic would overflow) means no deadline.
        _timeoutMs = timeout < TimeSpan.Zero || timeout.TotalMilliseconds > 1e12 ? -1 : (long)Math.Ceiling(timeout.TotalMilliseconds);
        _fuel = fuel;
    }

    private bool _watching;

    private void Watch()
    {
        _store.SetEpochDeadlineCallback(OnEpochDeadline);
        _store.SetEpochDeadline(1);
        _watching = true;
    }

    /// <summary>Arms the limits for a call that already waited <paramref name="waitedMs"/> for its instance (the timeout covers both).</summary>
    public void Arm(CancellationToken cancellationToken, long waitedMs = 0)
    {
        if (!_watching) Watch(); // the first call on this store (a typed call's first one takes the guarded path)
        // Disarm leaves the default token, so a call without a token (the usual typed call) writes nothing here: a
        // token holds a reference, and writing one to the heap costs a GC write barrier.
        if (cancellationToken.CanBeCanceled || _token.CanBeCanceled) _token = cancellationToken;
        _waitedMs = waitedMs;
        // The clock is read by the first epoch callback of the call, not here: the callback runs within one tick of the
        // call's start (the deadline is one tick ahead), so the timeout is as exact as the ticker, and the typed fast
        // path saves a clock read per call.
        _deadline = _timeoutMs < 0 ? long.MaxValue : DeadlineNotSet;
        if (_fuel is { } fuel) _store.Fuel = fuel;
    }

    public void Disarm()
    {
        _token = default;
        _deadline = long.MaxValue;
        if (_hostCancellation is { } cts)
        {
            _hostCancellation = null;
            cts.Dispose();
        }
    }

    /// <summary>Interrupts a call in flight (at the next tick) and every later one: the instance is going away.</summary>
    public void Stop()
    {
        _stopping = true;
        try
        {
            _hostCancellation?.Cancel(); // a host function waiting in the call gives up too
        }
        catch (ObjectDisposedException)
        {
            // the call ended meanwhile
        }
    }

    private CancellationTokenSource? _hostCancellation;

    /// <summary>
    /// For host functions: a token that fires at the call's deadline, when the caller cancels, or when the runtime
    /// stops. Made on first request only (the typed fast path, whose guests rarely wait in the host, pays nothing) and
    /// disposed when the call ends. Called on the calling thread, inside the call.
    /// </summary>
    public CancellationToken HostToken
    {
        get
        {
            if (_hostCancellation is { } existing) return existing.Token;
            var cts = _token.CanBeCanceled ? CancellationTokenSource.CreateLinkedTokenSource(_token) : new CancellationTokenSource();
            // The time the call waited for its instance counts, as in the epoch callback.
            if (_deadline == DeadlineNotSet) _deadline = Environment.TickCount64 + _timeoutMs - _waitedMs;
            if (_deadline != long.MaxValue) cts.CancelAfter(TimeSpan.FromMilliseconds(Math.Max(0, _deadline - Environment.TickCount64)));
            if (_stopping) cts.Cancel();
            _hostCancellation = cts;
            return cts.Token;
        }
    }

    /// <summary>
    /// Why the host token fired, as the exception that ends the call (Timeout, Cancelled or Stopped); null when it did not
    /// fire (the host function's own cancellation is then a host function failure).
    /// </summary>
    public GuestInterruptedException? HostInterruption()
    {
        if (_hostCancellation is not { IsCancellationRequested: true }) return null;
        if (_stopping) return Interrupt(Interruption.Stopped);
        if (_token.IsCancellationRequested) return Interrupt(Interruption.Cancelled);
        return Interrupt(Interruption.Timeout);
    }

    private ulong OnEpochDeadline(Store store)
    {
        if (_stopping) throw Interrupt(Interruption.Stopped);
        if (_token.IsCancellationRequested) throw Interrupt(Interruption.Cancelled);
        var now = Environment.TickCount64;
        if (_deadline == DeadlineNotSet) _deadline = now + _timeoutMs - _waitedMs;
        else if (now >= _deadline) throw Interrupt(Interruption.Timeout);
        return 1;
    }

    private const long DeadlineNotSet = long.MinValue;

    // The reason travels on the exception; Wasmtime hands it back as the inner exception of the failed call.
    private GuestInterruptedException Interrupt(Interruption reason) => new(reason, _token);
}
