using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Vyra.Sdk;

/// <summary>
/// Reads upstream VYRA's <c>manifest.yaml</c> onto the same model as <c>metadata.json</c>: the YAML is turned into JSON
/// (plain scalars typed by the YAML 1.2 core schema) while each JSON path remembers its YAML line, so every error
/// names the line of the YAML file. The upstream schema's rules apply (required id, name, version, scope; argument
/// types i32/i64/f32/f64; exports under <c>entry_points.backend.exports</c>).
/// </summary>
public static partial class YamlManifest
{
    /// <summary>The manifest's file name in upstream's format.</summary>
    public const string FileName = "manifest.yaml";

    /// <summary>Reads and validates a <c>manifest.yaml</c>.</summary>
    public static PluginManifest ReadFile(string path)
    {
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new PluginLoadException($"{path}: cannot read the manifest: {ex.Message}", path, innerException: ex);
        }
        return Parse(text, path);
    }

    /// <summary>Parses and validates manifest YAML; <paramref name="sourcePath"/> is used in messages.</summary>
    public static PluginManifest Parse(string yaml, string sourcePath = FileName)
    {
        var lines = new Dictionary<string, int>(StringComparer.Ordinal);
        JsonNode? json;
        try
        {
            var stream = new YamlStream();
            stream.Load(new StringReader(yaml));
            json = stream.Documents.Count == 0 ? null : ToJson(stream.Documents[0].RootNode, "$", lines);
        }
        catch (YamlException ex)
        {
            var line = (int)ex.Start.Line;
            throw new PluginLoadException($"{sourcePath}({line},{ex.Start.Column}): invalid YAML: {ex.Message}", sourcePath, line, innerException: ex);
        }
        if (json is not JsonObject)
        {
            throw new PluginLoadException($"{sourcePath}(1): the manifest must be a mapping", sourcePath, 1, "$");
        }
        var bytes = JsonSerializer.SerializeToUtf8Bytes(json);
        return ManifestReader.Parse(bytes, sourcePath, path => lines.TryGetValue(path, out var l) ? l : null, upstream: true);
    }

    private static JsonNode? ToJson(YamlNode node, string path, Dictionary<string, int> lines)
    {
        lines[path] = (int)node.Start.Line;
        switch (node)
        {
            case YamlMappingNode mapping:
                var obj = new JsonObject();
                foreach (var (key, value) in mapping.Children)
                {
                    var name = key is YamlScalarNode { Value: { } k } ? k : throw new YamlException(key.Start, key.End, "mapping keys must be plain strings");
                    var childPath = path + "." + name;
                    if (obj.ContainsKey(name)) throw new YamlException(key.Start, key.End, $"key '{name}' appears twice");
                    obj[name] = ToJson(value, childPath, lines);
                    lines[childPath] = (int)key.Start.Line;
                }
                return obj;
            case YamlSequenceNode sequence:
                var array = new JsonArray();
                var index = 0;
                foreach (var item in sequence.Children) array.Add(ToJson(item, $"{path}[{index++}]", lines));
                return array;
            case YamlScalarNode scalar:
                return Scalar(scalar);
            default:
                throw new YamlException(node.Start, node.End, $"unsupported YAML node ({node.NodeType})");
        }
    }

    /// <summary>Plain scalars follow the YAML 1.2 core schema; quoted ones are always strings.</summary>
    private static JsonNode? Scalar(YamlScalarNode scalar)
    {
        var value = scalar.Value ?? "";
        if (scalar.Style is ScalarStyle.SingleQuoted or ScalarStyle.DoubleQuoted or ScalarStyle.Literal or ScalarStyle.Folded) return JsonValue.Create(value);
        if (value is "" or "~" or "null" or "Null" or "NULL") return null;
        if (value is "true" or "True" or "TRUE") return JsonValue.Create(true);
        if (value is "false" or "False" or "FALSE") return JsonValue.Create(false);
        if (IntPattern().IsMatch(value) && long.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var integer)) return JsonValue.Create(integer);
        if (FloatPattern().IsMatch(value) && double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var real)) return JsonValue.Create(real);
        return JsonValue.Create(value);
    }

    [GeneratedRegex(@"^[-+]?[0-9]+$")]
    private static partial Regex IntPattern();

    [GeneratedRegex(@"^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$")]
    private static partial Regex FloatPattern();
}
