namespace Vyra.Sdk.Generators.Model;

/// <summary>A <c>partial</c> subclass of <c>BaseHostFunctions</c> with host import methods, as plain values.</summary>
/// <param name="Namespace">The namespace, or empty for the global namespace.</param>
/// <param name="Containers">Enclosing type declarations, outermost first (e.g. <c>partial class Outer</c>).</param>
/// <param name="Declaration">The class's own declaration head without modifiers (e.g. <c>class MyHost&lt;T&gt;</c>).</param>
internal sealed record HostClassSpec(
    string Namespace,
    EquatableArray<string> Containers,
    string Declaration,
    string MetadataName,
    EquatableArray<HostMethodSpec> Methods,
    EquatableArray<DiagnosticInfo> Diagnostics);

/// <summary>One host import method: the import name, the C# method, its ABI types and how its result is produced.</summary>
internal sealed record HostMethodSpec(
    string ImportName,
    string MethodName,
    bool IsStatic,
    EquatableArray<AbiType> Parameters,
    EquatableArray<AbiType> Results,
    HostReturnShape ReturnShape);

/// <summary>How a host method hands back its result.</summary>
internal enum HostReturnShape
{
    /// <summary>Synchronous: void or a value (a tuple for several results).</summary>
    Direct,
    /// <summary><c>Task</c> / <c>Task&lt;T&gt;</c>: waited for inside the guest call.</summary>
    Task,
    /// <summary><c>ValueTask</c> / <c>ValueTask&lt;T&gt;</c>: waited for inside the guest call.</summary>
    ValueTask,
}
