using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Vyra.Sdk;

/// <summary>
/// The text a call carries must be valid Unicode: argument names and string values (a .NET string, or a JSON string
/// that arrived as a <see cref="JsonElement"/> or <see cref="JsonValue"/>). Checked by <see cref="PluginRuntime.CallAsync"/>
/// for every backend, so a lone surrogate or invalid UTF-8 is the caller's <see cref="PluginErrorKind.InvalidArgument"/>
/// naming the argument — never silently replaced, never a raw exception from deep inside.
/// </summary>
internal static class ArgumentText
{
    public static void Check(string pluginId, string function, IReadOnlyDictionary<string, object?> data)
    {
        foreach (var (name, value) in data)
        {
            if (name is null) continue;
            if (FirstInvalid(name) is { } at)
            {
                throw new PluginCallException(pluginId, function, $"an argument name is not valid Unicode (a lone surrogate at index {at}): '{Printable(name)}'", PluginErrorKind.InvalidArgument);
            }
            var problem = value switch
            {
                string text => FirstInvalid(text) is { } i ? $"a lone surrogate at index {i}" : null,
                JsonElement { ValueKind: JsonValueKind.String } element => JsonProblem(element),
                JsonValue node when node.TryGetValue<JsonElement>(out var element) && element.ValueKind == JsonValueKind.String => JsonProblem(element),
                JsonValue node when node.TryGetValue<string>(out var text) => FirstInvalid(text) is { } i ? $"a lone surrogate at index {i}" : null,
                _ => null,
            };
            if (problem is not null)
            {
                throw new PluginCallException(pluginId, function, $"argument '{Printable(name)}': the text is not valid Unicode ({problem})", PluginErrorKind.InvalidArgument);
            }
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

    private static string? JsonProblem(JsonElement element)
    {
        try
        {
            return FirstInvalid(element.GetString()!) is { } i ? $"a lone surrogate at index {i}" : null;
        }
        catch (InvalidOperationException ex)
        {
            return ex.Message;
        }
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
