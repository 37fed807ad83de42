using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Vyra.Sdk;

namespace Vyra.Cli.Infrastructure;

/// <summary>Thrown when a manifest cannot be written in the requested format (e.g. extension types into YAML).</summary>
internal sealed class ConversionException(string message) : Exception(message);

/// <summary>
/// Writes the kernel's <see cref="PluginManifest"/> as <c>metadata.json</c> (VYRA's format: exports at the top) or as
/// upstream <c>manifest.yaml</c> (exports under <c>entry_points.backend.exports</c>). Fields the model keeps in
/// <see cref="PluginManifest.Extra"/> are written as they are; <paramref name="entryPointsExtra"/> carries the keys of
/// <c>entry_points</c> the model does not hold (frontend, backend runtime/file ...), taken from the source file.
/// </summary>
internal static partial class ManifestWriter
{
    private static readonly HashSet<PluginValueType> UpstreamArgTypes = [PluginValueType.I32, PluginValueType.I64, PluginValueType.F32, PluginValueType.F64];

    // ---- metadata.json ----------------------------------------------------------------------------------------

    public static string ToJson(PluginManifest manifest, JsonObject? entryPointsExtra)
    {
        var root = new JsonObject { ["id"] = manifest.Id };
        if (manifest.Version is { } version) root["version"] = version;
        if (manifest.Name is { } name) root["name"] = name;
        if (manifest.Description is { } description) root["description"] = description;
        foreach (var (key, value) in manifest.Extra) root[key] = JsonNode.Parse(value.GetRawText());
        if (manifest.InitialState.Count > 0) root["initial_state"] = StateNode(manifest.InitialState);
        if (manifest.Imports is { } imports) root["imports"] = new JsonArray([.. imports.Select(ImportNode)]);
        if (manifest.Events is { } events) root["events"] = new JsonArray([.. events.Select(e => (JsonNode?)e)]);
        if (manifest.Exports is { } exports) root["exports"] = new JsonArray([.. exports.Select(ExportNode)]);
        if (EntryPoints(manifest, entryPointsExtra, withExports: false) is { } entryPoints) root["entry_points"] = entryPoints;
        var options = new JsonSerializerOptions { WriteIndented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
        return root.ToJsonString(options).ReplaceLineEndings("\n") + "\n";
    }

    private static JsonNode ExportNode(ExportDeclaration export)
    {
        if (export.IsLegacy) return JsonValue.Create(export.Name);
        var node = new JsonObject { ["name"] = export.Name };
        if (export.Description is { } d) node["description"] = d;
        node["args"] = ArgsNode(export.Args!);
        if (export.Returns is { } returns) node["returns"] = ReturnsNode(returns);
        return node;
    }

    private static JsonNode ImportNode(ImportDeclaration import)
    {
        if (import.Args is null && import.Returns is null) return JsonValue.Create(import.Name);
        var node = new JsonObject { ["name"] = import.Name };
        if (import.Args is { } args) node["args"] = ArgsNode(args);
        if (import.Returns is { } returns) node["returns"] = ReturnsNode(returns);
        return node;
    }

    private static JsonArray ArgsNode(IReadOnlyList<ArgDeclaration> args) =>
        new([.. args.Select(a => (JsonNode?)new JsonObject { ["name"] = a.Name, ["type"] = a.Type.ToManifestName() })]);

    private static JsonNode ReturnsNode(IReadOnlyList<PluginValueType> returns) => returns.Count switch
    {
        0 => JsonValue.Create("void"),
        1 => JsonValue.Create(returns[0].ToManifestName()),
        _ => new JsonArray([.. returns.Select(r => (JsonNode?)r.ToManifestName())]),
    };

    private static JsonObject StateNode(IReadOnlyList<StateEntry> state)
    {
        var node = new JsonObject();
        foreach (var entry in state)
        {
            if (entry.Type is null)
            {
                node[entry.Key] = entry.Default is { } plain ? JsonNode.Parse(plain.GetRawText()) : null;
                continue;
            }
            var typed = new JsonObject { ["type"] = entry.Type.Value.ToManifestName() };
            if (entry.Default is { } value) typed["default"] = JsonNode.Parse(value.GetRawText());
            node[entry.Key] = typed;
        }
        return node;
    }

    private static JsonObject? EntryPoints(PluginManifest manifest, JsonObject? extra, bool withExports)
    {
        var entryPoints = extra?.DeepClone().AsObject() ?? new JsonObject();
        if (!manifest.HasBackend)
        {
            entryPoints.Remove("backend");
            return entryPoints.Count == 0 ? null : entryPoints;
        }
        var backend = entryPoints["backend"] as JsonObject ?? new JsonObject();
        entryPoints["backend"] = backend;
        backend.Remove("runtime_limits");
        backend.Remove("exports");
        var limits = new JsonObject();
        if (manifest.Limits.MemoryMb is { } memory) limits["memory_mb"] = memory;
        if (manifest.Limits.TimeoutMs is { } timeout) limits["timeout_ms"] = timeout;
        if (manifest.Limits.Fuel is { } fuel) limits["fuel"] = fuel;
        if (manifest.Limits.CpuShares is { } shares) limits["cpu_shares"] = shares;
        if (limits.Count > 0) backend["runtime_limits"] = limits;
        if (withExports && manifest.Exports is { } exports) backend["exports"] = new JsonArray([.. exports.Select(ExportNode)]);
        // metadata.json without limits or extras needs no entry_points at all.
        return backend.Count == 0 && entryPoints.Count == 1 && !withExports ? null : entryPoints;
    }

    // ---- manifest.yaml ----------------------------------------------------------------------------------------

    /// <summary>The upstream-shaped YAML; throws <see cref="ConversionException"/> for what the upstream schema forbids.</summary>
    public static string ToYaml(PluginManifest manifest, JsonObject? entryPointsExtra, string sourceName)
    {
        var problems = new List<string>();
        foreach (var field in new[] { ("name", manifest.Name), ("version", manifest.Version), ("scope", manifest.Scope?.Type) })
        {
            if (string.IsNullOrWhiteSpace(field.Item2)) problems.Add($"the upstream schema requires '{field.Item1}', which {sourceName} does not set");
        }
        foreach (var export in manifest.Exports ?? [])
        {
            foreach (var arg in export.Args ?? [])
            {
                if (!UpstreamArgTypes.Contains(arg.Type))
                    problems.Add($"export '{export.Name}' argument '{arg.Name}' has type {arg.Type.ToManifestName()}; the upstream schema allows only i32, i64, f32, f64 as argument types (keep metadata.json for Vyra.Sdk's extension types)");
            }
        }
        foreach (var import in manifest.Imports ?? [])
        {
            foreach (var arg in import.Args ?? [])
            {
                if (!UpstreamArgTypes.Contains(arg.Type))
                    problems.Add($"import '{import.Name}' argument '{arg.Name}' has type {arg.Type.ToManifestName()}; the upstream schema allows only i32, i64, f32, f64 as argument types");
            }
        }
        if (problems.Count > 0) throw new ConversionException($"cannot write manifest.yaml from {sourceName}:\n" + string.Join("\n", problems.Select(p => "  - " + p)));

        // Upstream order: identity first, then the rest as the source had it, entry points (with the exports) last.
        var root = new JsonObject { ["id"] = manifest.Id, ["name"] = manifest.Name, ["version"] = manifest.Version };
        if (manifest.Extra.TryGetValue("scope", out var scope)) root["scope"] = JsonNode.Parse(scope.GetRawText());
        if (manifest.Description is { } description) root["description"] = description;
        foreach (var (key, value) in manifest.Extra)
        {
            if (key != "scope") root[key] = JsonNode.Parse(value.GetRawText());
        }
        if (manifest.InitialState.Count > 0) root["initial_state"] = StateNode(manifest.InitialState);
        if (manifest.Imports is { } imports) root["imports"] = new JsonArray([.. imports.Select(ImportNode)]);
        if (manifest.Events is { } events) root["events"] = new JsonArray([.. events.Select(e => (JsonNode?)e)]);
        if (EntryPoints(manifest, entryPointsExtra, withExports: true) is { } entryPoints) root["entry_points"] = entryPoints;

        var builder = new StringBuilder();
        builder.Append("# ").Append(manifest.Id).Append(": upstream VYRA manifest, written by 'vyra convert' from ").Append(sourceName).Append('\n');
        WriteMapping(root, builder, 0);
        return builder.ToString();
    }

    private static void WriteMapping(JsonObject mapping, StringBuilder builder, int indent)
    {
        foreach (var (key, value) in mapping)
        {
            builder.Append(' ', indent).Append(Scalar(key)).Append(':');
            WriteValue(value, builder, indent);
        }
    }

    /// <summary>Writes the value after "key:" or "-": inline for scalars, short flow lists and empty collections, else a nested block.</summary>
    private static void WriteValue(JsonNode? value, StringBuilder builder, int indent, bool inSequence = false)
    {
        switch (value)
        {
            case JsonObject { Count: 0 }:
                builder.Append(" {}\n");
                break;
            case JsonArray { Count: 0 }:
                builder.Append(" []\n");
                break;
            case JsonObject obj when IsArg(obj):
                builder.Append(" { name: ").Append(Scalar((string)obj["name"]!)).Append(", type: ").Append(Scalar((string)obj["type"]!)).Append(" }\n");
                break;
            case JsonObject obj:
                if (inSequence)
                {
                    // "- key: value" with the following keys aligned under the first.
                    var first = true;
                    foreach (var (key, child) in obj)
                    {
                        if (first) builder.Append(' ');
                        else builder.Append(' ', indent + 2);
                        first = false;
                        builder.Append(Scalar(key)).Append(':');
                        WriteValue(child, builder, indent + 2);
                    }
                }
                else
                {
                    builder.Append('\n');
                    WriteMapping(obj, builder, indent + 2);
                }
                break;
            case JsonArray array when array.All(i => i is JsonValue) && array.Count <= 8:
                builder.Append(" [").Append(string.Join(", ", array.Select(i => Scalar(i!)))).Append("]\n");
                break;
            case JsonArray array:
                builder.Append('\n');
                foreach (var item in array)
                {
                    builder.Append(' ', indent + 2).Append('-');
                    WriteValue(item, builder, indent + 2, inSequence: true);
                }
                break;
            default:
                builder.Append(' ').Append(Scalar(value)).Append('\n');
                break;
        }
    }

    private static bool IsArg(JsonObject obj) =>
        obj.Count == 2 && obj["name"] is JsonValue n && n.GetValueKind() == JsonValueKind.String && obj["type"] is JsonValue t && t.GetValueKind() == JsonValueKind.String;

    private static string Scalar(JsonNode? node)
    {
        if (node is null) return "null";
        return node.GetValueKind() switch
        {
            JsonValueKind.String => Scalar(node.GetValue<string>()),
            JsonValueKind.True => "true",
            JsonValueKind.False => "false",
            JsonValueKind.Null => "null",
            _ => node.ToJsonString(), // JSON numbers are YAML core-schema numbers
        };
    }

    /// <summary>A string as a plain scalar when YAML reads it back as the same string, else double-quoted.</summary>
    private static string Scalar(string text)
    {
        if (SafePlain().IsMatch(text) && !LooksTyped(text)) return text;
        var builder = new StringBuilder("\"");
        foreach (var c in text)
        {
            switch (c)
            {
                case '"': builder.Append("\\\""); break;
                case '\\': builder.Append("\\\\"); break;
                case '\n': builder.Append("\\n"); break;
                case '\r': builder.Append("\\r"); break;
                case '\t': builder.Append("\\t"); break;
                default:
                    if (char.IsControl(c) || c is '\u2028' or '\u2029' or '\u0085' or '\uFEFF') builder.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
                    else builder.Append(c);
                    break;
            }
        }
        return builder.Append('"').ToString();
    }

    /// <summary>Plain text YAML's core schema would read as null, a boolean or a number (also in other notations).</summary>
    private static bool LooksTyped(string text) =>
        text is "~" or "null" or "Null" or "NULL" or "true" or "True" or "TRUE" or "false" or "False" or "FALSE"
            or "y" or "Y" or "n" or "N" or "yes" or "Yes" or "YES" or "no" or "No" or "NO" or "on" or "On" or "ON" or "off" or "Off" or "OFF"
        || NumberLike().IsMatch(text);

    // The core schema's integers and floats (as the kernel reads them) and the other notations YAML tools know.
    [GeneratedRegex(@"^([-+]?[0-9]+|[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?|0x[0-9a-fA-F]+|0o[0-7]+|[-+]?\.(inf|Inf|INF)|\.(nan|NaN|NAN))$")]
    private static partial Regex NumberLike();

    // Letters, digits and inner punctuation that never start YAML syntax; ':', '#', ',' and brackets always get quotes.
    [GeneratedRegex(@"^[A-Za-z0-9_./(\u00A0-\uFFFF][A-Za-z0-9_ ./()<>=+\-'!?@%;^$~\u00A0-\uFFFF]*(?<![ ])$")]
    private static partial Regex SafePlain();

}
