using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Vyra.Cli.Infrastructure;
using Vyra.Sdk;
using YamlDotNet.RepresentationModel;

namespace Vyra.Cli.Commands;

/// <summary>
/// <c>vyra convert &lt;plugin-dir|file&gt; [--to json|yaml] [--output path] [--force]</c>: writes a plugin's manifest in the
/// other format, through the kernel's model (the source is read and validated exactly as the runtime reads it).
/// </summary>
internal static class ConvertCommand
{
    public static Command Create()
    {
        var source = new Argument<string>("plugin")
        {
            Description = "A plugin version folder (holding metadata.json or manifest.yaml), or a manifest file (.json, .yaml, .yml).",
        };
        var to = new Option<string?>("--to")
        {
            Description = "Target format: json (metadata.json) or yaml (upstream manifest.yaml). Default: the other one of the source.",
        };
        to.AcceptOnlyFromAmong("json", "yaml");
        var output = new Option<string?>("--output", "-o")
        {
            Description = "Where to write: a file, a folder (the target's standard file name inside it), or - for stdout. Default: next to the source.",
        };
        var force = new Option<bool>("--force") { Description = "Overwrite an existing output file." };
        var command = new Command("convert", "Write a plugin manifest in the other format: metadata.json → manifest.yaml (upstream shape, exports under " +
            "entry_points.backend.exports) or manifest.yaml → metadata.json. Exit 0 when written, 1 when it cannot be (output exists, " +
            "extension types into YAML), 2 for usage errors, 3 when the source manifest is invalid.")
        {
            source, to, output, force,
        };
        command.SetAction((result, _) => CommandRunner.RunAsync(() => Task.FromResult(
            Run(result.GetRequiredValue(source), result.GetValue(to), result.GetValue(output), result.GetValue(force)))));
        return command;
    }

    private static int Run(string sourceArg, string? to, string? outputArg, bool force)
    {
        var (sourcePath, sourceIsYaml) = ResolveSource(sourceArg, to);
        var targetIsYaml = to is null ? !sourceIsYaml : to == "yaml";
        if (targetIsYaml == sourceIsYaml)
        {
            throw new UsageException($"'{sourcePath}' is already {(sourceIsYaml ? "YAML" : "JSON")}; --to {(sourceIsYaml ? "json" : "yaml")} converts it");
        }

        var manifest = sourceIsYaml ? YamlManifest.ReadFile(sourcePath) : ManifestReader.ReadFile(sourcePath);
        var entryPoints = sourceIsYaml ? YamlEntryPoints(sourcePath) : JsonEntryPoints(sourcePath);
        string text;
        try
        {
            text = targetIsYaml
                ? ManifestWriter.ToYaml(manifest, entryPoints, Path.GetFileName(sourcePath))
                : ManifestWriter.ToJson(manifest, entryPoints);
        }
        catch (ConversionException ex)
        {
            Console.Error.WriteLine($"error: {ex.Message}");
            return ExitCodes.Failed;
        }

        var targetName = targetIsYaml ? YamlManifest.FileName : ManifestReader.FileName;
        if (outputArg == "-")
        {
            Console.Out.Write(text);
            return ExitCodes.Ok;
        }
        var target = outputArg is null
            ? Path.Combine(Path.GetDirectoryName(sourcePath)!, targetName)
            : Directory.Exists(outputArg) ? Path.Combine(outputArg, targetName) : Path.GetFullPath(outputArg);
        if (File.Exists(target) && !force)
        {
            Console.Error.WriteLine($"error: {target} exists; --force overwrites it");
            return ExitCodes.Failed;
        }
        if (Path.GetDirectoryName(target) is { Length: > 0 } dir) Directory.CreateDirectory(dir);
        File.WriteAllText(target, text);
        Console.Out.WriteLine($"wrote {target} from {sourcePath}");
        if (targetIsYaml && File.Exists(Path.Combine(Path.GetDirectoryName(target)!, ManifestReader.FileName)))
        {
            Console.Out.WriteLine("note: the folder now has both files; the runtime reads manifest.yaml and fails a start when their exports disagree");
        }
        return ExitCodes.Ok;
    }

    /// <summary>The manifest to read and whether it is YAML: a file by its extension, a folder by what it holds.</summary>
    private static (string Path, bool IsYaml) ResolveSource(string arg, string? to)
    {
        if (string.IsNullOrWhiteSpace(arg)) throw new UsageException("no plugin folder or manifest file was given");
        var full = Path.GetFullPath(arg);
        if (File.Exists(full))
        {
            var extension = Path.GetExtension(full).ToLowerInvariant();
            return extension switch
            {
                ".json" => (full, false),
                ".yaml" or ".yml" => (full, true),
                _ => throw new UsageException($"'{arg}' is neither .json nor .yaml/.yml"),
            };
        }
        if (!Directory.Exists(full)) throw new UsageException($"no plugin folder or manifest file at '{arg}'");
        var yaml = Path.Combine(full, YamlManifest.FileName);
        var json = Path.Combine(full, ManifestReader.FileName);
        var hasYaml = File.Exists(yaml);
        var hasJson = File.Exists(json);
        if (hasYaml && hasJson)
        {
            // Both present: --to names the target, so the source is the other one.
            return to switch
            {
                "json" => (yaml, true),
                "yaml" => (json, false),
                _ => throw new UsageException($"'{arg}' holds both {YamlManifest.FileName} and {ManifestReader.FileName}; say --to json or --to yaml"),
            };
        }
        if (hasYaml) return (yaml, true);
        if (hasJson) return (json, false);
        throw new UsageException($"'{arg}' holds neither {ManifestReader.FileName} nor {YamlManifest.FileName}");
    }

    // The model keeps of entry_points only the limits and whether there is a backend; the other keys (frontend,
    // backend runtime/file ...) are carried over from the source file as they are.

    private static JsonObject? JsonEntryPoints(string path)
    {
        var root = JsonNode.Parse(File.ReadAllText(path), documentOptions: new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
        return root?["entry_points"] as JsonObject;
    }

    private static JsonObject? YamlEntryPoints(string path)
    {
        var stream = new YamlStream();
        using (var reader = new StreamReader(path)) stream.Load(reader);
        if (stream.Documents.Count == 0 || stream.Documents[0].RootNode is not YamlMappingNode root) return null;
        foreach (var (key, value) in root.Children)
        {
            if (key is YamlScalarNode { Value: "entry_points" }) return ToJson(value) as JsonObject;
        }
        return null;
    }

    /// <summary>YAML to JSON with plain scalars typed by the core schema, as the kernel's reader does.</summary>
    private static JsonNode? ToJson(YamlNode node)
    {
        switch (node)
        {
            case YamlMappingNode mapping:
                var obj = new JsonObject();
                foreach (var (key, value) in mapping.Children) obj[((YamlScalarNode)key).Value ?? ""] = ToJson(value);
                return obj;
            case YamlSequenceNode sequence:
                return new JsonArray([.. sequence.Children.Select(ToJson)]);
            case YamlScalarNode scalar:
                var text = scalar.Value ?? "";
                if (scalar.Style != YamlDotNet.Core.ScalarStyle.Plain && scalar.Style != YamlDotNet.Core.ScalarStyle.Any) return JsonValue.Create(text);
                if (text is "" or "~" or "null" or "Null" or "NULL") return null;
                if (text is "true" or "True" or "TRUE") return JsonValue.Create(true);
                if (text is "false" or "False" or "FALSE") return JsonValue.Create(false);
                if (long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var integer) && text.TrimStart('+', '-').All(char.IsAsciiDigit)) return JsonValue.Create(integer);
                if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var real) && text.All(c => char.IsAsciiDigit(c) || c is '.' or 'e' or 'E' or '+' or '-')) return JsonValue.Create(real);
                return JsonValue.Create(text);
            default:
                return null;
        }
    }
}
