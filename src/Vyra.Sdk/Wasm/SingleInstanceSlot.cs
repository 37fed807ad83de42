namespace Vyra.Plugin;

/// <summary>One instance behind a monitor: calls are serialized and state lives on between them.</summary>
internal sealed class SingleInstanceSlot(WasmInstance instance) : InstanceSlots
{
    private readonly object _gate = new();
    private volatile WasmInstance? _instance = instance;

    public override bool IsOpen => _instance is not null;

    public override WasmInstance? Acquire()
    {
        Monitor.Enter(_gate);
        var current = _instance;
        if (current is null) Monitor.Exit(_gate);
        return current;
    }

    public override ValueTask<WasmInstance?> AcquireAsync(CancellationToken cancellationToken) => new(Acquire());

    public override void Release(WasmInstance instance) => Monitor.Exit(_gate);

    public override void Replace(WasmInstance broken, WasmInstance? fresh)
    {
        _instance = fresh;
        broken.Dispose();
    }

    public override ValueTask CloseAsync()
    {
        _instance?.Guard.Stop(); // a runaway call ends at the next epoch tick instead of holding the lock until its timeout
        lock (_gate)
        {
            _instance?.Dispose();
            _instance = null;
        }
        return ValueTask.CompletedTask;
    }
}
