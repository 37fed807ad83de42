using Vyra.Sdk;

namespace Vyra.Cli.Infrastructure;

/// <summary>
/// Where a plugin given on the command line lives: a module file (<c>logic.wasm</c>/<c>logic.wat</c> or any
/// <c>.wasm</c>/<c>.wat</c>), a version folder holding one, or an id folder whose highest semver subfolder holds one.
/// </summary>
internal sealed record PluginLocation(string Directory, string ModulePath, string ManifestPath, string FallbackId)
{
    public bool HasManifest => File.Exists(ManifestPath);

    public static PluginLocation Resolve(string path)
    {
        if (string.IsNullOrWhiteSpace(path)) throw new UsageException("no plugin path was given");
        var full = Path.GetFullPath(path);
        if (File.Exists(full))
        {
            var dir = Path.GetDirectoryName(full)!;
            return new PluginLocation(dir, full, ManifestPathIn(dir), IdFromFolder(dir));
        }
        if (!System.IO.Directory.Exists(full)) throw new UsageException($"no plugin file or folder at '{path}'");

        var folder = full;
        if (FindModule(folder) is null && !File.Exists(ManifestPathIn(folder)))
        {
            // An id folder of a pool: take its highest version.
            var best = System.IO.Directory.EnumerateDirectories(folder)
                .Select(d => (Dir: d, Version: SemanticVersion.TryParse(Path.GetFileName(d))))
                .Where(x => x.Version is not null && FindModule(x.Dir) is not null)
                .OrderByDescending(x => x.Version)
                .FirstOrDefault();
            if (best.Dir is null) throw new UsageException($"'{path}' holds no logic.wasm or logic.wat (nor a version folder with one)");
            folder = best.Dir;
        }
        var module = FindModule(folder) ?? throw new UsageException($"'{path}' holds no logic.wasm or logic.wat");
        return new PluginLocation(folder, module, ManifestPathIn(folder), IdFromFolder(folder));
    }

    /// <summary>The manifest the runtime reads in a folder: upstream's manifest.yaml when present, else metadata.json.</summary>
    private static string ManifestPathIn(string folder)
    {
        var yaml = Path.Combine(folder, ManifestReader.YamlFileName);
        return File.Exists(yaml) ? yaml : Path.Combine(folder, ManifestReader.FileName);
    }

    /// <summary>True when the folder holds both manifests (the runtime reads the YAML and checks the JSON agrees).</summary>
    public bool HasBothManifests =>
        File.Exists(Path.Combine(Directory, ManifestReader.YamlFileName)) && File.Exists(Path.Combine(Directory, ManifestReader.FileName));

    /// <summary>The id to run the plugin under: the manifest's when it can be read, else the folder's.</summary>
    public string ReadId()
    {
        if (!HasManifest) return FallbackId;
        try
        {
            return (ManifestReader.ReadFolder(Directory) ?? ManifestReader.ReadFile(ManifestPath)).Id;
        }
        catch (PluginLoadException)
        {
            return FallbackId;
        }
    }

    private static string? FindModule(string dir) => ModuleFile.InFolder(dir);

    /// <summary><c>&lt;pool&gt;/&lt;id&gt;/&lt;version&gt;</c>: the id folder's name; otherwise the folder's own name.</summary>
    private static string IdFromFolder(string dir)
    {
        var name = Path.GetFileName(Path.TrimEndingDirectorySeparator(dir));
        if (SemanticVersion.TryParse(name) is not null)
        {
            var parent = Path.GetFileName(Path.GetDirectoryName(Path.TrimEndingDirectorySeparator(dir)) ?? "");
            if (!string.IsNullOrEmpty(parent)) return parent;
        }
        return string.IsNullOrEmpty(name) ? "plugin" : name;
    }
}
