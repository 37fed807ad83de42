using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Vyra.Sdk;

/// <summary>
/// The plugins in one or more VYRA pool folders (<c>&lt;pool&gt;/&lt;id&gt;/&lt;version&gt;/{logic.wasm, metadata.json}</c>).
/// Discovery validates every plugin fully — manifest, module, declared signatures, imports against the host, and the
/// manifest's <c>checksum</c> (<c>sha256:&lt;hex&gt;</c> of the module) — and keeps every problem of every plugin
/// rather than stopping at the first. Runtimes are created by id, from the highest valid version unless one is asked for.
/// </summary>
public sealed class PluginCatalog
{
    // The modules compiled while validating: held here so creating a runtime from the catalog reuses them.
    private readonly List<Wasmtime.Module> _compiled;

    private PluginCatalog(IReadOnlyList<CatalogEntry> entries, List<Wasmtime.Module> compiled, SignaturePolicy signatures)
    {
        Entries = entries;
        _compiled = compiled;
        Signatures = signatures;
    }

    /// <summary>The signature policy discovery verified with; runtimes created from the catalog verify with it again at every start.</summary>
    public SignaturePolicy Signatures { get; }

    /// <summary>Every plugin version found, valid or not, sorted by id then version.</summary>
    public IReadOnlyList<CatalogEntry> Entries { get; }

    /// <summary>The entries with problems.</summary>
    public IEnumerable<CatalogEntry> Invalid => Entries.Where(e => !e.IsValid);

    /// <summary>Scans the pools. <paramref name="host"/> decides which imports count as provided (default: the built-ins).</summary>
    public static PluginCatalog Discover(IEnumerable<string> pools, IHostFunctions? host = null, ILogger? logger = null) =>
        Discover(pools, SignaturePolicy.Off, host, logger);

    /// <summary>
    /// Scans the pools and verifies each plugin's <c>signature.bin</c> under <paramref name="signatures"/>
    /// (docs/signing.md): a signature that does not verify — or none under <see cref="SignatureMode.Require"/> — is that
    /// entry's problem; an unsigned plugin under <see cref="SignatureMode.WarnUnsigned"/> is valid and logged.
    /// </summary>
    public static PluginCatalog Discover(IEnumerable<string> pools, SignaturePolicy signatures, IHostFunctions? host = null, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(signatures);
        signatures.Validate(nameof(signatures));
        logger ??= NullLogger.Instance;
        var imports = HostImportRegistry.For(host ?? new NullHostFunctions(logger), logger, registry => BusImports.Register(registry, runtime: null));
        var entries = new List<CatalogEntry>();
        var compiled = new List<Wasmtime.Module>();
        foreach (var pool in pools)
        {
            if (!System.IO.Directory.Exists(pool))
            {
                entries.Add(new CatalogEntry(Path.GetFileName(Path.TrimEndingDirectorySeparator(pool)), "", pool, null, null, [$"pool folder '{pool}' does not exist"]));
                continue;
            }
            // A folder that cannot be listed (permissions, a vanishing mount) is that plugin's problem, never the pool's.
            if (!TryList(pool, out var idDirs, out var poolProblem))
            {
                entries.Add(new CatalogEntry(Path.GetFileName(Path.TrimEndingDirectorySeparator(pool)), "", pool, null, null, [$"pool folder '{pool}' cannot be read: {poolProblem}"]));
                continue;
            }
            foreach (var idDir in idDirs)
            {
                if (!TryList(idDir, out var versionDirs, out var idProblem))
                {
                    entries.Add(new CatalogEntry(Path.GetFileName(idDir), "", idDir, null, null, [$"plugin folder '{idDir}' cannot be read: {idProblem}"]));
                    continue;
                }
                foreach (var versionDir in versionDirs)
                {
                    entries.Add(InspectContained(Path.GetFileName(idDir), Path.GetFileName(versionDir), versionDir, imports, compiled, signatures, logger));
                }
            }
        }
        // A stable order: by id, then version; the same id and version in two pools keeps the pools' order, so the
        // first pool listed wins deterministically.
        entries = [.. entries.Select((entry, index) => (entry, index))
            .OrderBy(x => x.entry.Id, StringComparer.Ordinal)
            .ThenBy(x => x.entry, Comparer<CatalogEntry>.Create(Compare))
            .ThenBy(x => x.index)
            .Select(x => x.entry)];
        return new PluginCatalog(entries, compiled, signatures);
    }

    /// <summary>Scans the pools (convenience overload).</summary>
    public static PluginCatalog Discover(params string[] pools) => Discover((IEnumerable<string>)pools);

    /// <summary>The runnable entry of <paramref name="id"/>: the asked <paramref name="version"/>, or the highest one (frontend-only entries are never picked).</summary>
    public CatalogEntry? Find(string id, string? version = null) =>
        Entries.Where(e => e.Id == id && e.CanRun && (version is null || e.Version == version))
               .OrderByDescending(e => e, Comparer<CatalogEntry>.Create(Compare))
               .FirstOrDefault(); // OrderByDescending is stable: among equal versions the first pool listed wins

    /// <summary>Creates a runtime for a plugin by id (and version); a missing or invalid plugin is a <see cref="PluginLoadException"/> saying why.</summary>
    public PluginRuntime CreateRuntime(string id, string? version = null, IHostFunctions? host = null,
        IReadOnlyDictionary<string, object?>? initialState = null, PluginRuntimeOptions? options = null)
    {
        var entry = Find(id, version);
        if (entry is null)
        {
            var known = Entries.Where(e => e.Id == id && (version is null || e.Version == version)).ToList();
            var why = known.Count == 0
                ? $"no plugin '{id}'{(version is null ? "" : $" version {version}")} in the catalog"
                : known.All(e => e.IsFrontendOnly)
                ? $"plugin '{id}' is frontend-only: its manifest has no backend entry point, so there is nothing to run"
                : $"plugin '{id}' has no valid version: " + string.Join("; ", known.Select(e => $"{e.Version}: {string.Join(", ", e.Problems)}"));
            throw new PluginLoadException(why);
        }
        if (entry.ModulePath is null) return new ServiceExportRuntime(id, entry.Directory, host, options);
        // A manifest with a component block runs as a component (docs/components.md).
        if (entry.Manifest?.Component is not null) return new ComponentRuntime(id, entry.ModulePath, host, options);
        return new WasmRuntime(id, entry.ModulePath, host, initialState, options) { DiscoveredSignatures = Signatures };
    }

    private static int Compare(CatalogEntry a, CatalogEntry b)
    {
        var (x, y) = (a.SemanticVersion, b.SemanticVersion);
        if (x is not null && y is not null) return x.CompareTo(y);
        if (x is not null) return 1;
        if (y is not null) return -1;
        return string.CompareOrdinal(a.Version, b.Version);
    }

    /// <summary>One plugin's inspection: whatever it throws is that plugin's problem, so one bad folder costs no other.</summary>
    private static CatalogEntry InspectContained(string id, string version, string directory, HostImportRegistry imports, List<Wasmtime.Module> compiled,
        SignaturePolicy signatures, ILogger logger)
    {
        try
        {
            return Inspect(id, version, directory, imports, compiled, signatures, logger);
        }
        catch (Exception ex) when (ex is not (OutOfMemoryException or StackOverflowException))
        {
            return new CatalogEntry(id, version, directory, null, null, [$"the plugin folder cannot be inspected: {ex.GetType().Name}: {ex.Message}"]);
        }
    }

    private static bool TryList(string folder, out List<string> subfolders, out string? problem)
    {
        try
        {
            subfolders = [.. System.IO.Directory.EnumerateDirectories(folder)];
            problem = null;
            return true;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            subfolders = [];
            problem = ex.Message;
            return false;
        }
    }

    private static CatalogEntry Inspect(string id, string version, string directory, HostImportRegistry imports, List<Wasmtime.Module> compiled,
        SignaturePolicy signatures, ILogger logger)
    {
        var problems = new List<string>();
        PluginManifest? manifest = null;
        try
        {
            manifest = ManifestReader.ReadFolder(directory);
            if (manifest is null) problems.Add($"no {ManifestReader.YamlFileName} or {ManifestReader.FileName}");
            else
            {
                if (manifest.Id != id) problems.Add($"the manifest's id '{manifest.Id}' differs from the folder name '{id}'");
                if (manifest.Version is { } v && v != version) problems.Add($"the manifest's version '{v}' differs from the folder name '{version}'");
            }
        }
        catch (PluginLoadException ex)
        {
            problems.Add(ex.Message);
        }
        if (SemanticVersion.TryParse(version) is null) problems.Add($"the version folder '{version}' is not a semantic version");

        var modulePath = ModuleFile.InFolder(directory);
        if (modulePath is null && manifest is { HasBackend: false }) { }
        else if (modulePath is null && manifest is { ServiceExports.Count: > 0 }) { } // service-export mode (VYRA §5): the services are resolved at start
        else if (modulePath is null) problems.Add("no logic.wasm (or logic.wat)");
        else if (manifest?.Component is not null)
        {
            if (ModuleChecksum.Mismatch(manifest, modulePath) is { } mismatch) problems.Add(mismatch);
            try
            {
                PluginSignatures.Check(directory, modulePath, signatures, logger, id);
                ComponentRuntime.Validate(directory, manifest, modulePath);
            }
            catch (PluginLoadException ex)
            {
                problems.Add(ex.Message);
            }
        }
        else if (ModuleFile.WhyNotAModule(modulePath) is { } notModule) problems.Add(notModule);
        else
        {
            if (ModuleChecksum.Mismatch(manifest, modulePath) is { } mismatch) problems.Add(mismatch);
            try
            {
                PluginSignatures.Check(directory, modulePath, signatures, logger, id);
            }
            catch (PluginLoadException ex)
            {
                problems.Add(ex.Message);
            }
            try
            {
                var module = WasmEngine.For(fuel: false).LoadModule(modulePath, cacheDirectory: null, out _);
                compiled.Add(module);
                ModuleContract.Check(manifest, module, modulePath, imports);
            }
            catch (PluginLoadException ex)
            {
                problems.Add(ex.Message);
            }
        }
        return new CatalogEntry(id, version, directory, modulePath, manifest, problems);
    }
}
