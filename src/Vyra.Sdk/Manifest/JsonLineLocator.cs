using System.Text.Json;

namespace Vyra.Sdk;

/// <summary>
/// Finds the line of a JSON path (<c>$.exports[1].args[0].type</c>) in a document, so manifest errors found
/// after parsing can still point at the offending line. Manifests are small; a linear rescan is cheap.
/// </summary>
internal static class JsonLineLocator
{
    public static int? FindLine(ReadOnlySpan<byte> json, string path)
    {
        var reader = new Utf8JsonReader(json, new JsonReaderOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
        // One frame per open container: its path and, for arrays, the next index (-1 for objects).
        var frames = new List<(string Path, int NextIndex)>();
        string? property = null;
        try
        {
            while (reader.Read())
            {
                switch (reader.TokenType)
                {
                    case JsonTokenType.PropertyName:
                        property = reader.GetString();
                        if (Parent(frames) + "." + property == path) return LineOf(json, reader.TokenStartIndex);
                        break;
                    case JsonTokenType.EndObject:
                    case JsonTokenType.EndArray:
                        frames.RemoveAt(frames.Count - 1);
                        break;
                    default:
                        var here = NextPath(frames, property);
                        if (here == path) return LineOf(json, reader.TokenStartIndex);
                        if (reader.TokenType is JsonTokenType.StartObject) frames.Add((here, -1));
                        else if (reader.TokenType is JsonTokenType.StartArray) frames.Add((here, 0));
                        break;
                }
            }
        }
        catch (JsonException)
        {
            // The document was already parsed once; a failure here only means "line unknown".
        }
        return null;
    }

    private static string Parent(List<(string Path, int NextIndex)> frames) => frames.Count == 0 ? "$" : frames[^1].Path;

    private static string NextPath(List<(string Path, int NextIndex)> frames, string? property)
    {
        if (frames.Count == 0) return "$";
        var top = frames[^1];
        if (top.NextIndex < 0) return top.Path + "." + property;
        frames[^1] = (top.Path, top.NextIndex + 1);
        return top.Path + "[" + top.NextIndex + "]";
    }

    public static int LineOf(ReadOnlySpan<byte> json, long offset)
    {
        var end = (int)Math.Min(offset, json.Length);
        return json[..end].Count((byte)'\n') + 1;
    }

}
