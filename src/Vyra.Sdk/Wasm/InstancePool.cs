using System.Collections.Concurrent;

namespace Vyra.Sdk;

/// <summary>
/// N interchangeable instances of a stateless plugin: calls run on N instances in parallel, callers beyond N wait on a
/// semaphore (asynchronously from <c>CallAsync</c>; no polling), and an instance whose call failed is replaced by a fresh one.
/// The waiters are counted, so the queue is bounded; each waits with its own token, its wait bound and the pool's
/// closing token, so a stop fails them at once.
/// </summary>
internal sealed class InstancePool : InstanceSlots
{
    private readonly SemaphoreSlim _free;
    private readonly ConcurrentQueue<WasmInstance> _idle;
    private readonly int _size;
    private readonly List<WasmInstance> _all;
    private readonly CancellationTokenSource _closing = new();
    private int _waiters;
    private volatile bool _closed;

    public InstancePool(IReadOnlyList<WasmInstance> instances, int maxWaiters)
        : base(maxWaiters)
    {
        _size = instances.Count;
        _all = [.. instances];
        _idle = new ConcurrentQueue<WasmInstance>(instances);
        _free = new SemaphoreSlim(_size, _size);
    }

    public override bool IsOpen => !_closed;

    public override int Count => _size;

    public override WasmInstance? Acquire(int waitMs, CancellationToken cancellationToken, out LeaseRefusal refusal, out long waitedMs)
    {
        waitedMs = 0;
        if (_free.Wait(0)) return Take(out refusal);
        if (!EnterQueue(out refusal)) return null;
        var asked = Environment.TickCount64;
        try
        {
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _closing.Token);
            var free = _free.Wait(waitMs, linked.Token);
            waitedMs = Environment.TickCount64 - asked;
            if (free) return Take(out refusal);
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
            Interlocked.Decrement(ref _waiters);
        }
    }

    public override ValueTask<(WasmInstance? Instance, LeaseRefusal Refusal)> AcquireAsync(int waitMs, CancellationToken cancellationToken)
    {
        if (_free.Wait(0)) return new((Take(out var refusal), refusal));
        if (!EnterQueue(out var full)) return new((null, full));
        return WaitAsync(waitMs, cancellationToken);
    }

    private async ValueTask<(WasmInstance?, LeaseRefusal)> WaitAsync(int waitMs, CancellationToken cancellationToken)
    {
        try
        {
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _closing.Token);
            if (!await _free.WaitAsync(waitMs, linked.Token).ConfigureAwait(false)) return (null, LeaseRefusal.WaitedTooLong);
            var instance = Take(out var refusal);
            return (instance, refusal);
        }
        catch (OperationCanceledException)
        {
            return (null, cancellationToken.IsCancellationRequested ? LeaseRefusal.Cancelled : LeaseRefusal.Closed);
        }
        finally
        {
            Interlocked.Decrement(ref _waiters);
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
            return false;
        }
        refusal = LeaseRefusal.None;
        return true;
    }

    private WasmInstance? Take(out LeaseRefusal refusal)
    {
        if (!_closed && _idle.TryDequeue(out var instance))
        {
            refusal = LeaseRefusal.None;
            return instance;
        }
        _free.Release();
        refusal = LeaseRefusal.Closed;
        return null;
    }

    public override void Release(WasmInstance instance)
    {
        var back = instance.Replacement ?? instance;
        if (back.IsDisposed) _closed = true;
        else _idle.Enqueue(back);
        _free.Release();
    }

    public override void Replace(WasmInstance broken, WasmInstance? fresh)
    {
        broken.Replacement = fresh;
        broken.Dispose();
        lock (_all)
        {
            _all.Remove(broken);
            if (fresh is not null) _all.Add(fresh);
        }
        if (fresh is null) _closed = true;
    }

    public override async ValueTask CloseAsync(bool interrupt = true)
    {
        _closed = true;
        if (interrupt)
        {
            lock (_all)
            {
                foreach (var instance in _all) instance.Guard.Stop(); // runaway calls end at the next epoch tick
            }
        }
        _closing.Cancel(); // callers still waiting fail now with NotStarted
        // Taking every slot waits for the calls in flight; then nothing is leased and all can go.
        for (var i = 0; i < _size; i++) await _free.WaitAsync().ConfigureAwait(false);
        while (_idle.TryDequeue(out var instance)) instance.Dispose();
        // Late callers that got past the closed check find the pool closed and fail with NotStarted.
        _free.Release(_size);
    }
}
