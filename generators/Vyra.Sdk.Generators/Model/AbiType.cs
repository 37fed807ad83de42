namespace Vyra.Sdk.Generators.Model;

/// <summary>
/// A <see cref="PluginValueType"/> as an element of an <see cref="EquatableArray{T}"/>, which requires
/// <see cref="System.IEquatable{T}"/>: an enum does not implement it for itself. Converts both ways implicitly.
/// </summary>
internal readonly record struct AbiType(PluginValueType Kind)
{
    public static implicit operator PluginValueType(AbiType type) => type.Kind;

    public static implicit operator AbiType(PluginValueType kind) => new(kind);

    public override string ToString() => Kind.ToString();
}
