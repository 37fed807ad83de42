namespace Vyra.Sdk;

/// <summary>
/// Marks a <c>partial</c> <see cref="BaseHostFunctions"/> subclass whose host import methods (named <c>host_*</c> or
/// marked <see cref="HostImportAttribute"/>) get generated wasm import bindings. The generator looks for host classes
/// by this attribute only, so it never has to inspect every class of a project; a class without it gets no bindings.
/// </summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = false, Inherited = false)]
public sealed class VyraHostAttribute : Attribute
{
}
