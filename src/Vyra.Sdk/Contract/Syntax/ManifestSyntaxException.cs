using System;

namespace Vyra.Sdk.Contract;

/// <summary>
/// Thrown by <see cref="ManifestJsonReader"/> and <see cref="ManifestYamlReader"/>: malformed text, text outside the
/// subset manifests use (<see cref="Unsupported"/>), or text past a reading bound (depth, size). <see cref="Position"/>
/// is the character offset where the problem starts.
/// </summary>
internal sealed class ManifestSyntaxException : Exception
{
    public ManifestSyntaxException(string message, int position, bool unsupported = false)
        : base(message)
    {
        Position = position;
        Unsupported = unsupported;
    }

    public int Position { get; }

    public bool Unsupported { get; }
}
