namespace Vyra.Sdk;

/// <summary>
/// Marks a method of a <c>partial</c> <see cref="BaseHostFunctions"/> subclass as a wasm host import under
/// <see cref="Name"/>. Methods named <c>host_*</c> need no attribute; the generator binds them by their own name.
/// </summary>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = false, Inherited = false)]
public sealed class HostImportAttribute(string name) : Attribute
{
    /// <summary>The import name the guest uses.</summary>
    public string Name { get; } = name;
}
