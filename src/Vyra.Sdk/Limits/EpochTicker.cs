using Wasmtime;

namespace Vyra.Sdk;

/// <summary>
/// One ticker per engine drives epoch interruption for every store on it: no thread or timer per call.
/// Each store checks its own deadline and cancellation token in its epoch callback (<see cref="CallGuard"/>), so the
/// tick interval bounds how late a timeout or cancellation takes effect. The ticker is a dedicated background thread,
/// not a thread-pool timer: a starved thread pool (for example, callers blocked on a busy plugin) must not delay the
/// very timeouts that would free it. It sleeps while no runtime on the engine is started.
/// </summary>
internal sealed class EpochTicker
{
    public static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(5);

    private readonly Engine _engine;
    private readonly object _gate = new();
    private Thread? _thread;
    private int _users;

    public EpochTicker(Engine engine) => _engine = engine;

    public void Acquire()
    {
        lock (_gate)
        {
            _users++;
            if (_thread is null)
            {
                _thread = new Thread(Run) { IsBackground = true, Name = "Vyra epoch ticker" };
                _thread.Start();
            }
            Monitor.PulseAll(_gate);
        }
    }

    public void Release()
    {
        lock (_gate)
        {
            if (_users > 0) _users--;
        }
    }

    private void Run()
    {
        while (true)
        {
            lock (_gate)
            {
                while (_users == 0) Monitor.Wait(_gate);
            }
            Thread.Sleep(Interval);
            _engine.IncrementEpoch();
        }
    }
}
