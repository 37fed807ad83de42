using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Vyra.Sdk;

/// <summary>
/// Base class for an application's host functions. Every member has a default, so a <c>partial</c> subclass that only
/// adds <c>host_*</c> methods (wasm imports through the generator) or <see cref="RegisterImports"/> needs no other
/// override. The defaults: logging goes to the <see cref="ILogger"/>; <see cref="NotifyUiAsync"/> logs at debug level
/// and completes (the runtime calls it after every call, so it must not fail); communication goes through
/// <see cref="Interfaces"/>, by default the in-process bus.
/// </summary>
public abstract class BaseHostFunctions : IHostFunctions
{
    /// <summary>
    /// Creates the host functions with a logger (none: nothing is logged) and the module's interface factory (none: the
    /// process's <see cref="InProcessBus.Shared"/>, so plugins in one process talk with no set-up).
    /// </summary>
    protected BaseHostFunctions(ILogger? logger = null, IInterfaceFactory? interfaces = null)
    {
        Logger = logger ?? NullLogger.Instance;
        Interfaces = interfaces ?? InProcessBus.Shared;
    }

    /// <inheritdoc />
    public virtual IInterfaceFactory Interfaces { get; }

    /// <summary>The logger guest logs and host diagnostics go to.</summary>
    protected ILogger Logger { get; }

    /// <summary>Pushes an event to the UI. The default logs the event name at debug level and completes.</summary>
    public virtual ValueTask NotifyUiAsync(string eventName, IReadOnlyDictionary<string, object?> data, CancellationToken cancellationToken = default)
    {
        // Checked first: the runtime calls this after every call, and the arguments' array is allocated even when debug is off.
        if (Logger.IsEnabled(LogLevel.Debug)) Logger.LogDebug("notify_ui {EventName} (not handled by {Host})", eventName, GetType().Name);
        return ValueTask.CompletedTask;
    }

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
