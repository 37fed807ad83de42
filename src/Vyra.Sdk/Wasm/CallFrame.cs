namespace Vyra.Sdk;

/// <summary>
/// "This thread is inside a call of runtime X": the re-entrancy marker. Each instance owns one frame (no allocation per
/// call); a call pushes its instance's frame on the running thread for as long as guest code may run there (the typed
/// fast path on the caller's thread, the dictionary path on a guest worker), and a call handed to a worker links to
/// the frames of the thread that asked for it, so a cycle through other runtimes (A's host function calls B, whose
/// host function calls A) is seen too. Host functions run synchronously inside the guest call, so anything they call
/// starts on the thread that holds the frame.
/// <para>
/// Calls on a guest thread (the asynchronous paths) also set a marker that flows with the execution context, so work
/// a host function moves elsewhere (<c>Task.Run</c>, the continuation of an async host method) and waits for is seen
/// by the asynchronous entry points too. The sync typed path neither sets nor reads it: an <see cref="AsyncLocal{T}"/>
/// costs more than that path may spend; what it misses ends with <see cref="PluginErrorKind.Overloaded"/> when its
/// bounded wait runs out.
/// </para>
/// </summary>
internal sealed class CallFrame
{
    private static readonly AsyncLocal<Flow?> s_flow = new();

    /// <summary>One asynchronous call's flowing marker: allocated per call, inert once the call ended.</summary>
    private sealed class Flow(object runtime, Flow? parent)
    {
        public readonly object Runtime = runtime;
        public readonly Flow? Parent = parent;
        public volatile bool Active = true;
    }

    /// <summary>Also true when the execution context flowed from inside a call of <paramref name="runtime"/> (asynchronous entry points).</summary>
    public static bool IsInsideOrFlowing(object runtime)
    {
        if (IsInside(runtime)) return true;
        for (var flow = s_flow.Value; flow is not null; flow = flow.Parent)
        {
            if (flow.Active && ReferenceEquals(flow.Runtime, runtime)) return true;
        }
        return false;
    }

    /// <summary>True when the execution context flowed from inside an asynchronous call of any runtime (which holds a guest slot).</summary>
    public static bool IsFlowingFromAnyCall()
    {
        for (var flow = s_flow.Value; flow is not null; flow = flow.Parent)
        {
            if (flow.Active) return true;
        }
        return false;
    }

    /// <summary>
    /// Runs <paramref name="call"/> (on a guest thread, inside the caller's execution context) marked as a call of
    /// <paramref name="runtime"/> for anything that flows from it; the marker is inert once the call returns.
    /// </summary>
    public static T RunFlowing<T>(object runtime, Func<T> call) => RunFlowing(runtime, call, static call => call());

    /// <summary>
    /// <see cref="RunFlowing{T}(object, Func{T})"/> with the call's state passed in, so a per-call path can use a static
    /// lambda and allocate no closure.
    /// </summary>
    public static T RunFlowing<TState, T>(object runtime, TState state, Func<TState, T> call)
    {
        var outer = s_flow.Value;
        var flow = new Flow(runtime, outer);
        s_flow.Value = flow;
        try
        {
            return call(state);
        }
        finally
        {
            flow.Active = false;
            s_flow.Value = outer;
        }
    }

    private const int MaxDepth = 1024;

    private object? _runtime; // the instance's runtime: written on the first entry only (an instance belongs to one runtime)
    private bool _active; // inside a call now; a frame that left still holds its runtime, so the walk checks this
    private CallFrame? _parent;
    private CallFrame? _restore;
    private CallingThread? _thread; // the thread that entered (written when it changes: the fast path keeps one caller)

    /// <summary>The frames of the current thread (null outside any call): what a hand-off passes to the worker.</summary>
    public static CallFrame? Current => CallingThread.Current.Frame;

    /// <summary>True when the current thread (or the thread that handed it work) is inside a call of <paramref name="runtime"/>.</summary>
    public static bool IsInside(object runtime) => IsInside(CallingThread.Current.Frame, runtime);

    /// <summary>True when <paramref name="frames"/> (a thread's innermost frame and its parents) include a call of <paramref name="runtime"/>.</summary>
    public static bool IsInside(CallFrame? frames, object runtime)
    {
        // Bounded: frames are reused per instance, so a frame that left while a call it handed off still runs can be
        // entered again below that call, and the links then form a cycle. No real nesting is this deep.
        var depth = 0;
        for (var frame = frames; frame is not null && depth < MaxDepth; frame = frame._parent, depth++)
        {
            if (frame._active && ReferenceEquals(frame._runtime, runtime)) return true;
        }
        return false;
    }

    /// <summary>
    /// Sets the current thread's frames aside (returned for <see cref="Restore"/>): work this thread starts for someone
    /// else (a bus event handed off from a publisher inside its own call) must not look like a nested call of it.
    /// </summary>
    public static CallFrame? SetAside()
    {
        var thread = CallingThread.Current;
        var frames = thread.Frame;
        thread.Frame = null;
        return frames;
    }

    /// <summary>Puts back the frames <see cref="SetAside"/> returned.</summary>
    public static void Restore(CallFrame? frames) => CallingThread.Current.Frame = frames;

    /// <summary>
    /// Marks the current thread as inside a call of <paramref name="runtime"/>, linked below <paramref name="parent"/>
    /// (the current thread's frames, or for a hand-off the asking thread's).
    /// </summary>
    public void Enter(object runtime, CallFrame? parent) => Enter(runtime, parent, CallingThread.Current);

    /// <summary>
    /// <see cref="Enter(object, CallFrame?)"/> for a caller that already holds the current thread's record. Writes only
    /// what changed since the frame's last call (each reference written to the heap costs a GC write barrier): on the
    /// typed fast path, one caller and no parent, that is the thread's frame and the flag.
    /// </summary>
    public void Enter(object runtime, CallFrame? parent, CallingThread thread)
    {
        if (!ReferenceEquals(_runtime, runtime)) _runtime = runtime;
        if (parent is not null) _parent = parent; // Exit left both links null
        if (thread.Frame is { } outer) _restore = outer;
        if (!ReferenceEquals(_thread, thread)) _thread = thread;
        _active = true;
        thread.Frame = this;
    }

    /// <summary>Leaves the call: the entering thread's marker goes back to what it was (leave on the thread that entered).</summary>
    public void Exit()
    {
        _active = false;
        if (_thread is { } thread && ReferenceEquals(thread.Frame, this))
        {
            // Storing a constant null needs no GC write barrier; the usual outermost call has nothing to restore.
            if (_restore is { } outer) thread.Frame = outer;
            else thread.Frame = null;
        }
        _parent = null;
        _restore = null;
    }
}
