namespace Vyra.Sdk;

/// <summary>
/// The default execution context (no <see cref="AsyncLocal{T}"/> values, no <c>Activity.Current</c>, no logging
/// scopes), so work a publisher starts can run as if on a fresh thread: what it captures for later (the guest work,
/// the continuation of a lease it waits for) is this context, never the publisher's.
/// </summary>
internal static class CleanExecutionContext
{
    /// <summary>The default context, captured once on a thread that never had one.</summary>
    public static ExecutionContext Value { get; } = CaptureDefault();

    private static ExecutionContext CaptureDefault()
    {
        ExecutionContext? captured = null;
        // UnsafeStart flows nothing into the thread, so Capture there returns the runtime's default context.
        var thread = new Thread(() => captured = ExecutionContext.Capture()) { IsBackground = true, Name = "Vyra bus context" };
        thread.UnsafeStart();
        thread.Join();
        return captured ?? throw new InvalidOperationException("a fresh thread captured no execution context");
    }
}
