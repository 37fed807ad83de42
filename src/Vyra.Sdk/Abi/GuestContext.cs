using Wasmtime;

namespace Vyra.Sdk;

/// <summary>
/// What a host import may reach of the guest instance calling it: the instance's memory and allocator, the host's caps
/// on values crossing the wall, and the running call's host cancellation token. The Wasm backend's instance is one, so
/// a host import's <c>HostCall</c> (the layer above) needs nothing of the backend.
/// <para>
/// An abstract class, not an interface: a host import reads the memory and the caps once per memory argument, and here
/// that is a field load where an interface would add a dispatch. Only the token, read rarely, is virtual.
/// </para>
/// </summary>
internal abstract class GuestContext
{
    protected GuestContext(string pluginId, int maxMemoryValueBytes, int maxLogMessageBytes)
    {
        PluginId = pluginId;
        MaxMemoryValueBytes = maxMemoryValueBytes;
        MaxLogMessageBytes = maxLogMessageBytes;
    }

    /// <summary>The plugin the instance runs.</summary>
    public string PluginId { get; }

    /// <summary>The host's cap on a string, bytes or json value crossing the wall.</summary>
    public int MaxMemoryValueBytes { get; }

    /// <summary>The host's cap on a <c>host_log</c> message.</summary>
    public int MaxLogMessageBytes { get; }

    /// <summary>
    /// The exported <c>memory</c>, resolved once the instance exists; null before (a host call made by the start
    /// function looks it up through its caller) or when the module exports none.
    /// </summary>
    public Memory? Memory { get; protected set; }

    /// <summary>The exported <c>vyra_alloc</c>, resolved like <see cref="Memory"/>.</summary>
    public Func<int, int>? Alloc { get; protected set; }

    /// <summary>Fires at the running call's deadline, when its caller cancels, or when the runtime stops.</summary>
    public abstract CancellationToken HostToken { get; }
}
