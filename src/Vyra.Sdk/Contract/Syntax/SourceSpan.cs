namespace Vyra.Sdk.Contract;

/// <summary>
/// A range of characters in a manifest's text. The contract's own type rather than Roslyn's <c>TextSpan</c>, so the
/// kernel, which has no compiler inside, can compile the same files as the generator.
/// </summary>
internal readonly struct SourceSpan
{
    public SourceSpan(int start, int length)
    {
        Start = start;
        Length = length;
    }

    public int Start { get; }

    public int Length { get; }

    public int End => Start + Length;

    public static SourceSpan FromBounds(int start, int end) => new(start, end - start);
}
