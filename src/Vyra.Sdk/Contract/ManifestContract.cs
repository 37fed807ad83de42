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
        // The bound is in UTF-8 bytes, as the kernel reads files, so both sides refuse the same text.
        var bytes = text.Length > MaxChars ? text.Length : System.Text.Encoding.UTF8.GetByteCount(text);
        if (bytes > MaxBytes)
        {
            problems.Add(new ManifestProblem(syntaxCode, TooLargeMessage(bytes), new SourceSpan(0, 0), "$"));
            return new ManifestReadResult(null, problems);
        }
        if (LoneSurrogateAt(text) is { } surrogate)
        {
            problems.Add(new ManifestProblem(syntaxCode, "the text holds a lone surrogate (not valid Unicode)", new SourceSpan(surrogate, 1), "$"));
            return new ManifestReadResult(null, problems);
        }
        if (format == ManifestFormat.ManifestYaml && LoneCarriageReturnAt(text) is { } cr)
        {
            // Readers disagree on a CR without LF (PyYAML breaks the line, others do not): refused, never guessed.
            problems.Add(new ManifestProblem(syntaxCode, "invalid YAML: a carriage return without a line feed; lines must end in \n or \r\n", new SourceSpan(cr, 1), "$"));
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
        if (LoneSurrogateIn(root) is { } surrogateSpan)
        {
            // A \ud800 escape decodes to text no UTF-8 writer (or Python's json) can carry on.
            problems.Add(new ManifestProblem(syntaxCode, (format == ManifestFormat.ManifestYaml ? "invalid YAML" : "invalid JSON") + ": an escape makes a lone surrogate (not valid Unicode)", surrogateSpan, "$"));
            return new ManifestReadResult(null, problems);
        }
        var model = new ManifestSchema(format, problems).Read(root);
        return new ManifestReadResult(model, problems);
    }

    private static int? LoneSurrogateAt(string text)
    {
        for (var i = 0; i < text.Length; i++)
        {
            if (char.IsHighSurrogate(text[i]) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1])) i++;
            else if (char.IsSurrogate(text[i])) return i;
        }
        return null;
    }

    private static int? LoneCarriageReturnAt(string text)
    {
        for (var i = 0; i < text.Length; i++)
        {
            if (text[i] == '\r' && (i + 1 == text.Length || text[i + 1] != '\n')) return i;
        }
        return null;
    }

    /// <summary>The span of the first string or key (after escapes) holding a lone surrogate; iterative, any depth.</summary>
    private static SourceSpan? LoneSurrogateIn(ManifestNode root)
    {
        var pending = new Stack<ManifestNode>();
        pending.Push(root);
        while (pending.Count > 0)
        {
            var node = pending.Pop();
            if (node.Kind == NodeKind.String && LoneSurrogateAt(node.Text!) is not null) return node.Span;
            foreach (var property in node.Properties ?? new List<ManifestProperty>())
            {
                if (LoneSurrogateAt(property.Name) is not null) return property.NameSpan;
                pending.Push(property.Value);
            }
            foreach (var item in node.Items ?? new List<ManifestNode>()) pending.Push(item);
        }
        return null;
    }

    private static SourceSpan SpanAt(string text, int position)
    {
        position = Math.Max(0, Math.Min(position, text.Length));
        return new SourceSpan(position, position < text.Length && text[position] is not ('\n' or '\r') ? 1 : 0);
    }
}
