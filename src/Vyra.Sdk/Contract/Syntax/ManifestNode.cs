using System.Collections.Generic;

namespace Vyra.Sdk.Contract;

/// <summary>The kind of a <see cref="ManifestNode"/>.</summary>
internal enum NodeKind
{
    Object,
    Array,
    String,
    Number,
    True,
    False,
    Null,
}

/// <summary>
/// One value of a parsed manifest (JSON or YAML: both readers build this tree) with the span it covers in the source
/// text, so every problem found later can be reported at its own line and column. The kernel and the generator share
/// it (docs/manifest.md, "One contract"); in the generator it never reaches the pipeline's models.
/// </summary>
internal sealed class ManifestNode
{
    private ManifestNode(NodeKind kind, SourceSpan span)
    {
        Kind = kind;
        Span = span;
    }

    public NodeKind Kind { get; }

    public SourceSpan Span { get; }

    /// <summary>The decoded text of a string, or the raw text of a number.</summary>
    public string? Text { get; private set; }

    public List<ManifestProperty>? Properties { get; private set; }

    public List<ManifestNode>? Items { get; private set; }

    public bool IsNull => Kind == NodeKind.Null;

    public static ManifestNode Scalar(NodeKind kind, SourceSpan span, string? text = null) => new(kind, span) { Text = text };

    public static ManifestNode Object(SourceSpan span, List<ManifestProperty> properties) => new(NodeKind.Object, span) { Properties = properties };

    public static ManifestNode Array(SourceSpan span, List<ManifestNode> items) => new(NodeKind.Array, span) { Items = items };

    /// <summary>The first property called <paramref name="name"/> of an object, or null.</summary>
    public ManifestProperty? Property(string name)
    {
        if (Properties is null) return null;
        foreach (var property in Properties)
        {
            if (property.Name == name) return property;
        }
        return null;
    }

    /// <summary>The value of property <paramref name="name"/>, or null when absent.</summary>
    public ManifestNode? this[string name] => Property(name)?.Value;

    /// <summary>The string's text when this is a string, else null.</summary>
    public string? AsString() => Kind == NodeKind.String ? Text : null;

    /// <summary>A short description for messages: <c>a number</c>, <c>an object</c> ...</summary>
    // A message quotes at most a short prefix: a manifest may be a link to a secret, or a megabyte-long string.
    private static string Short(string text) => text.Length <= 40 ? text : text.Substring(0, 40) + "…";

    /// <summary>The kind alone (<c>a string</c>), for messages about a whole document, which may be someone's secret.</summary>
    public string DescribeKind() => Kind switch
    {
        NodeKind.Object => "an object",
        NodeKind.Array => "a list",
        NodeKind.String => "a string",
        NodeKind.Number => "a number",
        NodeKind.True or NodeKind.False => "a boolean",
        _ => "null",
    };

    public string Describe() => Kind switch
    {
        NodeKind.Object => "an object",
        NodeKind.Array => "a list",
        NodeKind.String => "the string \"" + Short(Text!) + "\"",
        NodeKind.Number => "the number " + Short(Text!),
        NodeKind.True => "true",
        NodeKind.False => "false",
        _ => "null",
    };
}

/// <summary>A property of a JSON object: its name, the span of the name, and the value.</summary>
internal sealed class ManifestProperty
{
    public ManifestProperty(string name, SourceSpan nameSpan, ManifestNode value)
    {
        Name = name;
        NameSpan = nameSpan;
        Value = value;
    }

    public string Name { get; }

    public SourceSpan NameSpan { get; }

    public ManifestNode Value { get; }
}
