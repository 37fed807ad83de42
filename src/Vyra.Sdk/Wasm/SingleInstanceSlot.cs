namespace Vyra.Sdk;

/// <summary>
/// One instance behind a lock: calls are serialized and state lives on between them. The lock is a counting
/// "benaphore": an uncontended lease costs one interlocked increment and one decrement (cheaper than a monitor on the
/// typed fast path), and a contended one waits on a semaphore — asynchronously from <c>CallAsync</c>, so waiting callers
/// do not block thread-pool threads. A caller waiting here is not cancelled while it waits (a cancelled waiter cannot
/// safely hand its turn on); it sees its cancellation as soon as it holds the instance, before any guest code runs.
/// </summary>
internal sealed class SingleInstanceSlot(WasmInstance instance) : InstanceSlots
{
    private readonly SemaphoreSlim _turn = new(0, int.MaxValue);
    private int _contenders;
    private volatile WasmInstance? _instance = instance;

    public override bool IsOpen => _instance is not null;

    public override WasmInstance? Acquire()
    {
        if (Interlocked.Increment(ref _contenders) > 1) _turn.Wait();
        return CurrentOrExit();
    }

    public override ValueTask<WasmInstance?> AcquireAsync(CancellationToken cancellationToken) =>
        Interlocked.Increment(ref _contenders) > 1 ? WaitForTurnAsync() : new(CurrentOrExit());

    private async ValueTask<WasmInstance?> WaitForTurnAsync()
    {
        await _turn.WaitAsync().ConfigureAwait(false);
        return CurrentOrExit();
    }

    private WasmInstance? CurrentOrExit()
    {
        var current = _instance;
        if (current is null) Exit();
        return current;
    }

    public override void Release(WasmInstance instance) => Exit();

    private void Exit()
    {
        if (Interlocked.Decrement(ref _contenders) > 0) _turn.Release();
    }

    public override void Replace(WasmInstance broken, WasmInstance? fresh)
    {
        _instance = fresh;
        broken.Dispose();
    }

    public override async ValueTask CloseAsync()
    {
        _instance?.Guard.Stop(); // a runaway call ends at the next epoch tick instead of holding the instance until its timeout
        var held = await AcquireAsync(CancellationToken.None).ConfigureAwait(false);
        if (held is null) return;
        _instance = null;
        held.Dispose();
        Exit();
    }
}
