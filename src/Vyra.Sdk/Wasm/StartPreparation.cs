using Wasmtime;

namespace Vyra.Sdk;

/// <summary>
/// What every start of one compiled module re-did before it could instantiate, done once (Wasmtime's "instance pre" idea
/// in our terms): the contract check against the manifest and the host's import signatures, the shared linker with those
/// imports defined, and which ABI exports the module has, so an instance looks up only what exists. A start then only
/// makes a store, sets its limits, instantiates and binds. Made and cached by <see cref="StartPreparations"/>, which keys
/// it so that another manifest, host import set or WASI grant never reuses it.
/// </summary>
/// <remarks>
/// The preparation keeps the checked exports and the imported names, not the host functions of the start that made it:
/// each start gets <see cref="ContractFor"/>, a contract of its own with its own host's handlers (the key guarantees the
/// same names and signatures), so no runtime ever calls another runtime's host, and none is kept alive by the cache.
/// </remarks>
internal sealed class StartPreparation
{
    private readonly ModuleContract _checked;
    private readonly (string Module, string Name)[] _imports;
    private int _starts;

    public StartPreparation(ModuleContract checkedContract, Linker linker, ModuleFacts facts)
    {
        // Kept without the checking start's host functions: they would keep that runtime and its host alive for as
        // long as the module lives, and belong to it alone.
        _checked = checkedContract.WithImports([]);
        _imports = [.. checkedContract.Imports.Select(i => (i.ModuleName, i.Definition.Name))];
        Linker = linker;
        Facts = facts;
    }

    /// <summary>The engine's shared linker for the contract's imports (and WASI when granted).</summary>
    public Linker Linker { get; }

    /// <summary>Which ABI exports the module has (no lookup by name for what is absent).</summary>
    public ModuleFacts Facts { get; }

    /// <summary>How many starts used this preparation (tests: a preparation is reused, never rebuilt).</summary>
    public int Starts => Volatile.Read(ref _starts);

    /// <summary>A contract for one start: the checked exports, with <paramref name="host"/>'s handlers for the imports.</summary>
    public ModuleContract ContractFor(HostImportRegistry? host)
    {
        Interlocked.Increment(ref _starts);
        if (_imports.Length == 0) return _checked.WithImports([]);
        var imports = new ResolvedImport[_imports.Length];
        for (var i = 0; i < imports.Length; i++)
        {
            // The key holds every imported name's signature in this host, so the name is there with the checked signature.
            var (module, name) = _imports[i];
            if (host is null || !host.TryGet(name, out var definition))
                throw new InvalidOperationException($"host import '{name}' vanished between the preparation's key and its use");
            imports[i] = new ResolvedImport(module, definition);
        }
        return _checked.WithImports(imports);
    }
}

/// <summary>
/// What a compiled module holds that a start needs, read once per module (Wasmtime builds its import and export lists
/// afresh on every access): the host imports it asks for and which ABI exports exist.
/// </summary>
internal sealed class ModuleFacts
{
    public ModuleFacts(Module module, bool hasStart)
    {
        HasStart = hasStart;
        var hostImports = new List<string>();
        foreach (var import in module.Imports)
        {
            if (import is FunctionImport && import.ModuleName is "vyra" or "env") hostImports.Add(import.Name);
        }
        HostImports = [.. hostImports];
        foreach (var export in module.Exports)
        {
            switch (export)
            {
                case FunctionExport { Name: "_initialize" }: HasInitialize = true; break;
                case FunctionExport { Name: "vyra_alloc" }: HasAlloc = true; break;
                case FunctionExport { Name: "vyra_free" }: HasFree = true; break;
                case MemoryExport { Name: "memory" }: HasMemory = true; break;
            }
        }
    }

    /// <summary>The names of the host functions the module imports (from <c>vyra</c> or <c>env</c>), in import order.</summary>
    public string[] HostImports { get; }

    public bool HasInitialize { get; }

    /// <summary>Whether the module has a start function (true when not known: it is then instantiated under the guard).</summary>
    public bool HasStart { get; }

    public bool HasAlloc { get; }

    public bool HasFree { get; }

    public bool HasMemory { get; }
}
