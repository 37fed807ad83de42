using Vyra.Sdk.Wit;

namespace Vyra.Sdk;

/// <summary>
/// Reads a component plugin's <c>.wit</c> files (the manifest's <c>component.wit</c>: a folder, whose top-level
/// <c>*.wit</c> files are read in name order, or one file) and resolves its world. Bounded: at most
/// <see cref="MaxFiles"/> files and <see cref="MaxTotalBytes"/> bytes; links and paths leaving the plugin folder are refused.
/// </summary>
internal static class WitFiles
{
    public const int MaxFiles = 64;

    public const long MaxTotalBytes = 1 << 20;

    /// <summary>The world, or a <see cref="PluginLoadException"/> naming the file, line and column of the first problem.</summary>
    public static WitWorld LoadWorld(string pluginFolder, ComponentDeclaration component)
    {
        var root = Path.GetFullPath(pluginFolder);
        var target = Path.GetFullPath(Path.Combine(root, component.Wit));
        var manifestField = "$.component.wit";
        if (!target.StartsWith(root.TrimEnd(Path.DirectorySeparatorChar) + Path.DirectorySeparatorChar, StringComparison.Ordinal) && target != root)
        {
            throw new PluginLoadException($"{target}: the WIT path leaves the plugin folder", target, field: manifestField);
        }
        string[] files;
        if (Directory.Exists(target))
        {
            RefuseLink(target, manifestField);
            files = Directory.GetFiles(target, "*.wit", SearchOption.TopDirectoryOnly);
            Array.Sort(files, StringComparer.Ordinal);
        }
        else if (File.Exists(target))
        {
            files = [target];
        }
        else
        {
            throw new PluginLoadException($"{target}: the component's WIT folder or file does not exist (manifest field component.wit = '{component.Wit}')", target, field: manifestField);
        }
        if (files.Length == 0) throw new PluginLoadException($"{target}: the folder holds no .wit files", target, field: manifestField);
        if (files.Length > MaxFiles) throw new PluginLoadException($"{target}: {files.Length} .wit files; at most {MaxFiles} are read", target, field: manifestField);
        var sources = new List<KeyValuePair<string, string>>();
        long total = 0;
        foreach (var file in files)
        {
            RefuseLink(file, manifestField);
            var info = new FileInfo(file);
            total += info.Length;
            if (total > MaxTotalBytes) throw new PluginLoadException($"{file}: the .wit files hold more than {MaxTotalBytes} bytes", file, field: manifestField);
            string text;
            try
            {
                text = new System.Text.UTF8Encoding(false, throwOnInvalidBytes: true).GetString(File.ReadAllBytes(file));
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or System.Text.DecoderFallbackException)
            {
                throw new PluginLoadException($"{file}: cannot read the WIT file: {ex.Message}", file, innerException: ex);
            }
            sources.Add(new(file, text.StartsWith('\uFEFF') ? text[1..] : text));
        }
        var problems = new List<WitProblem>();
        var resolver = WitResolver.Load(sources, problems);
        resolver.ResolveInterfaces();
        var world = resolver.HasProblems ? null : resolver.ResolveWorld(component.World);
        if (world is null || problems.Count > 0)
        {
            var first = problems.Count > 0 ? problems[0] : new WitProblem(WitProblemCode.Unresolved, $"world '{component.World}' is not defined", files[0], 1, 1, 0, 0);
            throw new PluginLoadException(first.ToString(), first.File, first.Line, first.Code == WitProblemCode.Unresolved && first.Message.StartsWith("world", StringComparison.Ordinal) ? "$.component.world" : null);
        }
        return world;
    }

    private static void RefuseLink(string path, string field)
    {
        if (new FileInfo(path).LinkTarget is not null)
        {
            throw new PluginLoadException($"{path}: a link; WIT files must be plain files inside the plugin folder", path, field: field);
        }
    }
}
