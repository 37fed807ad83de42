namespace Vyra.Sdk;

/// <summary>
/// Why a lease was not granted: an instance of a runtime, or a slot of a <c>GuestConcurrency</c>. The runtime
/// turns it into the call's <see cref="PluginErrorKind"/> (Overloaded, Cancelled, NotStarted).
/// </summary>
internal enum LeaseRefusal
{
    None,
    /// <summary>The runtime was stopped (before or while the caller waited).</summary>
    Closed,
    /// <summary>The wait queue was full: refused at once.</summary>
    QueueFull,
    /// <summary>No instance became free within the allowed wait.</summary>
    WaitedTooLong,
    /// <summary>The caller's token was cancelled while it waited.</summary>
    Cancelled,
}
