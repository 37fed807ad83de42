namespace Vyra.Sdk;

/// <summary>Why a plugin call failed; callers switch on this instead of parsing messages.</summary>
public enum PluginErrorKind
{
    /// <summary>The runtime was not started (or was stopped) when the call arrived.</summary>
    NotStarted,
    /// <summary>The function is not declared in the manifest, or the module does not export it.</summary>
    UnknownFunction,
    /// <summary>An argument could not be coerced to the declared type.</summary>
    InvalidArgument,
    /// <summary>The guest trapped (unreachable, division by zero, out-of-bounds access, ...).</summary>
    Trap,
    /// <summary>The call ran longer than its wall-clock timeout.</summary>
    Timeout,
    /// <summary>The call used up its fuel budget.</summary>
    OutOfFuel,
    /// <summary>The guest hit its memory cap and then failed.</summary>
    MemoryLimit,
    /// <summary>The guest recursed past the wasm stack limit.</summary>
    StackOverflow,
    /// <summary>A host function the guest called threw; the host's exception is the inner exception.</summary>
    HostFunction,
    /// <summary>The caller's <see cref="CancellationToken"/> was cancelled.</summary>
    Cancelled,
    /// <summary>The guest broke the memory ABI (bad pointer or length, missing allocator, invalid UTF-8 ...).</summary>
    Abi,
    /// <summary>
    /// A call that would wait on itself: host code running inside a call of this runtime called back into the same
    /// runtime (a call, or a stop that cannot finish before the call returns). Refused at once instead of deadlocking.
    /// </summary>
    Reentrant,
    /// <summary>The runtime's wait queue is full, or a call waited longer than allowed for an instance: retry later.</summary>
    Overloaded,
    /// <summary>The plugin's manifest permissions do not allow the operation (a publish, subscribe, request or serve).</summary>
    PermissionDenied,
    /// <summary>The plugin exceeded its rate limit so often that the host blocked it until the host unblocks it.</summary>
    Blocked,
}
