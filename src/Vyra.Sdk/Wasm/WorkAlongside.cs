using System.Runtime.ExceptionServices;

namespace Vyra.Sdk;

/// <summary>
/// One piece of work a pool thread runs while the caller does another (the disk cache checks an entry's MAC while it
/// copies the entry's bytes). Whoever comes first runs it: if no pool thread has started it by the time the caller asks
/// for its result, the caller runs it itself, so a busy pool never makes the two slower than doing them in turn.
/// </summary>
internal sealed class WorkAlongside<T> : IThreadPoolWorkItem
{
    private const int Pending = 0, Running = 1, Finished = 2, Dropped = 3;
    private readonly Func<T> _work;
    private readonly Action? _then;
    private readonly ManualResetEventSlim _finished = new();
    private int _state;
    private T? _result;
    private ExceptionDispatchInfo? _failure;

    private WorkAlongside(Func<T> work, Action? then)
    {
        _work = work;
        _then = then;
    }

    /// <summary>
    /// Queues <paramref name="work"/> to the pool (without the caller's execution context: it needs none). The pool
    /// thread that takes it then runs <paramref name="then"/> (whether or not the caller ran the work first): the disk
    /// cache chains the module's hash, unqueued (<see cref="Later"/>), after the entry's MAC this way.
    /// </summary>
    public static WorkAlongside<T> Start(Func<T> work, Action? then = null)
    {
        var alongside = new WorkAlongside<T>(work, then);
        ThreadPool.UnsafeQueueUserWorkItem(alongside, preferLocal: false);
        return alongside;
    }

    /// <summary>Work nobody queued: run by whoever calls <see cref="Help"/> or <see cref="Result"/> first.</summary>
    public static WorkAlongside<T> Later(Func<T> work) => new(work, then: null);

    void IThreadPoolWorkItem.Execute()
    {
        Help();
        _then?.Invoke();
    }

    /// <summary>Runs the work here when nobody has started it (or dropped it); otherwise returns at once.</summary>
    public void Help()
    {
        if (Interlocked.CompareExchange(ref _state, Running, Pending) == Pending) Run();
    }

    /// <summary>The work's result (its exception rethrown): run here when no pool thread took it, else waited for.</summary>
    public T Result()
    {
        if (Interlocked.CompareExchange(ref _state, Running, Pending) == Pending) Run();
        else _finished.Wait();
        _failure?.Throw();
        return _result!;
    }

    /// <summary>
    /// Gives the work up when it has not started; otherwise waits until it ends, so that what it reads (a pooled buffer)
    /// may be given back once this returns.
    /// </summary>
    public void Drop()
    {
        if (Interlocked.CompareExchange(ref _state, Dropped, Pending) != Pending) _finished.Wait();
    }

    private void Run()
    {
        try
        {
            _result = _work();
        }
        catch (Exception ex)
        {
            _failure = ExceptionDispatchInfo.Capture(ex);
        }
        Volatile.Write(ref _state, Finished);
        _finished.Set();
    }
}
