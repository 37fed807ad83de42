using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Vyra.Sdk;

/// <summary>
/// The text a call carries must be valid Unicode: argument names, string values, and every string and property name
/// inside a <see cref="JsonElement"/> or <see cref="JsonNode"/> value (other .NET objects given for a json argument are
/// serialized by System.Text.Json, which writes a lone surrogate as U+FFFD). Checked by <see cref="PluginRuntime.CallAsync"/>
/// for every backend, so a lone surrogate or invalid UTF-8 is the caller's <see cref="PluginErrorKind.InvalidArgument"/>
/// naming the argument — never silently replaced, never a raw exception from deep inside.
/// </summary>
internal static class ArgumentText
{
    public static void Check(string pluginId, string function, IReadOnlyDictionary<string, object?> data)
    {
        // The usual argument bag, walked with its struct enumerator: through the interface the enumerator is boxed, an
        // allocation on every call.
        if (data is Dictionary<string, object?> dictionary)
        {
            foreach (var (name, value) in dictionary) CheckOne(pluginId, function, name, value);
            return;
        }
        foreach (var (name, value) in data) CheckOne(pluginId, function, name, value);
    }

    private static void CheckOne(string pluginId, string function, string? name, object? value)
    {
        if (name is null) return;
        if (FirstInvalid(name) is { } at)
        {
            throw new PluginCallException(pluginId, function, $"an argument name is not valid Unicode (a lone surrogate at index {at}): '{Printable(name)}'", PluginErrorKind.InvalidArgument);
        }
        var problem = value switch
        {
            string text => TextProblem(text),
            JsonElement element => ElementProblem(element),
            JsonNode node => NodeProblem(node),
            _ => null,
        };
        if (problem is not null)
        {
            throw new PluginCallException(pluginId, function, $"argument '{Printable(name)}': the text is not valid Unicode ({problem})", PluginErrorKind.InvalidArgument);
        }
    }

    /// <summary>The index of the first lone surrogate, or null. Text without surrogates (nearly all) costs one vectorized scan.</summary>
    private static int? FirstInvalid(string text)
    {
        var span = text.AsSpan();
        var start = span.IndexOfAnyInRange('\uD800', '\uDFFF');
        if (start < 0) return null;
        for (var i = start; i < span.Length; i++)
        {
            if (char.IsHighSurrogate(span[i]) && i + 1 < span.Length && char.IsLowSurrogate(span[i + 1])) i++;
            else if (char.IsSurrogate(span[i])) return i;
        }
        return null;
    }

    private static string? TextProblem(string text) => FirstInvalid(text) is { } i ? $"a lone surrogate at index {i}" : null;

    /// <summary>
    /// Every string and property name in a parsed JSON value (its parser checked the structure, not the text: invalid
    /// UTF-8 and lone <c>\ud800</c> escapes surface only when read). Iterative: the depth is the parser's, bounded anyway.
    /// </summary>
    private static string? ElementProblem(JsonElement root)
    {
        var pending = new Stack<JsonElement>();
        pending.Push(root);
        try
        {
            while (pending.TryPop(out var element))
            {
                switch (element.ValueKind)
                {
                    case JsonValueKind.String:
                        if (TextProblem(element.GetString()!) is { } problem) return problem;
                        break;
                    case JsonValueKind.Array:
                        foreach (var item in element.EnumerateArray()) pending.Push(item);
                        break;
                    case JsonValueKind.Object:
                        foreach (var property in element.EnumerateObject())
                        {
                            if (TextProblem(property.Name) is { } inName) return "in a property name: " + inName;
                            pending.Push(property.Value);
                        }
                        break;
                }
            }
        }
        catch (InvalidOperationException ex)
        {
            return ex.Message;
        }
        return null;
    }

    /// <summary>Every string and property name in a JSON node tree, iteratively (a tree built in code can be arbitrarily deep).</summary>
    private static string? NodeProblem(JsonNode root)
    {
        var pending = new Stack<JsonNode>();
        pending.Push(root);
        while (pending.TryPop(out var node))
        {
            switch (node)
            {
                case JsonValue value when value.TryGetValue<JsonElement>(out var element):
                    if (ElementProblem(element) is { } inElement) return inElement;
                    break;
                case JsonValue value when value.TryGetValue<string>(out var text):
                    if (TextProblem(text) is { } inText) return inText;
                    break;
                case JsonArray array:
                    foreach (var item in array)
                    {
                        if (item is not null) pending.Push(item);
                    }
                    break;
                case JsonObject obj:
                    foreach (var (key, item) in obj)
                    {
                        if (TextProblem(key) is { } inName) return "in a property name: " + inName;
                        if (item is not null) pending.Push(item);
                    }
                    break;
            }
        }
        return null;
    }

    /// <summary>A name fit for a message: lone surrogates shown as U+FFFD, at most 80 characters.</summary>
    private static string Printable(string text)
    {
        var shown = text.Length <= 80 ? text : text[..80] + "...";
        var builder = new StringBuilder(shown.Length);
        for (var i = 0; i < shown.Length; i++)
        {
            if (char.IsHighSurrogate(shown[i]) && i + 1 < shown.Length && char.IsLowSurrogate(shown[i + 1])) builder.Append(shown, i++, 2);
            else builder.Append(char.IsSurrogate(shown[i]) ? '\uFFFD' : shown[i]);
        }
        return builder.ToString();
    }
}
