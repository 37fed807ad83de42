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

    public static string Describe(Export export) => export switch
    {
        FunctionExport f => $"func    {f.Name} {WasmSignature.Format(f.Parameters, f.Results)}",
        MemoryExport m => $"memory  {m.Name} {Pages(m.Minimum, m.Maximum, m.Is64Bit)}",
        GlobalExport g => $"global  {g.Name} {(g.Mutability == Mutability.Mutable ? "mut " : "")}{WasmSignature.Format(g.Kind)}",
        TableExport t => $"table   {t.Name} {t.Minimum}..{(t.Maximum == uint.MaxValue ? "" : t.Maximum)} {t.Kind}",
        _ => $"?       {export.Name}",
    };

    public static string Describe(Import import)
    {
        var name = $"{import.ModuleName}.{import.Name}";
        return import switch
        {
            FunctionImport f => $"func    {name} {WasmSignature.Format(f.Parameters, f.Results)}",
            MemoryImport m => $"memory  {name} {Pages(m.Minimum, m.Maximum, m.Is64Bit)}",
            GlobalImport g => $"global  {name} {(g.Mutability == Mutability.Mutable ? "mut " : "")}{WasmSignature.Format(g.Kind)}",
            TableImport t => $"table   {name} {t.Kind}",
            _ => $"?       {name}",
        };
    }

    private static string Pages(long minimum, long? maximum, bool is64) =>
        $"{minimum}..{(maximum is { } max ? max.ToString(System.Globalization.CultureInfo.InvariantCulture) : "")} pages{(is64 ? " (memory64)" : "")}";

    public void Dispose() => Module.Dispose();
}
