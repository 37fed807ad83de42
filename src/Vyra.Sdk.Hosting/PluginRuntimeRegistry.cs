using System.Diagnostics.CodeAnalysis;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Vyra.Sdk.Hosting;

/// <summary>
/// The container's <see cref="IPluginRuntimes"/>: one runtime per plugin id, created from the catalog on demand (or
/// adopted from a typed proxy), started by <see cref="StartConfiguredAsync"/> and stopped by <see cref="StopAllAsync"/>
/// (the hosted service calls both with the host's lifetime).
/// </summary>
internal sealed class PluginRuntimeRegistry : IPluginRuntimes, IAsyncDisposable, IDisposable
{
    private readonly object _gate = new();
    private readonly Dictionary<string, PluginRuntime> _byId = new(StringComparer.OrdinalIgnoreCase);
    private readonly List<(PluginRuntime Runtime, bool Owned)> _all = [];
    private readonly IServiceProvider _services;
    private readonly VyraPluginsOptions _options;
    private readonly IReadOnlyList<PluginRegistration> _registrations;
    private readonly ILoggerFactory _loggerFactory;
    private readonly ILogger _logger;
    private readonly string? _cacheDirectory;
    private readonly IServiceExportResolver _serviceExports;
    private readonly SignaturePolicy _signatures;
    private readonly Lazy<PoolCatalog> _catalog;
    private readonly HashSet<string> _startTargets = new(StringComparer.OrdinalIgnoreCase);
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, Exception> _startFailures = new(StringComparer.OrdinalIgnoreCase);
    private PluginPoolWatcher? _watcher; // with WatchPools, from the end of the host's start until its shutdown
    private volatile bool _shuttingDown;
    private Task? _shutdown;
    private bool _disposed;

    /// <summary>Creates the registry from the container (called by <c>AddVyraPlugins</c>).</summary>
    public PluginRuntimeRegistry(IServiceProvider services, IOptions<VyraPluginsOptions> options)
    {
        _services = services ?? throw new ArgumentNullException(nameof(services));
        _options = options?.Value ?? throw new ArgumentNullException(nameof(options));
        _registrations = services.GetServices<PluginRegistration>().ToList();
        _loggerFactory = services.GetService<ILoggerFactory>() ?? NullLoggerFactory.Instance;
        _logger = _loggerFactory.CreateLogger("Vyra.Sdk.Hosting");
        Host = services.GetService<IHostFunctions>() ?? new NullHostFunctions(_loggerFactory.CreateLogger<NullHostFunctions>());
        // service_exports are served by the container's keyed IVyraService registrations, unless the application
        // registered a resolver of its own.
        _serviceExports = services.GetService<IServiceExportResolver>() ?? new KeyedServiceExportResolver(services);
        var baseDirectory = VyraPluginsOptionsValidator.BaseDirectory(services);
        // The same folder listed twice (configuration and code both adding it) is scanned once.
        Pools = _options.Pools.Select(p => Path.TrimEndingDirectorySeparator(Path.GetFullPath(p, baseDirectory))).Distinct(StringComparer.Ordinal).ToList();
        _cacheDirectory = _options.CacheDirectory is { Length: > 0 } cache ? Path.GetFullPath(cache, baseDirectory) : null;
        // Validated with the options already; a key file removed since then is still a start failure naming its key.
        var signatureErrors = new List<string>();
        _signatures = _options.Signatures.ToPolicy(baseDirectory, $"{VyraPluginsOptions.SectionName}:{nameof(VyraPluginsOptions.Signatures)}", signatureErrors)
            ?? throw new OptionsValidationException(Options.DefaultName, typeof(VyraPluginsOptions), signatureErrors);
        Discoverer = (pools, host, logger) => PluginCatalog.Discover(pools, _signatures, host, logger);
        _catalog = new Lazy<PoolCatalog>(DiscoverCatalog, LazyThreadSafetyMode.ExecutionAndPublication);
    }

    /// <summary>
    /// The kernel's discovery with the configured signature policy; tests replace it (before the catalog is first used)
    /// to make a pool fail.
    /// </summary>
    internal Func<IEnumerable<string>, IHostFunctions?, ILogger?, PluginCatalog> Discoverer { get; set; }

    /// <summary>The signature policy of <c>Vyra:Plugins:Signatures</c>: discovery's, and every created runtime's.</summary>
    internal SignaturePolicy Signatures => _signatures;

    /// <inheritdoc />
    public IReadOnlyList<string> Pools { get; }

    /// <inheritdoc />
    public PluginCatalog Catalog => _catalog.Value.Catalog;

    /// <inheritdoc />
    public IReadOnlyList<CatalogEntry> Plugins => _catalog.Value.Plugins;

    /// <inheritdoc />
    public IReadOnlyList<string> PoolProblems => _catalog.Value.PoolProblems;

    /// <inheritdoc />
    public bool IsShuttingDown => _shuttingDown;

    internal PoolCatalog Pool => _catalog.Value;

    /// <inheritdoc />
    public PluginPoolWatcher? Watcher
    {
        get
        {
            lock (_gate) return _watcher;
        }
    }

    /// <inheritdoc />
    public IHostFunctions Host { get; }

    /// <inheritdoc />
    public IReadOnlyCollection<PluginRuntime> Runtimes
    {
        get
        {
            lock (_gate) return _all.Select(r => r.Runtime).ToList();
        }
    }

    /// <inheritdoc />
    public bool IsKnown(string pluginId)
    {
        ArgumentNullException.ThrowIfNull(pluginId);
        lock (_gate)
        {
            if (_byId.ContainsKey(pluginId)) return true;
        }
        return FindRegistration(pluginId) is not null || Pool.Contains(pluginId);
    }

    /// <inheritdoc />
    public bool TryGetExisting(string pluginId, [NotNullWhen(true)] out PluginRuntime? runtime)
    {
        ArgumentNullException.ThrowIfNull(pluginId);
        lock (_gate) return _byId.TryGetValue(pluginId, out runtime);
    }

    /// <inheritdoc />
    public PluginRuntime Get(string pluginId)
    {
        ArgumentException.ThrowIfNullOrEmpty(pluginId);
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (TryGetExisting(pluginId, out var existing)) return existing;

        // A typed proxy registered for the id owns the id's runtime: resolving it adopts that runtime here.
        if (FindRegistration(pluginId) is { } registration)
        {
            var proxy = _services.GetRequiredService(registration.ServiceType);
            var runtime = registration.RuntimeOf(proxy);
            if (TryGetExisting(pluginId, out existing)) return existing;
            return Adopt(runtime, owned: false);
        }

        var created = CreateContext(pluginId).CreateRuntime();
        lock (_gate)
        {
            if (_byId.TryGetValue(pluginId, out existing))
            {
                // Lost a race with another caller: keep theirs; this one was never started.
                _ = created.DisposeAsync().AsTask();
                return existing;
            }
            _byId[pluginId] = created;
            _all.Add((created, true));
            FollowIfWatched(created);
        }
        return created;
    }

    /// <inheritdoc />
    public async ValueTask<PluginRuntime> GetStartedAsync(string pluginId, CancellationToken cancellationToken = default)
    {
        var runtime = Get(pluginId);
        // Once the host stops, nothing is started again: calls then fail at once as NotStarted instead of reviving a plugin.
        if (_shuttingDown) return runtime;
        await runtime.StartAsync(cancellationToken).ConfigureAwait(false);
        return runtime;
    }

    /// <inheritdoc />
    public PluginFactoryContext CreateContext(string pluginId)
    {
        ArgumentException.ThrowIfNullOrEmpty(pluginId);
        var settings = _options.For(pluginId);
        var entry = Pool.Find(pluginId, settings.Version);
        if (entry is null) throw new PluginLoadException(WhyMissing(pluginId, settings.Version));
        var options = settings.ToRuntimeOptions(_cacheDirectory, _loggerFactory, _serviceExports, _signatures);
        return new PluginFactoryContext(entry.Id, entry, Host, options, settings.PreferStub ?? false, _services);
    }

    /// <summary>
    /// Tracks a runtime created elsewhere (a typed proxy's) so it is found by id and stopped with the others. When the id
    /// already has a runtime, the first one stays the id's runtime and this one is only stopped with the host.
    /// </summary>
    public PluginRuntime Adopt(PluginRuntime runtime) => Adopt(runtime, owned: false);

    internal PluginRuntime Adopt(PluginRuntime runtime, bool owned)
    {
        ArgumentNullException.ThrowIfNull(runtime);
        lock (_gate)
        {
            if (_all.Any(r => ReferenceEquals(r.Runtime, runtime))) return runtime;
            _all.Add((runtime, owned));
            if (_byId.TryAdd(runtime.PluginId, runtime))
            {
                FollowIfWatched(runtime);
                return runtime;
            }
        }
        _logger.LogWarning("Plugin {PluginId}: a second runtime was registered for the id; lookups by id keep the first", runtime.PluginId);
        return runtime;
    }

    /// <summary>
    /// Creates and starts what the configuration asks for: every typed proxy, the plugins with <c>AutoStart</c>, and
    /// with <see cref="VyraPluginsOptions.StartAll"/> every valid plugin of the catalog. Failures are logged with the plugin
    /// id; with <see cref="VyraPluginsOptions.FailOnStartError"/> they stop what was started and throw a
    /// <see cref="VyraPluginStartException"/>, otherwise the failed plugins stay stopped.
    /// </summary>
    public async Task StartConfiguredAsync(CancellationToken cancellationToken = default)
    {
        var targets = new List<(string Label, Func<PluginRuntime> Resolve)>();
        var ids = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (var registration in _registrations)
        {
            if (registration.PluginId is { } id)
            {
                if (ids.Add(id)) targets.Add((id, () => Get(id)));
            }
            else
            {
                targets.Add((registration.Label, () => Adopt(registration.RuntimeOf(_services.GetRequiredService(registration.ServiceType)), owned: false)));
            }
        }
        var failures = new System.Collections.Concurrent.ConcurrentDictionary<string, Exception>(StringComparer.OrdinalIgnoreCase);
        PoolCatalog pool;
        try
        {
            pool = Pool;
        }
        catch (Exception ex)
        {
            // Discovery itself failed (it catches per pool, so this is unexpected): a start failure like any other.
            _logger.LogError(ex, "The plugin catalog could not be discovered: {Reason}", ex.Message);
            failures["catalog"] = ex;
            await FinishStartAsync(failures, cancellationToken).ConfigureAwait(false);
            return;
        }
        foreach (var (folder, failure) in pool.PoolFailures)
        {
            _logger.LogError(failure, "Pool {Pool} cannot be read: {Reason}", folder, failure.Message);
            failures[$"pool {folder}"] = failure;
        }
        foreach (var id in pool.Ids)
        {
            var asked = _options.For(id).AutoStart == true;
            if (!asked && !_options.StartAll) continue;
            if (!asked && pool.Find(id, _options.For(id).Version) is null)
            {
                _logger.LogWarning("Plugin {PluginId} is not started: {Problems}", id, WhyMissing(id, _options.For(id).Version));
                continue;
            }
            if (ids.Add(id)) targets.Add((id, () => Get(id)));
        }
        foreach (var (id, settings) in _options.ById)
        {
            if (settings.AutoStart == true && ids.Add(id)) targets.Add((id, () => Get(id)));
        }

        lock (_gate)
        {
            foreach (var target in targets) _startTargets.Add(target.Label);
        }
        await Task.WhenAll(targets.Select(target => Task.Run(async () =>
        {
            using var scope = _logger.BeginScope(new Dictionary<string, object> { ["PluginId"] = target.Label });
            try
            {
                var runtime = target.Resolve();
                await runtime.StartAsync(cancellationToken).ConfigureAwait(false);
                _startFailures.TryRemove(target.Label, out _);
                _logger.LogInformation("Plugin {PluginId} started ({Backend})", runtime.PluginId, runtime.Backend);
            }
            catch (Exception ex)
            {
                // Any exception, from creation or start, is this plugin's failure: the others go on.
                _logger.LogError(ex, "Plugin {PluginId} failed to start: {Reason}", target.Label, ex.Message);
                failures[target.Label] = ex;
                _startFailures[target.Label] = ex;
            }
        }, CancellationToken.None))).ConfigureAwait(false);
        await FinishStartAsync(failures, cancellationToken).ConfigureAwait(false);
        if (_options.WatchPools) StartWatching();
    }

    /// <inheritdoc />
    public async Task<PluginSwapResult> SwapAsync(string pluginId, string? version = null, PluginSwapOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(pluginId);
        if (!TryGetExisting(pluginId, out var runtime))
        {
            throw new InvalidOperationException($"plugin '{pluginId}' has no runtime to swap yet (Get or GetStartedAsync creates it from the chosen version)");
        }
        if (runtime is not WasmRuntime wasm)
        {
            throw new InvalidOperationException($"plugin '{pluginId}' runs on the {runtime.Backend} backend; only Wasmtime runtimes can be hot-swapped");
        }
        var catalog = await Task.Run(() => PluginCatalog.Discover(Pools, _signatures, Host, _loggerFactory.CreateLogger<PluginCatalog>()), cancellationToken).ConfigureAwait(false);
        var entry = catalog.Find(runtime.PluginId, version);
        if (entry?.ModulePath is null)
        {
            var which = version is null ? "no valid version" : $"no valid version {version}";
            throw new PluginLoadException($"plugin '{runtime.PluginId}' has {which} in the pools ({string.Join(", ", Pools)})");
        }
        return await wasm.SwapAsync(entry.ModulePath, options, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Starts the pool watcher and has it follow every runtime of an id (and those created later): each is swapped to a
    /// newer valid version of its plugin when one is dropped into a pool, unless its settings pin a version.
    /// </summary>
    private void StartWatching()
    {
        var watcher = new PluginPoolWatcher(Pools, new PluginPoolWatcherOptions { Host = Host, Logger = _loggerFactory.CreateLogger<PluginPoolWatcher>() });
        watcher.SwapAttempted += (_, e) => _logger.Log(e.Result.Succeeded ? LogLevel.Information : LogLevel.Warning,
            "Plugin {PluginId}: pool version {Version} found: {SwapResult}", e.Runtime.PluginId, e.Entry.Version, e.Result.Message);
        lock (_gate)
        {
            if (_shuttingDown || _disposed || _watcher is not null) return;
            _watcher = watcher;
            foreach (var runtime in _byId.Values) FollowIfWatched(runtime);
        }
        watcher.Start();
        _logger.LogInformation("Watching the plugin pools for new versions: {Pools}", string.Join(", ", Pools));
    }

    /// <summary>Under the gate: the watcher follows <paramref name="runtime"/> when there is one and the version is not pinned.</summary>
    private void FollowIfWatched(PluginRuntime runtime)
    {
        if (_watcher is { } watcher && runtime is WasmRuntime wasm && _options.For(runtime.PluginId).Version is null) watcher.Follow(wasm);
    }

    /// <summary>Stops the watcher (a shutdown swaps nothing more); waits for a swap in progress.</summary>
    private async Task StopWatchingAsync()
    {
        PluginPoolWatcher? watcher;
        lock (_gate)
        {
            watcher = _watcher;
            _watcher = null;
        }
        if (watcher is not null) await watcher.DisposeAsync().ConfigureAwait(false);
    }

    private async Task FinishStartAsync(System.Collections.Concurrent.ConcurrentDictionary<string, Exception> failures, CancellationToken cancellationToken)
    {
        if (failures.IsEmpty) return;
        if (cancellationToken.IsCancellationRequested)
        {
            await StopAllAsync(CancellationToken.None).ConfigureAwait(false);
            cancellationToken.ThrowIfCancellationRequested();
        }
        if (_options.FailOnStartError)
        {
            await StopAllAsync(CancellationToken.None).ConfigureAwait(false);
            throw new VyraPluginStartException(new Dictionary<string, Exception>(failures, StringComparer.OrdinalIgnoreCase));
        }
        _logger.LogWarning("{Count} plugin(s) failed to start and stay stopped (FailOnStartError is false): {Plugins}",
            failures.Count, string.Join(", ", failures.Keys.Order(StringComparer.Ordinal)));
    }

    /// <summary>
    /// Called when the host begins stopping (<c>IHostApplicationLifetime.ApplicationStopping</c>), before the web server
    /// drains its requests: stops every runtime at once, which interrupts running guest code and fails queued calls,
    /// and refuses to start plugins from then on. Returns the same task when called again.
    /// </summary>
    public Task BeginShutdownAsync()
    {
        lock (_gate)
        {
            _shuttingDown = true;
            return _shutdown ??= Task.Run(async () =>
            {
                await StopWatchingAsync().ConfigureAwait(false);
                await StopAllAsync(CancellationToken.None).ConfigureAwait(false);
            });
        }
    }

    /// <summary>The plugins the host was asked to start (typed proxies, AutoStart, StartAll) and why each one failed, if it did.</summary>
    internal (IReadOnlyCollection<string> Targets, IReadOnlyDictionary<string, Exception> Failures) StartReport()
    {
        lock (_gate) return (_startTargets.ToList(), new Dictionary<string, Exception>(_startFailures, StringComparer.OrdinalIgnoreCase));
    }

    /// <summary>Stops every runtime created or adopted; failures are logged, never thrown.</summary>
    public async Task StopAllAsync(CancellationToken cancellationToken = default)
    {
        List<PluginRuntime> runtimes;
        lock (_gate) runtimes = _all.Select(r => r.Runtime).ToList();
        await Task.WhenAll(runtimes.Select(async runtime =>
        {
            try
            {
                var wasRunning = runtime.IsRunning;
                await runtime.StopAsync(cancellationToken).ConfigureAwait(false);
                if (wasRunning) _logger.LogInformation("Plugin {PluginId} stopped", runtime.PluginId);
            }
            catch (Exception ex)
            {
                _logger.LogError(ex, "Plugin {PluginId} failed to stop: {Reason}", runtime.PluginId, ex.Message);
            }
        })).ConfigureAwait(false);
    }

    /// <summary>Stops everything and disposes the runtimes the registry created (typed proxies dispose their own).</summary>
    public async ValueTask DisposeAsync()
    {
        List<PluginRuntime> owned;
        lock (_gate)
        {
            if (_disposed) return;
            _disposed = true;
            owned = _all.Where(r => r.Owned).Select(r => r.Runtime).ToList();
        }
        await StopWatchingAsync().ConfigureAwait(false);
        await StopAllAsync(CancellationToken.None).ConfigureAwait(false);
        foreach (var runtime in owned) await runtime.DisposeAsync().ConfigureAwait(false);
    }

    /// <inheritdoc />
    public void Dispose() => DisposeAsync().AsTask().GetAwaiter().GetResult();

    private PluginRegistration? FindRegistration(string pluginId) =>
        _registrations.FirstOrDefault(r => string.Equals(r.PluginId, pluginId, StringComparison.OrdinalIgnoreCase));

    private PoolCatalog DiscoverCatalog()
    {
        var pool = PoolCatalog.Discover(Pools, Host, _loggerFactory.CreateLogger<PluginCatalog>(), Discoverer);
        _logger.LogInformation("Plugin catalog: {Valid} valid, {Invalid} invalid plugin version(s) in {Pools}",
            pool.Plugins.Count(e => e.IsValid), pool.Plugins.Count(e => !e.IsValid), string.Join(", ", Pools));
        foreach (var entry in pool.Plugins.Where(e => !e.IsValid))
        {
            _logger.LogWarning("Plugin {PluginId} {Version} is invalid: {Problems}", entry.Id, entry.Version, string.Join("; ", entry.Problems));
        }
        foreach (var problem in pool.PoolProblems) _logger.LogWarning("Plugin pool problem: {Problem}", problem);
        return pool;
    }

    internal string WhyMissing(string pluginId, string? version)
    {
        var known = Pool.Versions(pluginId).Where(e => version is null || e.Version == version).ToList();
        var which = version is null ? $"'{pluginId}'" : $"'{pluginId}' version {version}";
        return known.Count == 0
            ? $"no plugin {which} in the pools ({(Pools.Count == 0 ? "none configured" : string.Join(", ", Pools))})"
            : $"plugin {which} has no valid version: " + string.Join("; ", known.Select(e => $"{e.Version}: {string.Join(", ", e.Problems)}"));
    }
}
