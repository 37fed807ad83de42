using System.Runtime.CompilerServices;
using System.Text;
using Wasmtime;

namespace Vyra.Sdk;

/// <summary>
/// The <see cref="StartPreparation"/>s of each compiled module, attached to the module itself, so they go when the
/// module cache lets the module go (a changed file is a new module, hence new preparations). Per module a preparation is
/// keyed by the manifest object (by reference: the manifest cache hands out a new one when the file changes, and a
/// signature check parses its own), whether WASI is granted, whether undeclared exports are allowed, and the host's
/// signature for every name the module imports; anything else a start depends on (limits, fuel, the store) is applied per
/// start, or picks another engine and so another module. At most <see cref="PerModule"/> preparations are kept per module
/// (the oldest goes), so runtimes that each bring another host or manifest cannot grow it without bound.
/// A failed check is not kept: the next start checks again and fails the same way.
/// </summary>
internal static class StartPreparations
{
    /// <summary>Preparations kept per module.</summary>
    internal const int PerModule = 8;

    private static readonly ConditionalWeakTable<Module, Table> Tables = new();
    private static long _built;

    /// <summary>How many preparations were built in this process (tests: reuse builds none).</summary>
    internal static long Built => Interlocked.Read(ref _built);

    private sealed class Table(Module module, bool hasStart)
    {
        public readonly ModuleFacts Facts = new(module, hasStart);
        public readonly List<(PreparationKey PreparationKey, StartPreparation Preparation)> Entries = [];
    }

    private readonly record struct PreparationKey(PluginManifest? Manifest, bool Wasi, bool AllowUndeclared, string Imports)
    {
        public bool Matches(in PreparationKey other) => ReferenceEquals(Manifest, other.Manifest) && Wasi == other.Wasi
            && AllowUndeclared == other.AllowUndeclared && string.Equals(Imports, other.Imports, StringComparison.Ordinal);
    }

    private static readonly HostImportRegistry NoHost = new();

    /// <summary>
    /// The preparation for starting <paramref name="module"/> under these inputs, built (the contract check, which throws
    /// <see cref="PluginLoadException"/> when the module does not fit) the first time; concurrent starts with the same
    /// key wait for one build and share it. <paramref name="host"/> is asked only when the module imports host
    /// functions; <paramref name="contract"/> is this start's contract, with that host's handlers.
    /// </summary>
    public static StartPreparation For(WasmEngine engine, Module module, string modulePath, PluginManifest? manifest, Func<HostImportRegistry> host,
        bool wasiGranted, bool allowUndeclaredExports, out ModuleContract contract)
    {
        if (!Tables.TryGetValue(module, out var table)) table = Tables.GetValue(module, m => new Table(m, engine.MayHaveStartFunction(m)));
        var registry = table.Facts.HostImports.Length == 0 ? null : host();
        var key = new PreparationKey(manifest, wasiGranted, allowUndeclaredExports, ImportKey(table.Facts.HostImports, registry));
        StartPreparation? preparation = null;
        lock (table)
        {
            foreach (var (k, p) in table.Entries)
            {
                if (k.Matches(key))
                {
                    preparation = p;
                    break;
                }
            }
            if (preparation is null)
            {
                // Built under the module's lock: the check takes microseconds, and concurrent starts then share one.
                var checkedContract = ModuleContract.Check(manifest, module, modulePath, registry ?? NoHost, wasiGranted, allowUndeclaredExports);
                preparation = new StartPreparation(checkedContract, engine.LinkerFor(checkedContract.Imports, wasiGranted), table.Facts);
                if (table.Entries.Count >= PerModule) table.Entries.RemoveAt(0);
                table.Entries.Add((key, preparation));
                Interlocked.Increment(ref _built);
            }
        }
        contract = preparation.ContractFor(registry);
        return preparation;
    }

    /// <summary>The host's signature for every imported name ("-" when the host lacks it), in import order.</summary>
    private static string ImportKey(string[] names, HostImportRegistry? host)
    {
        if (names.Length == 0) return "";
        var key = new StringBuilder();
        foreach (var name in names)
        {
            key.Append(name).Append('(');
            if (host is not null && host.TryGet(name, out var definition))
            {
                foreach (var kind in definition.WasmParameters) key.Append((int)kind).Append(',');
                key.Append(")->(");
                foreach (var kind in definition.WasmResults) key.Append((int)kind).Append(',');
                key.Append(')');
                // A typed import is linked as a different host function than an untyped one of the same signature
                // (WasmEngine.LinkerFor): hosts of the two kinds must never share a preparation's linker.
                if (definition.Binding is not null) key.Append(" typed");
            }
            else
            {
                key.Append("-)");
            }
            key.Append('|');
        }
        return key.ToString();
    }

    /// <summary>The preparations kept for <paramref name="module"/> (tests).</summary>
    internal static int CountFor(Module module) => Tables.TryGetValue(module, out var table) ? Locked(table) : 0;

    private static int Locked(Table table)
    {
        lock (table) return table.Entries.Count;
    }
}
