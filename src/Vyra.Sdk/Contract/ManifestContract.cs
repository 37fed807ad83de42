using System;
using System.Collections.Generic;

namespace Vyra.Sdk.Contract;

/// <summary>The outcome of reading one manifest: the model (null when it cannot be used) and every problem found.</summary>
internal sealed class ManifestReadResult
{
    public ManifestReadResult(ManifestModel? model, List<ManifestProblem> problems)
    {
        Model = model;
        Problems = problems;
    }

    public ManifestModel? Model { get; }

    public List<ManifestProblem> Problems { get; }

    /// <summary>The first problem that refuses the manifest, or null when it is usable.</summary>
    public ManifestProblem? FirstError
    {
        get
        {
            foreach (var problem in Problems)
            {
                if (!problem.IsWarning) return problem;
            }
            return null;
        }
    }
}

/// <summary>
/// The one entry point to VYRA's manifest contract, compiled into the kernel and into the generator (docs/manifest.md,
/// "One contract"): the same text gives the same model, the same problems and the same messages in both. Reading is
/// bounded (size, nesting depth; YAML anchors and aliases are refused, so nothing expands), so a hostile manifest costs
/// at most <see cref="MaxChars"/> characters of work.
/// </summary>
internal static class ManifestContract
{
    /// <summary>Upstream's manifest file name.</summary>
    public const string YamlFileName = "manifest.yaml";

    /// <summary>VYRA's older manifest file name.</summary>
    public const string JsonFileName = "metadata.json";

    /// <summary>
    /// The largest manifest read: 1 MiB. Real manifests are a few KiB; the kernel refuses a larger file before reading
    /// it, and the generator refuses a larger text, with the same message.
    /// </summary>
    public const int MaxBytes = 1 << 20;

    /// <summary>The same bound in characters (a character is at least one UTF-8 byte).</summary>
    public const int MaxChars = MaxBytes;

    /// <summary>The format of a file, by its name: <c>.yaml</c> or <c>.yml</c> (upstream's <c>manifest.yaml</c>) is YAML, anything else JSON.</summary>
    public static ManifestFormat FormatOf(string path)
    {
        var extension = System.IO.Path.GetExtension(path);
        return string.Equals(extension, ".yaml", StringComparison.OrdinalIgnoreCase) || string.Equals(extension, ".yml", StringComparison.OrdinalIgnoreCase)
            ? ManifestFormat.ManifestYaml
            : ManifestFormat.MetadataJson;
    }

    /// <summary>The message for a manifest over <see cref="MaxBytes"/>.</summary>
    public static string TooLargeMessage(long size) =>
        $"the manifest is {size} bytes; manifests may be at most {MaxBytes} bytes";

    /// <summary>Parses and checks <paramref name="text"/> as the manifest at <paramref name="path"/> (its format by name).</summary>
    public static ManifestReadResult Read(string text, string path) => Read(text, FormatOf(path));

    public static ManifestReadResult Read(string text, ManifestFormat format)
    {
        var problems = new List<ManifestProblem>();
        var syntaxCode = format == ManifestFormat.ManifestYaml ? ManifestProblemCode.InvalidYaml : ManifestProblemCode.InvalidJson;
        if (text.Length > MaxChars)
        {
            problems.Add(new ManifestProblem(syntaxCode, TooLargeMessage(text.Length), new SourceSpan(0, 0), "$"));
            return new ManifestReadResult(null, problems);
        }
        ManifestNode root;
        try
        {
            root = format == ManifestFormat.ManifestYaml ? ManifestYamlReader.Parse(text) : ManifestJsonReader.Parse(text);
        }
        catch (ManifestSyntaxException ex)
        {
            var what = format == ManifestFormat.ManifestYaml ? (ex.Unsupported ? "unsupported YAML" : "invalid YAML") : "invalid JSON";
            problems.Add(new ManifestProblem(syntaxCode, what + ": " + ex.Message, SpanAt(text, ex.Position), "$"));
            return new ManifestReadResult(null, problems);
        }
        var model = new ManifestSchema(format, problems).Read(root);
        return new ManifestReadResult(model, problems);
    }

    private static SourceSpan SpanAt(string text, int position)
    {
        position = Math.Max(0, Math.Min(position, text.Length));
        return new SourceSpan(position, position < text.Length && text[position] is not ('\n' or '\r') ? 1 : 0);
    }
}
