using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Nodes;
using Vyra.Cli.Infrastructure;
using Vyra.Sdk;

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
        var json = JsonMode.CreateOption();
        var command = new Command("convert", "Write a plugin manifest in the other format: metadata.json → manifest.yaml (upstream shape, exports under " +
            "entry_points.backend.exports) or manifest.yaml → metadata.json; 1 when it cannot be written (output exists, " +
            "extension types into YAML), 3 when the source manifest is invalid. " + ExitCodes.SeeTable)
        {
            source, to, output, force, json,
        };
        command.SetAction((result, _) => CommandRunner.RunAsync(() => Task.FromResult(
            Run(result.GetRequiredValue(source), result.GetValue(to), result.GetValue(output), result.GetValue(force), result.GetValue(json))), result.GetValue(json)));
        return command;
    }

    private static int Run(string sourceArg, string? to, string? outputArg, bool force, bool json)
    {
        var (sourcePath, sourceIsYaml) = ResolveSource(sourceArg, to);
        var targetIsYaml = to is null ? !sourceIsYaml : to == "yaml";
        if (targetIsYaml == sourceIsYaml)
        {
            throw new UsageException($"'{sourcePath}' is already {(sourceIsYaml ? "YAML" : "JSON")}; --to {(sourceIsYaml ? "json" : "yaml")} converts it");
        }

        var manifest = ManifestReader.ReadFile(sourcePath);
        // The model keeps of entry_points what the runtime acts on; the other keys (frontend, backend file ...) are
        // carried over from the source as written.
        var entryPoints = manifest.EntryPoints is { } written ? JsonNode.Parse(written.GetRawText()) as JsonObject : null;
        string text;
        try
        {
            text = targetIsYaml
                ? ManifestWriter.ToYaml(manifest, entryPoints, Path.GetFileName(sourcePath))
                : ManifestWriter.ToJson(manifest, entryPoints);
        }
        catch (ConversionException ex)
        {
            throw new CommandFailedException(ex.Message);
        }

        var targetName = targetIsYaml ? ManifestReader.YamlFileName : ManifestReader.FileName;
        var notes = new List<string>();
        var report = new Dictionary<string, object?>
        {
            ["source"] = sourcePath,
            ["from"] = sourceIsYaml ? "yaml" : "json",
            ["to"] = targetIsYaml ? "yaml" : "json",
            ["output"] = null,
            ["notes"] = notes,
        };
        if (outputArg == "-")
        {
            // With --json the text travels inside the document; stdout must stay one JSON value.
            if (json)
            {
                report["text"] = text;
                JsonMode.Write(report);
            }
            else
            {
                Console.Out.Write(text);
            }
            return ExitCodes.Ok;
        }
        var target = outputArg is null
            ? Path.Combine(Path.GetDirectoryName(sourcePath)!, targetName)
            : Directory.Exists(outputArg) ? Path.Combine(outputArg, targetName) : Path.GetFullPath(outputArg);
        if (File.Exists(target) && !force) throw new CommandFailedException($"{target} exists; --force overwrites it");
        if (Path.GetDirectoryName(target) is { Length: > 0 } dir) Directory.CreateDirectory(dir);
        File.WriteAllText(target, text);
        if (targetIsYaml && File.Exists(Path.Combine(Path.GetDirectoryName(target)!, ManifestReader.FileName)))
        {
            notes.Add("the folder now has both files; the runtime reads manifest.yaml and fails a start when their exports disagree");
        }
        if (json)
        {
            report["output"] = target;
            JsonMode.Write(report);
            return ExitCodes.Ok;
        }
        Console.Out.WriteLine($"wrote {target} from {sourcePath}");
        foreach (var note in notes) Console.Out.WriteLine($"note: {note}");
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
        var yaml = Path.Combine(full, ManifestReader.YamlFileName);
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
                _ => throw new UsageException($"'{arg}' holds both {ManifestReader.YamlFileName} and {ManifestReader.FileName}; say --to json or --to yaml"),
            };
        }
        if (hasYaml) return (yaml, true);
        if (hasJson) return (json, false);
        throw new UsageException($"'{arg}' holds neither {ManifestReader.FileName} nor {ManifestReader.YamlFileName}");
    }
}
