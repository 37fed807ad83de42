namespace Vyra.Sdk;

/// <summary>
/// One thread's own record for the typed fast path: its innermost <see cref="CallFrame"/> and its identity for the
/// biased single-instance lease (<see cref="SingleInstanceSlot"/>). A thread-static field is read through a native call
/// on Linux (a few ns each), and a typed call used to read three of them (the re-entrancy check, the lease's thread
/// id, the frame's push and pop); with this record a call reads one, on entry, and its end reads none.
/// </summary>
internal sealed class CallingThread
{
    [ThreadStatic]
    private static CallingThread? t_current;

    private CallingThread()
    {
    }

    /// <summary>The current thread's record, made on its first call and kept for the thread's life.</summary>
    public static CallingThread Current => t_current ??= new CallingThread();

    /// <summary>The innermost call frame on this thread (null outside any call). Written only by this thread.</summary>
    public CallFrame? Frame;
}
