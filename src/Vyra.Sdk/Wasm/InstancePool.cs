using System.Collections.Concurrent;

namespace Vyra.Sdk;

/// <summary>
/// N interchangeable instances of a stateless plugin: calls run on N instances in parallel, callers beyond N wait on a
/// semaphore (asynchronously from <c>CallAsync</c>; no polling), and an instance whose call failed is replaced by a fresh one.
/// </summary>
internal sealed class InstancePool : InstanceSlots
{
    private readonly SemaphoreSlim _free;
    private readonly ConcurrentQueue<WasmInstance> _idle;
    private readonly int _size;
    private readonly List<WasmInstance> _all;
    private volatile bool _closed;

    public InstancePool(IReadOnlyList<WasmInstance> instances)
    {
        _size = instances.Count;
        _all = [.. instances];
        _idle = new ConcurrentQueue<WasmInstance>(instances);
        _free = new SemaphoreSlim(_size, _size);
    }

    public override bool IsOpen => !_closed;

    public override WasmInstance? Acquire()
    {
        _free.Wait();
        return Take();
    }

    public override async ValueTask<WasmInstance?> AcquireAsync(CancellationToken cancellationToken)
    {
        await _free.WaitAsync(cancellationToken).ConfigureAwait(false);
        return Take();
    }

    private WasmInstance? Take()
    {
        if (!_closed && _idle.TryDequeue(out var instance)) return instance;
        _free.Release();
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

    public override async ValueTask CloseAsync()
    {
        _closed = true;
        lock (_all)
        {
            foreach (var instance in _all) instance.Guard.Stop(); // runaway calls end at the next epoch tick
        }
        // Taking every slot waits for the calls in flight; then nothing is leased and all can go.
        for (var i = 0; i < _size; i++) await _free.WaitAsync().ConfigureAwait(false);
        while (_idle.TryDequeue(out var instance)) instance.Dispose();
        // Wake the callers still waiting: they find the pool closed and fail with NotStarted.
        _free.Release(_size);
    }
}
