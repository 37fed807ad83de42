using System.Text.Json;
using Vyra.Sdk;

namespace Vyra.Cli.Infrastructure;

/// <summary>
/// Builds a call's data from the command line: <c>--args '{...}'</c> first, then <c>key=value</c> pairs (which win on the
/// same key). Pair values are strings — the kernel coerces them like Python's <c>int()</c>/<c>float()</c> — except for
/// arguments the manifest declares as <c>json</c>, whose value is parsed as JSON when it is valid JSON.
/// </summary>
internal static class CallArguments
{
    public static Dictionary<string, object?> Build(IEnumerable<string>? pairs, string? json, string what, PluginManifest? manifest = null, string? function = null)
    {
        var data = new Dictionary<string, object?>(StringComparer.Ordinal);
        if (!string.IsNullOrWhiteSpace(json))
        {
            foreach (var (key, value) in ParseObject(json, what)) data[key] = value;
        }
        var declared = function is null ? null : manifest?.FindExport(function)?.Args;
        foreach (var pair in pairs ?? [])
        {
            var eq = pair.IndexOf('=');
            if (pair.TrimStart().StartsWith('{'))
            {
                // Most likely the old 'call f --json {...}': --json has become the output switch.
                throw new UsageException($"'{pair}' is not key=value; give arguments as a JSON object with --args '{{...}}' (--json asks for JSON output)");
            }
            if (eq <= 0) throw new UsageException($"'{pair}' is not key=value");
            var key = pair[..eq];
            var value = pair[(eq + 1)..];
            var type = declared?.FirstOrDefault(a => a.Name == key)?.Type;
            data[key] = type == PluginValueType.Json && TryParseJson(value, out var element) ? element : value;
        }
        return data;
    }

    /// <summary>Parses a JSON object given on the command line; anything else is a usage error.</summary>
    public static Dictionary<string, object?> ParseObject(string json, string what)
    {
        JsonElement root;
        try
        {
            using var doc = JsonDocument.Parse(json, new JsonDocumentOptions { AllowTrailingCommas = true, CommentHandling = JsonCommentHandling.Skip });
            root = doc.RootElement.Clone();
        }
        catch (JsonException ex)
        {
            throw new UsageException($"{what} is not valid JSON: {ex.Message}");
        }
        if (root.ValueKind != JsonValueKind.Object) throw new UsageException($"{what} must be a JSON object, not {root.ValueKind.ToString().ToLowerInvariant()}");
        var data = new Dictionary<string, object?>(StringComparer.Ordinal);
        foreach (var property in root.EnumerateObject()) data[property.Name] = property.Value;
        return data;
    }

    private static bool TryParseJson(string text, out JsonElement element)
    {
        try
        {
            using var doc = JsonDocument.Parse(text);
            element = doc.RootElement.Clone();
            return true;
        }
        catch (JsonException)
        {
            element = default;
            return false;
        }
    }
}
