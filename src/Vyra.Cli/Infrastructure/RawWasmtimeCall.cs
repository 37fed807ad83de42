using Vyra.Sdk;
using Wasmtime;

namespace Vyra.Cli.Infrastructure;

/// <summary>
/// The raw baseline of <c>vyra bench --compare</c>: the plugin's module loaded with Wasmtime directly — its own
/// <see cref="Engine"/> (configured as the kernel's: epoch interruption on, fuel metering on exactly when the SDK's
/// runtime meters this plugin, the same proposals off), <see cref="Store"/> and <see cref="Linker"/> — and the export
/// called through a bound typed delegate with the same prepared arguments as the typed SDK path (<see cref="ScalarCall"/>).
/// No manifest checks, no limits armed per call, no leases: what is left is Wasmtime's own cost.
/// </summary>
internal sealed class RawWasmtimeCall : IDisposable
{
    private const string WasiModule = "wasi_snapshot_preview1";

    private readonly Engine _engine;
    private readonly Store _store;

    private RawWasmtimeCall(Engine engine, Store store, Func<CancellationToken, ValueTask> call, IReadOnlyList<string> standIns)
    {
        _engine = engine;
        _store = store;
        Call = call;
        StandIns = standIns;
    }

    public Func<CancellationToken, ValueTask> Call { get; }

    /// <summary>The function imports answered by no-op stand-ins (module.name), which return zeros and do nothing.</summary>
    public IReadOnlyList<string> StandIns { get; }

    /// <summary>
    /// Loads and instantiates the module. Function imports get stand-ins that ignore their arguments and return zeros
    /// (WASI imports get Wasmtime's own WASI with nothing inherited): enough to run a scalar function that does not
    /// depend on what its host imports answer. A module that imports a memory, table or global cannot be instantiated
    /// this way and is refused (a <see cref="UsageException"/> naming the import).
    /// </summary>
    public static RawWasmtimeCall Create(string pluginId, PluginManifest? manifest, string modulePath, string function, IReadOnlyDictionary<string, object?> data, bool fuel, string instead)
    {
        using var config = WasmEngine.NewConfig(fuel);
        var engine = new Engine(config);
        Store? store = null;
        try
        {
            using var module = ModuleFile.IsText(modulePath)
                ? Module.FromTextFile(engine, modulePath)
                : Module.FromFile(engine, modulePath);
            var export = module.Exports.OfType<FunctionExport>().FirstOrDefault(f => f.Name == function)
                ?? throw new PluginCallException(pluginId, function, "the module exports no such function", PluginErrorKind.UnknownFunction);
            var scalar = ScalarCall.Prepare(pluginId, manifest, export, data, "--compare", instead);

            if (module.Imports.FirstOrDefault(i => i is not FunctionImport) is { } other)
            {
                throw new UsageException($"--compare cannot load '{function}' with raw Wasmtime: the module imports {string.Join(' ', WasmModuleInfo.Describe(other).Split(' ', StringSplitOptions.RemoveEmptyEntries))}, which only a real host provides ({instead})");
            }
            var functionImports = module.Imports.OfType<FunctionImport>().ToList();
            var wasi = functionImports.Any(i => i.ModuleName == WasiModule);
            var standIns = functionImports.Where(i => i.ModuleName != WasiModule).Select(i => $"{i.ModuleName}.{i.Name}").ToList();

            store = new Store(engine);
            // Nobody ticks this engine's epoch: the deadline only has to be set, as an epoch-interrupted store needs.
            store.SetEpochDeadline(1_000_000_000);
            // Metering costs in the compiled code, which is what must match the kernel's; refuelling per call is the
            // SDK's own work, so the raw store gets enough fuel once.
            if (fuel) store.Fuel = 1UL << 62;
            using var linker = new Linker(engine);
            if (wasi)
            {
                linker.DefineWasi();
                store.SetWasiConfiguration(new WasiConfiguration());
            }
            linker.DefineUnknownImportsAsDefaultValues(store, module);
            var instance = linker.Instantiate(store, module);
            var target = instance.GetFunction(function)
                ?? throw new UsageException($"--compare: raw Wasmtime finds no function '{function}' in the instance");
            var bound = scalar.Bind(target)
                ?? throw new UsageException($"--compare: raw Wasmtime cannot bind '{function}' as {WasmSignature.Format(export.Parameters, export.Results)}");
            var invoke = scalar.Invoke;
            var imports = standIns.Count == 0 ? "" : $"; in the raw path its imports {string.Join(", ", standIns)} are no-op stand-ins that return zeros";
            Func<CancellationToken, ValueTask> call = _ =>
            {
                try
                {
                    invoke(bound);
                }
                catch (Exception ex)
                {
                    // The SDK paths ran this call before (the warm-up checks them first), so a failure here is the raw
                    // setup's: a function that needs what its real host imports do cannot be compared this way.
                    throw new UsageException($"--compare: the raw Wasmtime call of '{function}' failed where the SDK's did not: {(ex.InnerException ?? ex).Message}{imports} ({instead})");
                }
                return ValueTask.CompletedTask;
            };
            return new RawWasmtimeCall(engine, store, call, standIns);
        }
        catch
        {
            store?.Dispose();
            engine.Dispose();
            throw;
        }
    }

    public void Dispose()
    {
        _store.Dispose();
        _engine.Dispose();
    }
}
