using Microsoft.Extensions.Logging;

namespace Vyra.Sdk;

/// <summary>Answers a stub call: receives the call's data and returns its result dictionary.</summary>
public delegate ValueTask<IReadOnlyDictionary<string, object?>> StubHandler(IReadOnlyDictionary<string, object?> data, CancellationToken cancellationToken);

/// <summary>
/// The pure .NET backend (tests, machines without a module): <c>ping</c>, <c>get_state</c> (a copy),
/// <c>set_state</c> (merge, returns the whole state). Other names are answered by registered handlers or a subclass's
/// <see cref="DispatchAsync"/>. The state is a copy of the initial state and survives stop/start.
/// </summary>
public class StubRuntime : PluginRuntime
{
    private readonly object _gate = new();
    private readonly Dictionary<string, object?> _state;
    private readonly Dictionary<string, StubHandler> _handlers = new(StringComparer.Ordinal);
    private volatile bool _running;

    /// <summary>Creates a stub runtime; the caller's <paramref name="initialState"/> is copied, never changed.</summary>
    public StubRuntime(string pluginId, IHostFunctions? host = null, IReadOnlyDictionary<string, object?>? initialState = null, PluginRuntimeOptions? options = null)
        : base(pluginId, host, options)
    {
        _state = initialState is null ? new() : new Dictionary<string, object?>(initialState);
    }

    /// <inheritdoc />
    public override bool IsRunning => _running;

    /// <inheritdoc />
    public override string Backend => "stub";

    /// <summary>Answers <paramref name="function"/> with <paramref name="handler"/> (replacing an earlier handler). <c>on_event</c> receives <c>{"name", "data"}</c>.</summary>
    public StubRuntime RegisterHandler(string function, StubHandler handler)
    {
        ArgumentException.ThrowIfNullOrEmpty(function);
        ArgumentNullException.ThrowIfNull(handler);
        lock (_gate) _handlers[function] = handler;
        return this;
    }

    /// <inheritdoc />
    /// <remarks>The stub reads no manifest: its <see cref="PluginRuntime.Facade"/> allows nothing.</remarks>
    public override async ValueTask StartAsync(CancellationToken cancellationToken = default)
    {
        if (_running) return;
        await RenewFacadeAsync(null).ConfigureAwait(false);
        _running = true;
    }

    /// <inheritdoc />
    public override async ValueTask StopAsync(CancellationToken cancellationToken = default)
    {
        _running = false;
        await CloseFacadeAsync().ConfigureAwait(false);
    }

    /// <inheritdoc />
    public override async ValueTask OnEventAsync(string eventName, IReadOnlyDictionary<string, object?>? data = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(eventName);
        if (!IsRunning) throw NotStarted("on_event");
        StubHandler? handler;
        lock (_gate) _handlers.TryGetValue("on_event", out handler);
        if (handler is null)
        {
            Logger.LogDebug("Plugin {PluginId} has no on_event handler; event {EventName} ignored", PluginId, eventName);
            return;
        }
        await handler(new Dictionary<string, object?> { ["name"] = eventName, ["data"] = data }, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>A copy of the current state.</summary>
    public IReadOnlyDictionary<string, object?> GetState()
    {
        lock (_gate) return new Dictionary<string, object?>(_state);
    }

    /// <inheritdoc />
    protected sealed override async ValueTask<IReadOnlyDictionary<string, object?>> InvokeAsync(string function, IReadOnlyDictionary<string, object?> data, CancellationToken cancellationToken)
    {
        if (cancellationToken.IsCancellationRequested) throw Cancelled(function, cancellationToken);
        StubHandler? handler;
        lock (_gate) _handlers.TryGetValue(function, out handler);
        IReadOnlyDictionary<string, object?>? result;
        try
        {
            result = handler is not null
                ? await handler(data, cancellationToken).ConfigureAwait(false)
                : await DispatchAsync(function, data, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException ex) when (cancellationToken.IsCancellationRequested)
        {
            throw Cancelled(function, cancellationToken, ex);
        }
        catch (Exception ex) when (ex is not PluginCallException)
        {
            // A handler plays the plugin's part: its failure is the plugin's failure, reported like a trap.
            throw new PluginCallException(PluginId, function, ex.Message, PluginErrorKind.Trap, ex);
        }
        return result ?? throw UnknownFunction(function, "the stub runtime has no such function (only ping, get_state, set_state and registered handlers)");
    }

    /// <summary>
    /// Answers calls no handler took. The base answers <c>get_state</c> and <c>set_state</c> and returns null
    /// (unknown function) for everything else; override to add functions and call the base for the rest.
    /// </summary>
    protected virtual ValueTask<IReadOnlyDictionary<string, object?>?> DispatchAsync(string function, IReadOnlyDictionary<string, object?> data, CancellationToken cancellationToken)
    {
        switch (function)
        {
            case "get_state":
                return ValueTask.FromResult<IReadOnlyDictionary<string, object?>?>(GetState());
            case "set_state":
                lock (_gate)
                {
                    foreach (var (key, value) in data) _state[key] = value;
                    return ValueTask.FromResult<IReadOnlyDictionary<string, object?>?>(new Dictionary<string, object?>(_state));
                }
            default:
                return ValueTask.FromResult<IReadOnlyDictionary<string, object?>?>(null);
        }
    }
}
