using System.ComponentModel;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Vyra.Sdk;

/// <summary>
/// A loaded plugin: started, called by function name with a dictionary of arguments, stopped.
/// Both backends share the call rules here (not started → <c>ping</c> → dispatch → notify) so they behave alike.
/// </summary>
public abstract class PluginRuntime : IAsyncDisposable
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

    /// <summary>
    /// Creates a runtime by VYRA's rule: <see cref="WasmRuntime"/> when <paramref name="wasmPath"/> is a wasm or wat
    /// module; <see cref="ServiceExportRuntime"/> (service-export mode) when there is no module file and the folder's
    /// manifest declares <c>service_exports</c>; otherwise <see cref="StubRuntime"/>.
    /// <see cref="PluginRuntimeOptions.PreferStub"/> asks for the stub; a missing or unusable module falls back to it as <see cref="PluginRuntimeOptions.StubFallback"/> says (by
    /// default with a warning naming the file and the reason; <see cref="StubFallback.Refuse"/> throws instead).
    /// </summary>
    /// <exception cref="PluginLoadException">The module is missing or unusable and the options refuse the stub fallback.</exception>
    public static PluginRuntime Create(
        string pluginId,
        string wasmPath,
        IHostFunctions? host = null,
        IReadOnlyDictionary<string, object?>? initialState = null,
        PluginRuntimeOptions? options = null) =>
        Create(pluginId, wasmPath, host, initialState, preferStub: false, options);

    /// <summary>
    /// The older form of <see cref="Create(string, string, IHostFunctions?, IReadOnlyDictionary{string, object?}?, PluginRuntimeOptions?)"/>,
    /// still called by generated proxies: <paramref name="preferStub"/> true has the effect of
    /// <see cref="PluginRuntimeOptions.PreferStub"/>. New code sets the option instead.
    /// </summary>
    /// <exception cref="PluginLoadException">The module is missing or unusable and the options refuse the stub fallback.</exception>
    [EditorBrowsable(EditorBrowsableState.Never)]
    public static PluginRuntime Create(
        string pluginId,
        string wasmPath,
        IHostFunctions? host,
        IReadOnlyDictionary<string, object?>? initialState,
        bool preferStub,
        PluginRuntimeOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(pluginId);
        var fallback = options?.StubFallback ?? StubFallback.Warn;
        if (!Enum.IsDefined(fallback))
            throw new ArgumentOutOfRangeException(nameof(options), fallback, "PluginRuntimeOptions.StubFallback must be Warn, Allow or Refuse");
        if (preferStub || options?.PreferStub == true)
        {
            var preferred = new StubRuntime(pluginId, host, initialState, options);
            preferred.Logger.LogInformation("Plugin {PluginId} uses the stub runtime: the stub backend was requested (PreferStub)", pluginId);
            return preferred;
        }
        var reason = ModuleFile.WhyNotAModule(wasmPath) is { } why ? FrontendOnly(wasmPath) ?? why : null;
        if (reason is null) return new WasmRuntime(pluginId, wasmPath, host, initialState, options);
        if (ServiceExportRuntime.ServesFolderOf(wasmPath) is { } folder) return new ServiceExportRuntime(pluginId, folder, host, options);
        var module = string.IsNullOrEmpty(wasmPath) ? "(no module path)" : wasmPath;
        if (fallback == StubFallback.Refuse)
            throw new PluginLoadException(
                $"[{pluginId}] cannot load '{module}': {reason}; the stub fallback is refused (PluginRuntimeOptions.StubFallback = Refuse)",
                string.IsNullOrEmpty(wasmPath) ? null : wasmPath);
        var stub = new StubRuntime(pluginId, host, initialState, options);
        stub.Logger.Log(
            fallback == StubFallback.Warn ? LogLevel.Warning : LogLevel.Information,
            "Plugin {PluginId} falls back to the stub runtime: cannot load '{Module}': {Reason}",
            pluginId, module, reason);
        return stub;
    }

    /// <summary>Names the real reason when a folder without a module holds an upstream frontend-only plugin.</summary>
    private static string? FrontendOnly(string wasmPath)
    {
        try
        {
            var directory = Path.GetDirectoryName(Path.GetFullPath(wasmPath));
            return directory is not null && ManifestReader.ReadFolder(directory) is { HasBackend: false } m
                ? $"plugin '{m.Id}' is frontend-only: its manifest has no backend entry point"
                : null;
        }
        catch (Exception ex) when (ex is PluginLoadException or IOException or ArgumentException or UnauthorizedAccessException)
        {
            return null;
        }
    }

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
    internal ServiceExportTable? ServiceExports { get; set; }

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
    public async ValueTask<IReadOnlyDictionary<string, object?>> CallAsync(string function, IReadOnlyDictionary<string, object?>? data = null, CancellationToken cancellationToken = default)
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

    /// <summary>Stops the runtime and frees what it holds.</summary>
    public virtual async ValueTask DisposeAsync()
    {
        await StopAsync().ConfigureAwait(false);
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
    protected internal async ValueTask NotifyResultAsync(string function, IReadOnlyDictionary<string, object?> result)
    {
        // Nobody to tell: skip building the payload on every call. Exactly the null host: a subclass may override NotifyUiAsync.
        if (Host.GetType() == typeof(NullHostFunctions)) return;
        try
        {
            var payload = new Dictionary<string, object?> { ["plugin_id"] = PluginId, ["result"] = result };
            await Host.NotifyUiAsync($"plugin.{function}.result", payload).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            Logger.LogWarning(ex, "Plugin {PluginId}: notifying the result of '{Function}' failed", PluginId, function);
        }
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
