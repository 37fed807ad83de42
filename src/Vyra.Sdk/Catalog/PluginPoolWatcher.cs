using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Vyra.Sdk;

/// <summary>
/// Watches pool folders and offers, or applies, newer valid plugin versions while the host runs. File events are
/// debounced (<see cref="PluginPoolWatcherOptions.Debounce"/>, at most <see cref="PluginPoolWatcherOptions.MaxDelay"/>)
/// into full scans with <see cref="PluginCatalog.Discover(IEnumerable{string}, IHostFunctions?, ILogger?)"/>, so a
/// version is offered only once it validates completely (manifest, module, signatures, imports, checksum); a folder
/// caught half-copied is simply not valid yet, and the next event scans again. Scans never overlap: events during a
/// scan schedule one more, never a queue. A lost event (the watcher's buffer overflowed) also schedules a scan.
/// <para>
/// Offer: <see cref="VersionFound"/> is raised for each plugin whose highest runnable version is higher than at the
/// scan before. Apply: <see cref="Follow"/> a <see cref="WasmRuntime"/>, and each newer version of its id is swapped in
/// (<see cref="WasmRuntime.SwapAsync"/>), with <see cref="SwapAttempted"/> saying how it went. A version whose swap was
/// refused or failed is not tried again until its files change. Handlers run on a thread-pool thread; what they throw is
/// logged, never raised into the watcher.
/// </para>
/// </summary>
public sealed class PluginPoolWatcher : IAsyncDisposable
{
    private readonly string[] _pools;
    private readonly PluginPoolWatcherOptions _options;
    private readonly ILogger _logger;
    private readonly List<FileSystemWatcher> _watchers = [];
    private readonly Timer _timer;
    private readonly object _gate = new();
    private readonly Dictionary<WasmRuntime, PluginSwapOptions> _followed = [];
    private readonly Dictionary<(WasmRuntime, string), (FileStamp Module, FileStamp Manifest)> _tried = [];
    private readonly CancellationTokenSource _disposed = new();
    private volatile PluginCatalog? _catalog;
    private long _firstEvent; // Environment.TickCount64 of the first event not yet scanned; 0: none
    private bool _scanning, _again;
    private Task _scan = Task.CompletedTask;

    /// <summary>Creates a watcher over <paramref name="pools"/>; <see cref="Start"/> begins watching.</summary>
    public PluginPoolWatcher(IEnumerable<string> pools, PluginPoolWatcherOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(pools);
        _pools = [.. pools];
        _options = options ?? new PluginPoolWatcherOptions();
        _options.Validate();
        _logger = _options.Logger ?? NullLogger.Instance;
        _timer = new Timer(static state => ((PluginPoolWatcher)state!).OnQuiet(), this, Timeout.Infinite, Timeout.Infinite);
    }

    /// <summary>The watched pool folders.</summary>
    public IReadOnlyList<string> Pools => _pools;

    /// <summary>The catalog of the last scan (null before <see cref="Start"/>).</summary>
    public PluginCatalog? Catalog => _catalog;

    /// <summary>A newer valid version of a plugin appeared (the offer).</summary>
    public event EventHandler<PluginVersionFoundEventArgs>? VersionFound;

    /// <summary>A followed runtime was swapped to a newer version, or the swap was refused or failed.</summary>
    public event EventHandler<PluginSwapAttemptedEventArgs>? SwapAttempted;

    /// <summary>
    /// Scans the pools once (the baseline: nothing is offered for what is already there) and starts watching them.
    /// A pool folder that does not exist yet is not watched.
    /// </summary>
    public void Start()
    {
        ObjectDisposedException.ThrowIf(_disposed.IsCancellationRequested, this);
        lock (_gate)
        {
            if (_watchers.Count > 0 || _catalog is not null) return;
            _catalog = PluginCatalog.Discover(_pools, _options.Host, _logger);
            foreach (var pool in _pools.Where(Directory.Exists))
            {
                var watcher = new FileSystemWatcher(pool)
                {
                    IncludeSubdirectories = true,
                    NotifyFilter = NotifyFilters.FileName | NotifyFilters.DirectoryName | NotifyFilters.LastWrite | NotifyFilters.Size,
                    InternalBufferSize = 64 * 1024, // the largest the platform allows; an overflow rescans anyway
                };
                watcher.Created += OnChanged;
                watcher.Changed += OnChanged;
                watcher.Deleted += OnChanged;
                watcher.Renamed += OnChanged;
                watcher.Error += OnError;
                watcher.EnableRaisingEvents = true;
                _watchers.Add(watcher);
            }
        }
    }

    /// <summary>
    /// Swaps <paramref name="runtime"/> to each newer valid version of its plugin id that appears in the pools, with
    /// <paramref name="options"/> (default: refuse breaking versions, carry the state). Dispose the result to stop.
    /// </summary>
    public IDisposable Follow(WasmRuntime runtime, PluginSwapOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(runtime);
        lock (_gate) _followed[runtime] = options ?? PluginSwapOptions.Default;
        return new Unfollow(this, runtime);
    }

    private sealed class Unfollow(PluginPoolWatcher watcher, WasmRuntime runtime) : IDisposable
    {
        public void Dispose()
        {
            lock (watcher._gate)
            {
                watcher._followed.Remove(runtime);
                foreach (var key in watcher._tried.Keys.Where(k => k.Item1 == runtime).ToList()) watcher._tried.Remove(key);
            }
        }
    }

    /// <summary>
    /// Scans now, as a file event would after the debounce, and raises the events for what it finds. Returns the new
    /// catalog. Waits for a scan already running first.
    /// </summary>
    public async Task<PluginCatalog> RescanAsync(CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed.IsCancellationRequested, this);
        Task running;
        lock (_gate) running = _scan;
        await running.WaitAsync(cancellationToken).ConfigureAwait(false);
        Task mine;
        lock (_gate) mine = _scan = ScanAfter(_scan);
        await mine.WaitAsync(cancellationToken).ConfigureAwait(false);
        return _catalog!;
    }

    private void OnChanged(object sender, FileSystemEventArgs e) => Poke();

    private void OnError(object sender, ErrorEventArgs e)
    {
        _logger.LogWarning(e.GetException(), "Plugin pool watcher lost file events; the pools are scanned again");
        Poke();
    }

    /// <summary>A file event: (re)arm the debounce, unless events have kept it waiting for MaxDelay already.</summary>
    private void Poke()
    {
        if (_disposed.IsCancellationRequested) return;
        lock (_gate)
        {
            var now = Environment.TickCount64;
            if (_firstEvent == 0) _firstEvent = now;
            var waited = now - _firstEvent;
            var due = Math.Min(_options.Debounce.TotalMilliseconds, Math.Max(0, _options.MaxDelay.TotalMilliseconds - waited));
            try
            {
                _timer.Change((long)due, Timeout.Infinite);
            }
            catch (ObjectDisposedException)
            {
                // Disposed meanwhile: nothing more to scan.
            }
        }
    }

    /// <summary>The pools went quiet: scan, or, when a scan runs, have it scan once more after it ends.</summary>
    private void OnQuiet()
    {
        lock (_gate)
        {
            if (_disposed.IsCancellationRequested) return;
            _firstEvent = 0;
            if (_scanning)
            {
                _again = true;
                return;
            }
            _scanning = true;
            _scan = ScanAfter(_scan);
        }
    }

    private Task ScanAfter(Task previous) => previous.ContinueWith(_ => ScanContained(), CancellationToken.None, TaskContinuationOptions.None, TaskScheduler.Default).Unwrap();

    private async Task ScanContained()
    {
        try
        {
            await ScanAsync().ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            _logger.LogError(ex, "Plugin pool watcher: a scan of {Pools} failed", string.Join(", ", _pools));
        }
        finally
        {
            lock (_gate)
            {
                _scanning = false;
                if (_again && !_disposed.IsCancellationRequested)
                {
                    _again = false;
                    _timer.Change(0, Timeout.Infinite);
                }
            }
        }
    }

    private async Task ScanAsync()
    {
        if (_disposed.IsCancellationRequested) return;
        var previous = _catalog;
        var catalog = PluginCatalog.Discover(_pools, _options.Host, _logger);
        _catalog = catalog;
        foreach (var id in catalog.Entries.Select(e => e.Id).Distinct(StringComparer.Ordinal))
        {
            if (catalog.Find(id) is not { } best) continue;
            var before = previous?.Find(id);
            if (before is null || IsNewer(best, before)) Raise(VersionFound, new PluginVersionFoundEventArgs(best, before));
        }
        List<KeyValuePair<WasmRuntime, PluginSwapOptions>> followed;
        lock (_gate) followed = [.. _followed];
        foreach (var (runtime, options) in followed)
        {
            if (_disposed.IsCancellationRequested) return;
            if (catalog.Find(runtime.PluginId) is not { } best || best.ModulePath is null) continue;
            var current = runtime.Manifest?.Version is { } v ? SemanticVersion.TryParse(v) : null;
            if (best.SemanticVersion is not { } offered || (current is not null && offered.CompareTo(current) <= 0)) continue;
            if (SamePath(best.ModulePath, runtime.WasmPath)) continue;
            var stamp = (FileStamp.Of(best.ModulePath), best.Manifest?.SourcePath is { } m ? FileStamp.Of(m) : FileStamp.None);
            lock (_gate)
            {
                // Tried before and unchanged since: refused or failed then, it would be again.
                if (_tried.TryGetValue((runtime, best.Directory), out var tried) && tried == stamp) continue;
                _tried[(runtime, best.Directory)] = stamp;
            }
            PluginSwapResult result;
            try
            {
                result = await runtime.SwapAsync(best.ModulePath, options, _disposed.Token).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException or PluginCallException)
            {
                _logger.LogWarning(ex, "Plugin pool watcher: swapping {PluginId} to {Version} did not run", runtime.PluginId, best.Version);
                continue;
            }
            Raise(SwapAttempted, new PluginSwapAttemptedEventArgs(runtime, best, result));
        }
    }

    private static bool IsNewer(CatalogEntry a, CatalogEntry b) =>
        a.SemanticVersion is { } x && (b.SemanticVersion is not { } y || x.CompareTo(y) > 0);

    private static bool SamePath(string a, string b) =>
        string.Equals(Path.GetFullPath(a), Path.GetFullPath(b), OperatingSystem.IsWindows() ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal);

    private void Raise<T>(EventHandler<T>? handler, T args)
    {
        if (handler is null) return;
        foreach (var one in handler.GetInvocationList().Cast<EventHandler<T>>())
        {
            try
            {
                one(this, args);
            }
            catch (Exception ex)
            {
                _logger.LogError(ex, "Plugin pool watcher: an event handler failed");
            }
        }
    }

    /// <summary>Stops watching and waits for a scan in progress (and the swap it runs) to end.</summary>
    public async ValueTask DisposeAsync()
    {
        Task scan;
        lock (_gate)
        {
            if (_disposed.IsCancellationRequested) return;
            _disposed.Cancel();
            foreach (var watcher in _watchers) watcher.Dispose();
            _watchers.Clear();
            scan = _scan;
        }
        await _timer.DisposeAsync().ConfigureAwait(false);
        try
        {
            await scan.ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            _logger.LogDebug(ex, "Plugin pool watcher: the last scan ended with an error");
        }
        _disposed.Dispose();
    }
}
