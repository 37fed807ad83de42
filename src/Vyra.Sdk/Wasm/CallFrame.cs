namespace Vyra.Sdk;

/// <summary>
/// "This thread is inside a call of runtime X": the re-entrancy marker. Each instance owns one frame (no allocation per
/// call); a call pushes its instance's frame on the running thread for as long as guest code may run there (the typed
/// fast path on the caller's thread, the dictionary path on a guest worker), and a call handed to a worker links to
/// the frames of the thread that asked for it, so a cycle through other runtimes (A's host function calls B, whose
/// host function calls A) is seen too. Host functions run synchronously inside the guest call, so anything they call
/// starts on the thread that holds the frame. Work a host function moves to another thread and then waits for is not
/// seen: it ends with <see cref="PluginErrorKind.Overloaded"/> when its bounded wait runs out.
/// </summary>
internal sealed class CallFrame
{
    [ThreadStatic]
    private static CallFrame? t_current;

    private object? _runtime;
    private CallFrame? _parent;

    /// <summary>The frames of the current thread (null outside any call): what a hand-off passes to the worker.</summary>
    public static CallFrame? Current => t_current;

    /// <summary>True when the current thread (or the thread that handed it work) is inside a call of <paramref name="runtime"/>.</summary>
    public static bool IsInside(object runtime)
    {
        for (var frame = t_current; frame is not null; frame = frame._parent)
        {
            if (ReferenceEquals(frame._runtime, runtime)) return true;
        }
        return false;
    }

    /// <summary>
    /// Marks the current thread as inside a call of <paramref name="runtime"/>, linked below <paramref name="parent"/>
    /// (the current thread's frames, or for a hand-off the asking thread's).
    /// </summary>
    public void Enter(object runtime, CallFrame? parent)
    {
        _runtime = runtime;
        _parent = parent;
        _restore = t_current;
        t_current = this;
    }

    /// <summary>Leaves the call: the thread's marker goes back to what it was (leave on the thread that entered).</summary>
    public void Exit()
    {
        if (t_current == this) t_current = _restore;
        _runtime = null;
        _parent = null;
        _restore = null;
    }

    private CallFrame? _restore;
}
