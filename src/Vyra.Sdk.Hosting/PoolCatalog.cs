using Microsoft.Extensions.Logging;

namespace Vyra.Sdk.Hosting;

/// <summary>
/// The catalog as the host uses it: discovered so that one bad pool cannot abort the host, indexed by id once (lookups
/// stay cheap with thousands of versions), with pool-level problems (a missing or unreadable pool) kept apart from
/// plugins, and one deterministic choice per id: the highest valid version, and for the same version in several pools
/// the copy in the first pool listed.
/// </summary>
internal sealed class PoolCatalog
{
    private readonly Dictionary<string, CatalogEntry[]> _byId;

    private PoolCatalog(PluginCatalog catalog, IReadOnlyList<string> pools, IReadOnlyDictionary<string, Exception> poolFailures, ILogger logger)
    {
        Catalog = catalog;
        PoolFailures = poolFailures;
        var poolIndex = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < pools.Count; i++) poolIndex.TryAdd(pools[i], i);

        var plugins = new List<CatalogEntry>();
        var problems = new List<string>();
        foreach (var entry in catalog.Entries)
        {
            // The catalog reports a missing pool as an entry whose folder is the pool itself: not a plugin.
            if (poolIndex.ContainsKey(entry.Directory)) problems.AddRange(entry.Problems);
            else plugins.Add(entry);
        }
        foreach (var (pool, failure) in poolFailures) problems.Add($"pool folder '{pool}' cannot be read: {failure.Message}");
        Plugins = plugins;
        PoolProblems = problems;

        int PoolOf(CatalogEntry e) =>
            Path.GetDirectoryName(Path.GetDirectoryName(e.Directory)) is { } pool && poolIndex.TryGetValue(pool, out var index) ? index : int.MaxValue;

        // OrderBy is stable and the keys are total: the order no longer depends on the catalog's sort.
        _byId = plugins
            .GroupBy(e => e.Id, StringComparer.OrdinalIgnoreCase)
            .ToDictionary(
                g => g.Key,
                g => g.Select(e => (Entry: e, Version: e.SemanticVersion, Pool: PoolOf(e)))
                      .OrderByDescending(x => x.Version is not null)
                      .ThenByDescending(x => x.Version)
                      .ThenByDescending(x => x.Version is null ? x.Entry.Version : "", StringComparer.Ordinal)
                      .ThenBy(x => x.Pool)
                      .ThenBy(x => x.Entry.Directory, StringComparer.Ordinal)
                      .Select(x => x.Entry)
                      .ToArray(),
                StringComparer.OrdinalIgnoreCase);

        foreach (var versions in _byId.Values)
        {
            foreach (var same in versions.GroupBy(e => e.Version, StringComparer.Ordinal).Where(g => g.Count() > 1))
            {
                var copies = same.ToList();
                var used = copies.FirstOrDefault(e => e.IsValid) ?? copies[0];
                logger.LogWarning("Plugin {PluginId} {Version} is in more than one pool: {Used} is used (the first pool listed wins), {Ignored} ignored",
                    used.Id, used.Version, used.Directory, string.Join(", ", copies.Where(e => !ReferenceEquals(e, used)).Select(e => e.Directory)));
            }
        }
    }

    /// <summary>The kernel's catalog (every entry, pool problems included).</summary>
    public PluginCatalog Catalog { get; }

    /// <summary>Plugin versions only: no entries standing for a missing pool.</summary>
    public IReadOnlyList<CatalogEntry> Plugins { get; }

    /// <summary>Why pools contribute nothing: missing, or unreadable.</summary>
    public IReadOnlyList<string> PoolProblems { get; }

    /// <summary>Pools whose discovery threw, with the exception.</summary>
    public IReadOnlyDictionary<string, Exception> PoolFailures { get; }

    /// <summary>The ids, as the pools spell them.</summary>
    public IEnumerable<string> Ids => _byId.Values.Select(v => v[0].Id);

    public bool Contains(string id) => _byId.ContainsKey(id);

    /// <summary>Every version of <paramref name="id"/>, best first.</summary>
    public IReadOnlyList<CatalogEntry> Versions(string id) => _byId.TryGetValue(id, out var versions) ? versions : [];

    /// <summary>The valid entry to run: the asked version or the highest, from the first pool that has it.</summary>
    public CatalogEntry? Find(string id, string? version) =>
        Versions(id).FirstOrDefault(e => e.IsValid && (version is null || e.Version == version));

    /// <summary>
    /// Discovers the pools. When discovery throws (an unreadable folder, say), each pool is tried alone, the failing ones
    /// are set aside with their exception and the rest is discovered again: the host decides, by FailOnStartError, what a
    /// pool failure means.
    /// </summary>
    public static PoolCatalog Discover(IReadOnlyList<string> pools, IHostFunctions host, ILogger logger) =>
        Discover(pools, host, logger, PluginCatalog.Discover);

    /// <summary><see cref="Discover(IReadOnlyList{string}, IHostFunctions, ILogger)"/> with the kernel's discovery replaceable (tests make it fail).</summary>
    internal static PoolCatalog Discover(IReadOnlyList<string> pools, IHostFunctions host, ILogger logger, Func<IEnumerable<string>, IHostFunctions?, ILogger?, PluginCatalog> discover)
    {
        var failures = new Dictionary<string, Exception>(StringComparer.Ordinal);
        PluginCatalog catalog;
        try
        {
            catalog = discover(pools, host, logger);
        }
        catch (Exception whole)
        {
            var readable = new List<string>();
            foreach (var pool in pools)
            {
                try
                {
                    discover([pool], host, logger);
                    readable.Add(pool);
                }
                catch (Exception ex)
                {
                    failures[pool] = ex;
                }
            }
            try
            {
                catalog = discover(readable, host, logger);
            }
            catch (Exception)
            {
                // Fails together but not alone: report it against every pool rather than guess.
                foreach (var pool in readable) failures[pool] = whole;
                catalog = PluginCatalog.Discover([], host, logger);
            }
        }
        return new PoolCatalog(catalog, pools, failures, logger);
    }
}
