using EditorBrowsable = System.ComponentModel.EditorBrowsableAttribute;
using EditorBrowsableState = System.ComponentModel.EditorBrowsableState;
using Microsoft.Extensions.Logging;
using Vyra.Sdk.Wit;
using Wasmtime;
using Wasmtime.Components;

namespace Vyra.Sdk;

/// <summary>
/// The component backend (docs/components.md): a plugin whose manifest has a <c>component</c> block runs as a
/// WebAssembly component of its WIT world, behind the same <see cref="PluginRuntime"/> API. A start reads the manifest
/// and the <c>.wit</c> files, compiles the component, checks that it exports the world's functions, and instantiates it
/// with the limits (timeout, fuel, memory) of a core module. <see cref="PluginRuntime.CallAsync"/> maps JSON-shaped
/// arguments to component values by the export's WIT types, and the result back. Calls run one at a time. A component
/// instance that failed (a trap, a timeout) may not be entered again, so the next call gets a fresh instance: state
/// kept in the guest does not survive a failed call.
/// </summary>
public sealed class ComponentRuntime : PluginRuntime
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly Dictionary<string, ComponentFunctionCallback> _imports = new(StringComparer.Ordinal);
    private readonly object _importsLock = new();
    private volatile bool _running;
    private Loaded? _loaded;
    private Live? _live;
    private int _callingThread;

    /// <summary>Creates a runtime for the component at <paramref name="componentPath"/> (<c>.wasm</c>, or <c>.wat</c> component text); the manifest is read from its folder.</summary>
    public ComponentRuntime(string pluginId, string componentPath, IHostFunctions? host = null, PluginRuntimeOptions? options = null)
        : base(pluginId, host, options)
    {
        ArgumentException.ThrowIfNullOrEmpty(componentPath);
        ComponentPath = componentPath;
        Options.Validate();
    }

    /// <summary>The component file.</summary>
    public string ComponentPath { get; }

    /// <inheritdoc />
    public override bool IsRunning => _running;

    /// <inheritdoc />
    public override string Backend => "component";

    /// <summary>The manifest read by the last start.</summary>
    public PluginManifest? Manifest => _loaded?.Manifest;

    /// <summary>Where the last start's compiled component came from: compiled, the process's memory, or the disk cache.</summary>
    public ModuleSource ComponentSource { get; private set; }

    /// <summary>The WIT world the last start resolved (its name), or null before a start.</summary>
    public string? WorldName => _loaded?.World.Name;

    /// <summary>The names <see cref="PluginRuntime.CallAsync"/> takes: the world's exported functions, and <c>interface.function</c> for exported interfaces.</summary>
    public IReadOnlyCollection<string> Exports => _loaded is { } loaded ? loaded.Exports.Keys : [];

    /// <summary>
    /// Defines the host's implementation of a world import (a root function by its WIT name, or
    /// <c>interface.function</c>, the interface by its short name): generated host bindings call this. Before a start;
    /// an import with no implementation fails the call that reaches it (<see cref="PluginErrorKind.HostFunction"/>).
    /// </summary>
    [EditorBrowsable(EditorBrowsableState.Never)]
    public void DefineImport(string name, ComponentFunctionCallback implementation)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(implementation);
        lock (_importsLock) _imports[name] = implementation;
    }

    /// <summary>
    /// Calls an export with component values (generated proxies use this; others use <see cref="PluginRuntime.CallAsync"/>).
    /// Same limits, rules and error kinds as a call by name; the values must match the export's WIT types.
    /// </summary>
    [EditorBrowsable(EditorBrowsableState.Never)]
    public async ValueTask<ComponentValue?> InvokeComponentAsync(string export, ComponentValue[] arguments, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(export);
        ArgumentNullException.ThrowIfNull(arguments);
        var started = VyraTelemetry.BeginCall(PluginId, export, Backend, out var activity);
        PluginErrorKind? failure = null;
        try
        {
            if (!IsRunning || _loaded is not { } loaded) throw NotStarted(export);
            if (!loaded.Exports.TryGetValue(export, out var target)) throw UnknownFunction(export, $"the world '{loaded.World.Name}' exports no function '{export}'");
            if (arguments.Length != target.Function.Params.Count)
            {
                throw new PluginCallException(PluginId, export, $"'{export}' takes {target.Function.Params.Count} argument(s), got {arguments.Length}", PluginErrorKind.InvalidArgument);
            }
            return await RunAsync(export, target, arguments, cancellationToken).ConfigureAwait(false);
        }
        catch (PluginCallException ex)
        {
            failure = ex.Kind;
            throw;
        }
        finally
        {
            VyraTelemetry.EndCall(started, activity, PluginId, export, failure);
        }
    }

    /// <inheritdoc />
    public override async ValueTask StartAsync(CancellationToken cancellationToken = default)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_running) return;
            var loaded = Load();
            _loaded = loaded;
            _live = Instantiate(loaded);
            await RenewFacadeAsync(loaded.Manifest.Permissions).ConfigureAwait(false);
            _running = true;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <inheritdoc />
    public override async ValueTask StopAsync(CancellationToken cancellationToken = default)
    {
        if (_callingThread == Environment.CurrentManagedThreadId)
        {
            // From inside a call: the call's guard stops it at the next tick; the stop completes when the call ends.
            _running = false;
            _live?.Guard.Stop();
            return;
        }
        _live?.Guard.Stop();
        await _gate.WaitAsync(CancellationToken.None).ConfigureAwait(false);
        try
        {
            if (!_running && _live is null) return;
            _running = false;
            Release(ref _live);
            await CloseFacadeAsync().ConfigureAwait(false);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <inheritdoc />
    /// <remarks>Components receive no events yet (docs/components.md): the event is ignored.</remarks>
    public override ValueTask OnEventAsync(string eventName, IReadOnlyDictionary<string, object?>? data = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(eventName);
        return IsRunning ? default : throw NotStarted("on_event");
    }

    /// <inheritdoc />
    protected override async ValueTask<IReadOnlyDictionary<string, object?>> InvokeAsync(string function, IReadOnlyDictionary<string, object?> data, CancellationToken cancellationToken)
    {
        if (_loaded is not { } loaded) throw NotStarted(function);
        if (!loaded.Exports.TryGetValue(function, out var target))
        {
            throw UnknownFunction(function, $"the world '{loaded.World.Name}' exports no function '{function}' (exports: {string.Join(", ", loaded.Exports.Keys)})");
        }
        var parameters = target.Function.Params;
        foreach (var key in data.Keys)
        {
            if (!parameters.Any(p => p.Name == key))
            {
                throw new PluginCallException(PluginId, function, $"'{function}' has no parameter '{key}' (parameters: {string.Join(", ", parameters.Select(p => p.Name))})", PluginErrorKind.InvalidArgument);
            }
        }
        var arguments = new ComponentValue[parameters.Count];
        for (var i = 0; i < arguments.Length; i++)
        {
            var parameter = parameters[i];
            if (!data.TryGetValue(parameter.Name, out var value) && parameter.Type.Kind != WitKind.Option)
            {
                throw new PluginCallException(PluginId, function, $"missing argument '{parameter.Name}' ({parameter.Type})", PluginErrorKind.InvalidArgument);
            }
            try
            {
                arguments[i] = ComponentValues.ToComponent(value, parameter.Type, parameter.Name);
            }
            catch (ComponentValueException ex)
            {
                throw new PluginCallException(PluginId, function, ex.Message, PluginErrorKind.InvalidArgument, ex);
            }
        }
        var result = await RunAsync(function, target, arguments, cancellationToken).ConfigureAwait(false);
        if (target.Function.Result is not { } resultType || result is null) return new Dictionary<string, object?>();
        return new Dictionary<string, object?> { ["result"] = ComponentValues.FromComponent(result, resultType) };
    }

    private async ValueTask<ComponentValue?> RunAsync(string name, ExportTarget target, ComponentValue[] arguments, CancellationToken cancellationToken)
    {
        if (_callingThread == Environment.CurrentManagedThreadId)
        {
            throw new PluginCallException(PluginId, name, "a call from inside a call of the same component would wait for itself", PluginErrorKind.Reentrant);
        }
        if (cancellationToken.IsCancellationRequested) throw Cancelled(name, cancellationToken);
        var limits = _loaded!.Limits;
        var waitMs = limits.Timeout < TimeSpan.Zero ? Timeout.Infinite : (int)Math.Min(int.MaxValue, limits.Timeout.TotalMilliseconds);
        bool entered;
        try
        {
            entered = await _gate.WaitAsync(waitMs, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException ex)
        {
            throw Cancelled(name, cancellationToken, ex);
        }
        if (!entered) throw new PluginCallException(PluginId, name, "the component stayed busy for the whole timeout", PluginErrorKind.Overloaded);
        try
        {
            if (!_running || _loaded is not { } loaded) throw NotStarted(name);
            var live = _live ??= Instantiate(loaded);
            var function = live.Functions[name];
            _callingThread = Environment.CurrentManagedThreadId;
            live.Guard.Arm(cancellationToken);
            try
            {
                var result = function.Call(arguments);
                return target.Function.Result is null ? null : result;
            }
            catch (Exception ex) when (ex is WasmtimeException or ArgumentException or InvalidOperationException)
            {
                // A component instance that failed cannot be entered again: the next call gets a fresh one.
                Release(ref _live);
                throw Failure(name, ex);
            }
            finally
            {
                live.Guard.Disarm();
                _callingThread = 0;
            }
        }
        finally
        {
            _gate.Release();
        }
    }

    private PluginCallException Failure(string name, Exception ex)
    {
        for (var e = ex; e is not null; e = e.InnerException)
        {
            switch (e)
            {
                case GuestInterruptedException interrupted:
                    return GuestFailure.Interrupted(PluginId, name, interrupted, ex);
                case ImportMissingException missing:
                    return new(PluginId, name, missing.Message, PluginErrorKind.HostFunction, missing);
                case PluginCallException nested:
                    return new(PluginId, name, nested.Reason, nested.Kind, nested);
            }
        }
        if (ex is WasmtimeException { InnerException: { } host }) return new(PluginId, name, $"a host function failed: {host.Message}", PluginErrorKind.HostFunction, host);
        var text = GuestFailure.TrapText(ex.Message);
        if (text.Contains("all fuel consumed", StringComparison.Ordinal)) return new(PluginId, name, "the call ran out of fuel", PluginErrorKind.OutOfFuel, ex);
        if (text.Contains("call stack exhausted", StringComparison.Ordinal)) return new(PluginId, name, "the plugin overflowed its stack (too deep recursion)", PluginErrorKind.StackOverflow, ex);
        if (ex is ArgumentException) return new(PluginId, name, ex.Message, PluginErrorKind.InvalidArgument, ex);
        return new(PluginId, name, "the component trapped: " + text, PluginErrorKind.Trap, ex);
    }

    /// <summary>
    /// The catalog's check of a component plugin folder: its WIT world resolves and its file compiles as a component
    /// (through the shared cache). Exports are checked against the world at start, where the component is instantiated.
    /// </summary>
    /// <exception cref="PluginLoadException">What is wrong, by file and place.</exception>
    internal static void Validate(string folder, PluginManifest manifest, string modulePath)
    {
        WitFiles.LoadWorld(folder, manifest.Component!);
        new ComponentRuntime(manifest.Id, modulePath).Compile(ComponentEngine.For(fuel: false));
    }

    private Loaded Load()
    {
        var folder = Path.GetDirectoryName(Path.GetFullPath(ComponentPath)) ?? ".";
        var manifest = ManifestReader.ReadFolder(folder)
            ?? throw new PluginLoadException($"{folder}: a component plugin needs a manifest with a 'component' block (docs/components.md)", folder);
        var declaration = manifest.Component
            ?? throw new PluginLoadException($"{manifest.SourcePath}: the manifest has no 'component' block, so '{ComponentPath}' is not run as a component", manifest.SourcePath, field: "$.component");
        var world = WitFiles.LoadWorld(folder, declaration);
        var engine = ComponentEngine.For(Options.Fuel is not null || manifest.Limits.Fuel is not null);
        var component = Compile(engine);
        var exports = new Dictionary<string, ExportTarget>(StringComparer.Ordinal);
        foreach (var f in world.ExportedFunctions) exports[f.Name] = new ExportTarget(null, f);
        foreach (var i in world.ExportedInterfaces)
        {
            foreach (var f in i.Functions) exports[i.Name + "." + f.Name] = new ExportTarget(i, f);
        }
        return new Loaded(manifest, world, engine, component, exports, EffectiveLimits.Resolve(Options, manifest.Limits));
    }

    private Component Compile(ComponentEngine engine)
    {
        var path = ComponentPath;
        byte[] bytes;
        try
        {
            var length = new FileInfo(path).Length;
            var max = Options.ModuleLimits.MaxModuleBytes;
            if (length > max) throw new PluginLoadException($"{path}: the component is {length} bytes; ModuleLimits.MaxModuleBytes allows {max}", path);
            bytes = File.ReadAllBytes(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new PluginLoadException($"{path}: cannot read the component: {ex.Message}", path, innerException: ex);
        }
        if (bytes.Length >= 8 && bytes.AsSpan(0, 4).SequenceEqual("\0asm"u8) && bytes[4] == 1 && bytes[5] == 0 && bytes[6] == 0 && bytes[7] == 0)
        {
            throw new PluginLoadException($"{path}: the manifest declares a component (world '{_loaded?.World.Name}'), but the file is a core WebAssembly module, not a component", path, field: "$.component");
        }
        try
        {
            var component = ComponentCache.Load(engine, path, bytes, Options, Logger, () => ModuleFile.IsText(path)
                ? Component.FromText(engine.Engine, System.Text.Encoding.UTF8.GetString(bytes))
                : Component.FromBytes(engine.Engine, bytes), out var source);
            ComponentSource = source;
            return component;
        }
        catch (WasmtimeException ex)
        {
            var text = WasmEngine.FirstLine(ex.Message);
            if (text.Contains("failed to parse WebAssembly module", StringComparison.Ordinal) || text.Contains("expected `component`", StringComparison.Ordinal))
            {
                text = "the manifest declares a component, but the file is a core WebAssembly module (" + text + ")";
            }
            throw new PluginLoadException($"{path}: not a valid WebAssembly component: {text}", path, innerException: ex);
        }
    }

    private Live Instantiate(Loaded loaded)
    {
        var engine = loaded.Engine;
        var store = new Store(engine.Engine);
        var linker = new ComponentLinker(engine.Engine);
        try
        {
            var limits = loaded.Limits;
            // memorySize caps each memory; a component holds several core instances, tables and memories, so those are bounded too.
            store.SetLimits(memorySize: limits.MemoryBytes, tableElements: limits.TableElements, instances: 64, tables: 64, memories: 16);
            store.SetWasiConfiguration((Options.Wasi ?? new WasiGrants()).ToConfiguration());
            var guard = new CallGuard(store, limits.Timeout, engine.FuelEnabled ? limits.Fuel : null);
            linker.AddWasiPreview2();
            DefineImports(linker, loaded.World);
            guard.Arm(CancellationToken.None);
            engine.Ticker.Acquire();
            ComponentInstance instance;
            try
            {
                instance = linker.Instantiate(store, loaded.Component);
            }
            catch (WasmtimeException ex)
            {
                engine.Ticker.Release();
                throw new PluginLoadException($"{ComponentPath}: cannot instantiate the component: {WasmEngine.FirstLine(ex.Message)}", ComponentPath, innerException: ex);
            }
            finally
            {
                guard.Disarm();
            }
            var functions = new Dictionary<string, ComponentFunction>(StringComparer.Ordinal);
            try
            {
                foreach (var (name, export) in loaded.Exports)
                {
                    var function = (export.Interface is { } i ? instance.GetFunction(i.QualifiedName, export.Function.Name) : instance.GetFunction(export.Function.Name))
                        ?? throw new PluginLoadException(
                            $"{ComponentPath}: the component does not export '{(export.Interface is { } owner ? owner.QualifiedName + "#" : "")}{export.Function.Name}' of the world '{loaded.World.Name}' — it is not a component of that world",
                            ComponentPath, field: "$.component.world");
                    if (function.ParameterCount != export.Function.Params.Count || function.HasResult != (export.Function.Result is not null))
                    {
                        throw new PluginLoadException(
                            $"{ComponentPath}: the export '{name}' takes {function.ParameterCount} parameter(s){(function.HasResult ? " and returns a value" : "")}, but the world '{loaded.World.Name}' says {export.Function.Params.Count}{(export.Function.Result is null ? "" : " and a result")}",
                            ComponentPath, field: "$.component.world");
                    }
                    functions[name] = function;
                }
            }
            catch
            {
                engine.Ticker.Release();
                throw;
            }
            return new Live(store, linker, guard, functions, engine);
        }
        catch
        {
            linker.Dispose();
            store.Dispose();
            throw;
        }
    }

    private void DefineImports(ComponentLinker linker, WitWorld world)
    {
        Dictionary<string, ComponentFunctionCallback> defined;
        lock (_importsLock) defined = new(_imports, StringComparer.Ordinal);
        using var root = linker.Root();
        foreach (var f in world.ImportedFunctions) root.DefineFunction(f.Name, Callback(f.Name, defined));
        foreach (var i in world.ImportedInterfaces)
        {
            using var nested = root.AddInstance(i.QualifiedName);
            foreach (var f in i.Functions) nested.DefineFunction(f.Name, Callback(i.Name + "." + f.Name, defined));
        }
    }

    private static ComponentFunctionCallback Callback(string name, Dictionary<string, ComponentFunctionCallback> defined) =>
        defined.TryGetValue(name, out var callback)
            ? callback
            : (_, _) => throw new ImportMissingException($"the host provides no implementation of the import '{name}'");

    private static void Release(ref Live? live)
    {
        if (live is null) return;
        live.Guard.Stop();
        live.Engine.Ticker.Release();
        live.Linker.Dispose();
        live.Store.Dispose();
        live = null;
    }

    private sealed class ImportMissingException(string message) : Exception(message);

    private sealed record ExportTarget(WitInterface? Interface, WitFunction Function);

    private sealed record Loaded(PluginManifest Manifest, WitWorld World, ComponentEngine Engine, Component Component, Dictionary<string, ExportTarget> Exports, EffectiveLimits Limits);

    private sealed record Live(Store Store, ComponentLinker Linker, CallGuard Guard, Dictionary<string, ComponentFunction> Functions, ComponentEngine Engine);
}
