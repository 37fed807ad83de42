using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Text;

namespace Vyra.Sdk.Generators.Model;

/// <summary>
/// Where something is, as plain values (a <see cref="Location"/> holds a syntax tree and would defeat caching).
/// For a <c>metadata.json</c> the path is the additional file's path and the spans come from the JSON reader.
/// </summary>
internal sealed record LocationInfo(string FilePath, TextSpan Span, LinePositionSpan LineSpan)
{
    public Location ToLocation() => Location.Create(FilePath, Span, LineSpan);

    public static LocationInfo From(string path, SourceText text, TextSpan span) =>
        new(path, span, text.Lines.GetLinePositionSpan(span));

    public static LocationInfo? From(Location location)
    {
        if (location.SourceTree is null) return null;
        return new LocationInfo(location.SourceTree.FilePath, location.SourceSpan, location.GetLineSpan().Span);
    }
}
