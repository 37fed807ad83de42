namespace Vyra.Sdk.Generators.Model;

/// <summary>
/// A state key's default as a value, already checked against the key's type by the parser; the emitter renders it as
/// C#. <see cref="Text"/> is invariant text: an integer in canonical form, a float as the manifest wrote it,
/// <c>true</c>/<c>false</c>, the string itself, base64 for bytes, JSON text for json. Null: none given (the zero value).
/// </summary>
internal sealed record StateDefault(string? Text)
{
    /// <summary>No default in the manifest: the type's zero value (null for json).</summary>
    public static readonly StateDefault Zero = new((string?)null);
}
