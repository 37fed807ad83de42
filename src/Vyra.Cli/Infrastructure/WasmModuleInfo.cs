using Vyra.Sdk;
using Wasmtime;

namespace Vyra.Cli.Infrastructure;

/// <summary>
/// The real imports and exports of a module, read with Wasmtime (<see cref="Module.Imports"/>/<see cref="Module.Exports"/>).
/// The kernel's own signature helpers are internal, so the formatting lives here too.
/// </summary>
internal sealed class WasmModuleInfo : IDisposable
{
    private static readonly Lazy<Engine> SharedEngine = new(() => new Engine());

    private WasmModuleInfo(Module module) => Module = module;

    public Module Module { get; }

    /// <summary>Compiles the module (wasm or wat); a broken module throws <see cref="WasmtimeException"/>.</summary>
    public static WasmModuleInfo Load(string path)
    {
        var name = Path.GetFileName(path);
        var module = path.EndsWith(".wat", StringComparison.OrdinalIgnoreCase)
            ? Module.FromTextFile(SharedEngine.Value, path)
            : Module.FromFile(SharedEngine.Value, path);
        return new WasmModuleInfo(module);
    }

    public FunctionExport? FindFunction(string name) =>
        Module.Exports.OfType<FunctionExport>().FirstOrDefault(f => f.Name == name);

    public IEnumerable<string> DescribeExports() => Module.Exports.Select(Describe);

    public IEnumerable<string> DescribeImports() => Module.Imports.Select(i => Describe(i));

    public static string Describe(Export export) => Line(KindOf(export), export.Name, TypeOf(export));

    public static string Describe(Import import) => Line(KindOf(import), $"{import.ModuleName}.{import.Name}", TypeOf(import));

    /// <summary>An export as <c>vyra inspect --json</c> lists it: kind (func, memory, global, table), name and type.</summary>
    public static Dictionary<string, object?> Entry(Export export) =>
        new() { ["kind"] = KindOf(export), ["name"] = export.Name, ["type"] = TypeOf(export) };

    /// <summary>An import as <c>vyra inspect --json</c> lists it, with its module name apart.</summary>
    public static Dictionary<string, object?> Entry(Import import) =>
        new() { ["kind"] = KindOf(import), ["module"] = import.ModuleName, ["name"] = import.Name, ["type"] = TypeOf(import) };

    private static string Line(string kind, string name, string type) => $"{kind,-7} {name}{(type.Length == 0 ? "" : " " + type)}";

    private static string KindOf(object item) => item switch
    {
        FunctionExport or FunctionImport => "func",
        MemoryExport or MemoryImport => "memory",
        GlobalExport or GlobalImport => "global",
        TableExport or TableImport => "table",
        _ => "?",
    };

    private static string TypeOf(Export export) => export switch
    {
        FunctionExport f => WasmSignature.Format(f.Parameters, f.Results),
        MemoryExport m => Pages(m.Minimum, m.Maximum, m.Is64Bit),
        GlobalExport g => (g.Mutability == Mutability.Mutable ? "mut " : "") + WasmSignature.Format(g.Kind),
        TableExport t => $"{t.Minimum}..{(t.Maximum == uint.MaxValue ? "" : t.Maximum)} {t.Kind}",
        _ => "",
    };

    private static string TypeOf(Import import) => import switch
    {
        FunctionImport f => WasmSignature.Format(f.Parameters, f.Results),
        MemoryImport m => Pages(m.Minimum, m.Maximum, m.Is64Bit),
        GlobalImport g => (g.Mutability == Mutability.Mutable ? "mut " : "") + WasmSignature.Format(g.Kind),
        TableImport t => t.Kind.ToString(),
        _ => "",
    };

    private static string Pages(long minimum, long? maximum, bool is64) =>
        $"{minimum}..{(maximum is { } max ? max.ToString(System.Globalization.CultureInfo.InvariantCulture) : "")} pages{(is64 ? " (memory64)" : "")}";

    public void Dispose() => Module.Dispose();
}
