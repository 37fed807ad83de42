using System.Runtime.ExceptionServices;

namespace Vyra.Sdk;

/// <summary>
/// The host-wide guest slot (<see cref="GuestConcurrency"/>) the asynchronous call running on this guest thread holds,
/// so that a host function that blocks for something another plugin must do (the bus's <c>request</c>) can give the
/// slot back while it waits and take it again before the guest resumes. Without that, a cap of 1 would deadlock: the
/// requester holds the only slot while the server's call waits for it. Thread-static: host functions run synchronously
/// on the thread that runs the guest, and a guest thread runs one call at a time.
/// </summary>
internal static class HeldGuestSlot
{
    [ThreadStatic]
    private static GuestConcurrency? t_held;

    /// <summary>Marks <paramref name="slot"/> as held by the call starting on this thread; returns what was marked before.</summary>
    public static GuestConcurrency? Enter(GuestConcurrency? slot)
    {
        var outer = t_held;
        t_held = slot;
        return outer;
    }

    /// <summary>Ends the call's mark (restoring <paramref name="outer"/>) and gives its slot back, unless the call lost it.</summary>
    public static void Exit(GuestConcurrency? outer)
    {
        var held = t_held;
        t_held = outer;
        held?.Exit();
    }

    /// <summary>
    /// Waits for <paramref name="task"/> with this thread's slot given back meanwhile, then takes a slot again (waiting
    /// behind other callers, at most until <paramref name="cancellationToken"/> fires). Without a held slot it just waits.
    /// </summary>
    public static T WaitReleased<T>(Task<T> task, CancellationToken cancellationToken)
    {
        var slot = t_held;
        if (slot is null || task.IsCompleted) return task.WaitAsync(cancellationToken).GetAwaiter().GetResult();
        t_held = null;
        slot.Exit();
        T result = default!;
        ExceptionDispatchInfo? failure = null;
        try
        {
            result = task.WaitAsync(cancellationToken).GetAwaiter().GetResult();
        }
        catch (Exception ex)
        {
            failure = ExceptionDispatchInfo.Capture(ex);
        }
        // The guest resumes only with a slot again. A refusal (the call's deadline, its caller's cancellation, a stop)
        // leaves the call without one: the end of the call then has nothing to give back.
        var back = slot.EnterAsync(-1, cancellationToken, CancellationToken.None).AsTask().GetAwaiter().GetResult();
        if (back == LeaseRefusal.None) t_held = slot;
        failure?.Throw();
        if (back != LeaseRefusal.None) throw new OperationCanceledException("the call ended while waiting to take its guest slot back", cancellationToken);
        return result;
    }
}
