using System.Collections.Generic;
using Microsoft.CodeAnalysis.Text;

namespace Vyra.Sdk.Generators.Json;

/// <summary>The kind of a <see cref="JsonValue"/>.</summary>
internal enum JsonKind
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
/// One value of a parsed JSON document with the span it covers in the source text, so every problem found later can
/// be reported at its own line and column. Only lives inside a parse step; it never reaches the pipeline's models.
/// </summary>
internal sealed class JsonValue
{
    private JsonValue(JsonKind kind, TextSpan span)
    {
        Kind = kind;
        Span = span;
    }

    public JsonKind Kind { get; }

    public TextSpan Span { get; }

    /// <summary>The decoded text of a string, or the raw text of a number.</summary>
    public string? Text { get; private set; }

    public List<JsonProperty>? Properties { get; private set; }

    public List<JsonValue>? Items { get; private set; }

    public bool IsNull => Kind == JsonKind.Null;

    public static JsonValue Scalar(JsonKind kind, TextSpan span, string? text = null) => new(kind, span) { Text = text };

    public static JsonValue Object(TextSpan span, List<JsonProperty> properties) => new(JsonKind.Object, span) { Properties = properties };

    public static JsonValue Array(TextSpan span, List<JsonValue> items) => new(JsonKind.Array, span) { Items = items };

    /// <summary>The first property called <paramref name="name"/> of an object, or null.</summary>
    public JsonProperty? Property(string name)
    {
        if (Properties is null) return null;
        foreach (var property in Properties)
        {
            if (property.Name == name) return property;
        }
        return null;
    }

    /// <summary>The value of property <paramref name="name"/>, or null when absent.</summary>
    public JsonValue? this[string name] => Property(name)?.Value;

    /// <summary>The string's text when this is a string, else null.</summary>
    public string? AsString() => Kind == JsonKind.String ? Text : null;

    /// <summary>A short description for messages: <c>a number</c>, <c>an object</c> ...</summary>
    public string Describe() => Kind switch
    {
        JsonKind.Object => "an object",
        JsonKind.Array => "a list",
        JsonKind.String => "the string \"" + Text + "\"",
        JsonKind.Number => "the number " + Text,
        JsonKind.True => "true",
        JsonKind.False => "false",
        _ => "null",
    };
}

/// <summary>A property of a JSON object: its name, the span of the name, and the value.</summary>
internal sealed class JsonProperty
{
    public JsonProperty(string name, TextSpan nameSpan, JsonValue value)
    {
        Name = name;
        NameSpan = nameSpan;
        Value = value;
    }

    public string Name { get; }

    public TextSpan NameSpan { get; }

    public JsonValue Value { get; }
}
