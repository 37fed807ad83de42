using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Vyra.Sdk;

/// <summary>
/// A loaded plugin: started, called by function name with a dictionary of arguments, stopped.
/// Both backends share the call rules here (not started → <c>ping</c> → dispatch → notify) so they behave alike.
/// </summary>
public abstract partial class PluginRuntime : IAsyncDisposable
{
    private static readonly IReadOnlyDictionary<string, object?> EmptyData = new Dictionary<string, object?>();

    /// <summary>Initializes the shared parts of a runtime.</summary>
    protected PluginRuntime(string pluginId, IHostFunctions? host, PluginRuntimeOptions? options)
    {
        ArgumentException.ThrowIfNullOrEmpty(pluginId);
        PluginId = pluginId;
        Options = options ?? PluginRuntimeOptions.Default;
        Logger = (Options.LoggerFactory ?? NullLoggerFactory.Instance).CreateLogger(GetType().FullName ?? nameof(PluginRuntime));
        Host = host ?? new NullHostFunctions(Logger);
    }

    private PluginFacade? _facade;
    private PluginPermissions? _permissions;

    /// <summary>
    /// The plugin's gate to the bus (VYRA's PluginFacade): what the guest's <c>vyra</c> imports go through, and what
    /// host code acting for the plugin may use. Built from the manifest's <c>permissions</c> (none: nothing is allowed),
    /// <see cref="Host"/>'s <see cref="IHostFunctions.Interfaces"/> and <see cref="PluginRuntimeOptions.Bus"/>, on first
    /// use (a plugin that never talks pays nothing). A start reads the permissions (before it, nothing is allowed); a stop
    /// disposes the facade, ending the plugin's subscriptions and services, and the next use gets a fresh one.
    /// </summary>
    public PluginFacade Facade
    {
        get
        {
            if (Volatile.Read(ref _facade) is { } facade) return facade;
            var fresh = new PluginFacade(PluginId, Volatile.Read(ref _permissions), Host, Options.Bus, Logger);
            return Interlocked.CompareExchange(ref _facade, fresh, null) ?? fresh;
        }
    }

    /// <summary>Sets the permissions a start read; the facade of the previous run is disposed.</summary>
    private protected ValueTask RenewFacadeAsync(PluginPermissions? permissions)
    {
        Volatile.Write(ref _permissions, permissions);
        return CloseFacadeAsync();
    }

    /// <summary>
    /// A hot swap's new permissions: the facade (if any) checks later operations against them; the next facade is built
    /// with them.
    /// </summary>
    private protected void ReplacePermissions(PluginPermissions? permissions)
    {
        Volatile.Write(ref _permissions, permissions);
        Volatile.Read(ref _facade)?.ReplacePermissions(permissions);
    }

    /// <summary>Disposes the facade (at a stop): the plugin's subscriptions and services end; its handles are closed.</summary>
    private protected ValueTask CloseFacadeAsync() => Interlocked.Exchange(ref _facade, null) is { } facade ? facade.DisposeAsync() : default;

    /// <summary>The plugin id.</summary>
    public string PluginId { get; }

    /// <summary>The application's host functions.</summary>
    public IHostFunctions Host { get; }

    /// <summary>The options in force.</summary>
    public PluginRuntimeOptions Options { get; }

    /// <summary>True between a successful start and the next stop.</summary>
    public abstract bool IsRunning { get; }

    /// <summary>The backend's name as <c>ping</c> reports it: <c>wasm</c>, <c>service</c> (service-export mode) or <c>stub</c>.</summary>
    public abstract string Backend { get; }

    /// <summary>The service exports bound by the last start (docs/bus.md, "Service exports"); null when the plugin has none.</summary>
    internal IHostServedExports? ServiceExports { get; set; }

    /// <summary>
    /// Names a backend answers from host services instead of its own code (upstream's <c>service_exports</c>); the call
    /// rules dispatch them here, the backends bind them (<c>Service/ServiceExportTable</c>).
    /// </summary>
    internal interface IHostServedExports
    {
        /// <summary>The names served.</summary>
        IReadOnlyCollection<string> Names { get; }

        /// <summary>Whether <paramref name="function"/> is one of them.</summary>
        bool Serves(string function);

        /// <summary>Calls the host service behind <paramref name="function"/>.</summary>
        ValueTask<IReadOnlyDictionary<string, object?>> InvokeAsync(string function, IReadOnlyDictionary<string, object?> data, CancellationToken cancellationToken);

        /// <summary>Ends the service calls still running (a stop).</summary>
        void Stop();
    }

    /// <summary>The runtime's logger.</summary>
    protected internal ILogger Logger { get; }

    /// <summary>Starts the plugin. Idempotent; atomic: when it throws, the runtime is not running.</summary>
    public abstract ValueTask StartAsync(CancellationToken cancellationToken = default);

    /// <summary>Stops the plugin; safe when not started.</summary>
    public abstract ValueTask StopAsync(CancellationToken cancellationToken = default);

    /// <summary>
    /// Calls <paramref name="function"/> with arguments taken by name from <paramref name="data"/>.
    /// Returns <c>{"result": v}</c>, <c>{"result": [..]}</c> or <c>{}</c>; every failure is a <see cref="PluginCallException"/>.
    /// </summary>
    public ValueTask<IReadOnlyDictionary<string, object?>> CallAsync(string function, IReadOnlyDictionary<string, object?>? data = null, CancellationToken cancellationToken = default)
    {
        // When nobody observes calls, nothing runs after the backend's call but the result's notification, which the
        // backend may run on the thread that ran the call (InvokeNotifyingAsync): its task is returned as it is, with no
        // async frame of this method in between, so a caller blocked on it is woken by the thread that ran the call rather
        // than through a pool thread. Failures still come back through the task.
        if (function is null || VyraTelemetry.CallsObserved || ServiceExports is not null)
        {
            return CallObservedAsync(function!, data, cancellationToken);
        }
        try
        {
            if (!IsRunning) throw NotStarted(function);
            if (function == "ping") return new(Ping());
            data ??= EmptyData;
            ArgumentText.Check(PluginId, function, data);
            // Exactly the null host has nobody to tell (a subclass may override NotifyUiAsync), as NotifyResultAsync decides.
            return Host.GetType() == typeof(NullHostFunctions) ? InvokeAsync(function, data, cancellationToken) : InvokeNotifyingAsync(function, data, cancellationToken);
        }
        catch (Exception ex)
        {
            return ValueTask.FromException<IReadOnlyDictionary<string, object?>>(ex);
        }
    }

    private async ValueTask<IReadOnlyDictionary<string, object?>> CallObservedAsync(string function, IReadOnlyDictionary<string, object?>? data, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(function);
        var started = VyraTelemetry.BeginCall(PluginId, function, Backend, out var activity);
        PluginErrorKind? failure = null;
        try
        {
            if (!IsRunning) throw NotStarted(function);
            if (function == "ping") return Ping();
            data ??= EmptyData;
            ArgumentText.Check(PluginId, function, data);
            // A name the manifest's service_exports declare is served by a host service, never by the backend.
            var result = ServiceExports is { } served && served.Serves(function)
                ? await served.InvokeAsync(function, data, cancellationToken).ConfigureAwait(false)
                : await InvokeAsync(function, data, cancellationToken).ConfigureAwait(false);
            await NotifyResultAsync(function, result).ConfigureAwait(false);
            return result;
        }
        catch (PluginCallException ex)
        {
            failure = ex.Kind;
            throw;
        }
        finally
        {
            VyraTelemetry.EndCall(started, activity, PluginId, function, failure);
        }
    }

    /// <summary>Delivers an event to the plugin (its <c>on_event</c> export, when it has one).</summary>
    public abstract ValueTask OnEventAsync(string eventName, IReadOnlyDictionary<string, object?>? data = null, CancellationToken cancellationToken = default);

    /// <summary>Runs a declared function; <paramref name="function"/> is never <c>ping</c>.</summary>
    protected abstract ValueTask<IReadOnlyDictionary<string, object?>> InvokeAsync(string function, IReadOnlyDictionary<string, object?> data, CancellationToken cancellationToken);

    /// <summary>
    /// Runs a declared function (never <c>ping</c>), then tells the host its result (<see cref="NotifyResultAsync"/>);
    /// the returned task completes after the notification did, and a failed call notifies nothing. A backend may run
    /// the notification where the call ran, once the call no longer holds anything the host could need.
    /// </summary>
    private protected virtual async ValueTask<IReadOnlyDictionary<string, object?>> InvokeNotifyingAsync(string function, IReadOnlyDictionary<string, object?> data, CancellationToken cancellationToken)
    {
        var result = await InvokeAsync(function, data, cancellationToken).ConfigureAwait(false);
        await NotifyResultAsync(function, result).ConfigureAwait(false);
        return result;
    }

    /// <summary>Stops the runtime and frees what it holds.</summary>
    public virtual async ValueTask DisposeAsync()
    {
        await StopAsync().ConfigureAwait(false);
        await CloseFacadeAsync().ConfigureAwait(false); // a backend whose stop leaves it open (one outside this assembly)
        GC.SuppressFinalize(this);
    }

    /// <summary>The built-in <c>ping</c> answer.</summary>
    protected IReadOnlyDictionary<string, object?> Ping() => new Dictionary<string, object?>
    {
        ["status"] = "ok",
        ["plugin_id"] = PluginId,
        ["runtime"] = Backend,
    };

    /// <summary>Tells the host about a call's result (<c>plugin.{fn}.result</c>). Best effort: a failing host is logged, never thrown.</summary>
    protected internal ValueTask NotifyResultAsync(string function, IReadOnlyDictionary<string, object?> result)
    {
        // Nobody to tell: skip building the payload on every call. Exactly the null host: a subclass may override NotifyUiAsync.
        if (Host.GetType() == typeof(NullHostFunctions)) return default;
        try
        {
            var payload = new Dictionary<string, object?> { ["plugin_id"] = PluginId, ["result"] = result };
            var notifying = Host.NotifyUiAsync(ResultEvent(function), payload);
            // Not an async method: a notification that completes at once (the default's does) costs no state machine.
            if (!notifying.IsCompleted) return ObserveNotificationAsync(notifying, function);
            notifying.GetAwaiter().GetResult();
        }
        catch (Exception ex)
        {
            NotificationFailed(ex, function);
        }
        return default;
    }

    private async ValueTask ObserveNotificationAsync(ValueTask notifying, string function)
    {
        try
        {
            await notifying.ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            NotificationFailed(ex, function);
        }
    }

    private void NotificationFailed(Exception ex, string function) =>
        Logger.LogWarning(ex, "Plugin {PluginId}: notifying the result of '{Function}' failed", PluginId, function);

    private volatile ResultEventName? _resultEvent;

    /// <summary>The last function's result event name, kept so back-to-back calls of one function do not format it each time.</summary>
    private sealed record ResultEventName(string Function, string Event);

    /// <summary><c>plugin.{function}.result</c>.</summary>
    private string ResultEvent(string function)
    {
        if (_resultEvent is { } last && (ReferenceEquals(last.Function, function) || last.Function == function)) return last.Event;
        var fresh = new ResultEventName(function, $"plugin.{function}.result");
        _resultEvent = fresh;
        return fresh.Event;
    }

    /// <summary>The exception for a call on a runtime that is not running.</summary>
    protected PluginCallException NotStarted(string function) =>
        new(PluginId, function, "the plugin is not started", PluginErrorKind.NotStarted);

    /// <summary>The exception for a call whose token was cancelled; an <see cref="OperationCanceledException"/> is inside.</summary>
    protected PluginCallException Cancelled(string function, CancellationToken cancellationToken, Exception? inner = null) =>
        new(PluginId, function, "the call was cancelled", PluginErrorKind.Cancelled, inner ?? new OperationCanceledException(cancellationToken));

    /// <summary>The exception for a function the plugin does not offer.</summary>
    protected PluginCallException UnknownFunction(string function, string why) =>
        new(PluginId, function, why, PluginErrorKind.UnknownFunction);
}
