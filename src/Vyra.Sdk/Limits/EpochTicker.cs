using Wasmtime;

namespace Vyra.Plugin;

/// <summary>
/// One ticker per engine drives epoch interruption for every store on it: no thread or timer per call.
/// It runs only while at least one runtime on the engine is started. Each store checks its own deadline and
/// cancellation token in its epoch callback (<see cref="CallGuard"/>), so the tick interval bounds how late a
/// timeout or cancellation takes effect.
/// </summary>
internal sealed class EpochTicker(Engine engine)
{
    public static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(5);

    private readonly object _gate = new();
    private Timer? _timer;
    private int _users;

    public void Acquire()
    {
        lock (_gate)
        {
            if (_users++ == 0) _timer = new Timer(static state => ((Engine)state!).IncrementEpoch(), engine, Interval, Interval);
        }
    }

    public void Release()
    {
        lock (_gate)
        {
            if (_users == 0) return;
            if (--_users == 0)
            {
                _timer?.Dispose();
                _timer = null;
            }
        }
    }
}
