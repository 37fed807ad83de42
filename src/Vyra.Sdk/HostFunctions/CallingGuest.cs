namespace Vyra.Sdk;

/// <summary>
/// The guest instance a typed host import's call comes from, as its binding (<see cref="HostImportBinding"/>) sees it:
/// what every host import reaches (<see cref="GuestContext"/>), plus the instance's imports by the linker's index and
/// why its running call was interrupted. The Wasm backend's instance is one and is its store's data, so the bindings
/// (this layer) never name the backend (a later one).
/// </summary>
internal abstract class CallingGuest(string pluginId, int maxMemoryValueBytes, int maxLogMessageBytes)
    : GuestContext(pluginId, maxMemoryValueBytes, maxLogMessageBytes)
{
    /// <summary>The import the linker defined at <paramref name="index"/> (the instance's contract holds them in that order).</summary>
    public abstract HostImport Import(int index);

    /// <summary>
    /// When the call's deadline passed, its caller cancelled or the runtime stopped: the exception that ends the call as
    /// a Timeout or Cancelled, thrown instead of a host function's <see cref="OperationCanceledException"/>; else null.
    /// </summary>
    public abstract Exception? HostInterruption();
}
