using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Vyra.Sdk;

/// <summary>
/// Base class for an application's host functions. Logging is concrete (over <see cref="ILogger"/>); the VYRA
/// communication hooks are the application's to implement. Methods named <c>host_*</c> in a <c>partial</c>
/// subclass become wasm imports through the generator; <see cref="RegisterImports"/> registers them by hand.
/// </summary>
public abstract class BaseHostFunctions : IHostFunctions
{
    /// <summary>Creates the host functions with a logger (none: nothing is logged).</summary>
    protected BaseHostFunctions(ILogger? logger = null)
    {
        Logger = logger ?? NullLogger.Instance;
    }

    /// <summary>The logger guest logs and host diagnostics go to.</summary>
    protected ILogger Logger { get; }

    /// <inheritdoc />
    public abstract ValueTask NotifyUiAsync(string eventName, IReadOnlyDictionary<string, object?> data, CancellationToken cancellationToken = default);

    /// <inheritdoc />
    public abstract ValueTask<object?> CreatePublisherAsync(string name, CancellationToken cancellationToken = default);

    /// <inheritdoc />
    public abstract ValueTask<object?> CreateSubscriberAsync(string name, Func<IReadOnlyDictionary<string, object?>, ValueTask> callback, CancellationToken cancellationToken = default);

    /// <inheritdoc />
    public abstract ValueTask<object?> CreateServerAsync(string name, Func<IReadOnlyDictionary<string, object?>, ValueTask<IReadOnlyDictionary<string, object?>>> handler, CancellationToken cancellationToken = default);

    /// <inheritdoc />
    public abstract ValueTask<object?> CreateClientAsync(string name, CancellationToken cancellationToken = default);

    /// <inheritdoc />
    public virtual ValueTask LogAsync(LogLevel level, string message, CancellationToken cancellationToken = default)
    {
        Logger.Log(level, "{Message}", message);
        return ValueTask.CompletedTask;
    }

    /// <summary>
    /// Target of the guest's <c>host_emit_event(event_type, payload)</c>. The default forwards to
    /// <see cref="NotifyUiAsync"/> with <c>{"plugin_id", "payload"}</c>.
    /// </summary>
    public virtual ValueTask EmitEventAsync(string pluginId, string eventType, string payload, CancellationToken cancellationToken = default) =>
        NotifyUiAsync(eventType, new Dictionary<string, object?> { ["plugin_id"] = pluginId, ["payload"] = payload }, cancellationToken);

    /// <summary>Collects this host's imports: generated bindings first, then hand registrations (which win on a name clash).</summary>
    internal void CollectImports(HostImportRegistry imports)
    {
        RegisterGeneratedImports(imports);
        RegisterImports(imports);
    }

    /// <summary>Register host functions by hand (in addition to the built-in <c>host_log</c> and <c>host_emit_event</c>).</summary>
    protected virtual void RegisterImports(HostImportRegistry imports)
    {
    }

    /// <summary>Overridden by the generator with the bindings of this class's <c>host_*</c> methods.</summary>
    protected virtual void RegisterGeneratedImports(HostImportRegistry imports)
    {
    }
}
