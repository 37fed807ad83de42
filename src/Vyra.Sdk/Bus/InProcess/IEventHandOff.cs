namespace Vyra.Sdk;

/// <summary>
/// A subscriber whose delivery is a hand-off to threads of its own (a plugin's <c>on_event</c>: lease an instance, post
/// the call to the runtime's guest thread), so the in-process bus may start it straight from the publisher's call
/// instead of waking a pump on the thread pool first (docs/bus.md, "Delivery"). The bus finds it as the
/// <see cref="Delegate.Target"/> of the handler it was given; any other handler is run by the subscription's pump.
/// </summary>
internal interface IEventHandOff
{
    /// <summary>
    /// Starts delivering <paramref name="message"/> without running the handler on the calling thread and without
    /// waiting for anything: the caller may be a publisher (host code, or a guest inside its own call) or the thread that
    /// finished the previous delivery. The bus calls it in a clean execution context; what else the calling thread
    /// carries (the re-entrancy marker of a call it is inside) the implementation must not let follow the event.
    /// Returns true when the delivery went on elsewhere: <paramref name="delivered"/> is then called exactly once when
    /// it ended, on whatever thread ended it (possibly before this returns). Returns false when it ended already
    /// (refused or failed at once, and logged): <paramref name="delivered"/> is not called.
    /// </summary>
    bool TryHandOff(PluginEvent message, CancellationToken cancellationToken, Action delivered);
}
