namespace Vyra.Sdk.Hosting;

/// <summary>
/// Options of <c>AddVyraPlugins</c>, bound from the configuration section <see cref="SectionName"/> (<c>Vyra:Plugins</c>)
/// and then from the code delegate, which wins. Example <c>appsettings.json</c>:
/// <code>
/// "Vyra": { "Plugins": {
///   "Pools": [ "plugins" ],
///   "StartAll": true,
///   "FailOnStartError": true,
///   "Defaults": { "TimeoutMs": 1000, "MemoryMb": 16 },
///   "ById": { "math-kit": { "Instances": 4, "Fuel": 1000000 } },
///   "Signatures": { "Mode": "Require", "TrustedKeys": [ "keys/publisher.public.pem" ] }
/// } }
/// </code>
/// Every value is bound on its own: one that does not convert, an unknown key or a limit out of range fails the host's
/// start with an <see cref="Microsoft.Extensions.Options.OptionsValidationException"/> naming the key (see docs/production.md).
/// </summary>
public sealed class VyraPluginsOptions
{
    /// <summary>The configuration section the options are bound from.</summary>
    public const string SectionName = "Vyra:Plugins";

    /// <summary>
    /// Pool folders (<c>&lt;pool&gt;/&lt;id&gt;/&lt;version&gt;/</c>) the catalog scans. A relative path is taken from the host's
    /// content root (<c>IHostEnvironment.ContentRootPath</c>), or from the application's base directory without a host.
    /// </summary>
    public List<string> Pools { get; } = [];

    /// <summary>
    /// True (default): a plugin that fails to start (or a typed proxy that cannot be created) fails the host's start,
    /// after the plugins already started are stopped again. False: the failure is logged and that plugin stays stopped.
    /// </summary>
    public bool FailOnStartError { get; set; } = true;

    /// <summary>
    /// Start every valid plugin of the catalog with the host. Invalid catalog entries are then logged as warnings and
    /// skipped (they were not asked for by name). Default false: plugins start on first use, or by
    /// <see cref="PluginSettings.AutoStart"/>, or because a typed proxy is registered for them.
    /// </summary>
    public bool StartAll { get; set; }

    /// <summary>Use the stub backend for every plugin (a per-plugin setting overrides it).</summary>
    public bool PreferStub { get; set; }

    /// <summary>
    /// Watch the pools while the host runs and hot-swap each running plugin to a newer valid version dropped into them
    /// (docs/architecture.md, "Hot swap"): calls in flight finish on the old version, the state is carried when the
    /// plugin exports <c>vyra_snapshot</c>/<c>vyra_restore</c>, and a version that would break callers is refused and
    /// logged. A plugin whose <see cref="PluginSettings.Version"/> is set stays on that version. Default false.
    /// </summary>
    public bool WatchPools { get; set; }

    /// <summary>A folder for compiled modules shared by all plugins (see <see cref="PluginRuntimeOptions.CacheDirectory"/>); relative paths as for <see cref="Pools"/>.</summary>
    public string? CacheDirectory { get; set; }

    /// <summary>
    /// Plugin signatures (docs/signing.md): the mode and the trusted public keys, applied to the catalog's discovery and
    /// to every runtime the host creates (so to every start and hot swap). Default: <see cref="SignatureMode.Off"/>.
    /// </summary>
    public SignatureSettings Signatures { get; } = new();

    /// <summary>Settings for every plugin; a value set in <see cref="ById"/> wins.</summary>
    public PluginSettings Defaults { get; set; } = new();

    /// <summary>Settings per plugin id (case-insensitive): <c>Vyra:Plugins:ById:&lt;id&gt;:TimeoutMs</c>.</summary>
    public Dictionary<string, PluginSettings> ById { get; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Values from configuration that did not convert, and unknown keys: start errors (see the validator).</summary>
    internal List<string> ConfigurationErrors { get; } = [];

    /// <summary>Adds a pool folder.</summary>
    public VyraPluginsOptions AddPool(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        Pools.Add(path);
        return this;
    }

    /// <summary>Changes the settings of one plugin (created when missing).</summary>
    public VyraPluginsOptions Configure(string pluginId, Action<PluginSettings> configure)
    {
        ArgumentException.ThrowIfNullOrEmpty(pluginId);
        ArgumentNullException.ThrowIfNull(configure);
        if (!ById.TryGetValue(pluginId, out var settings)) ById[pluginId] = settings = new PluginSettings();
        configure(settings);
        return this;
    }

    /// <summary>Starts the plugin with the host (same as <see cref="PluginSettings.AutoStart"/>).</summary>
    public VyraPluginsOptions Start(string pluginId) => Configure(pluginId, s => s.AutoStart = true);

    /// <summary>The effective settings of <paramref name="pluginId"/>: its own values over <see cref="Defaults"/>.</summary>
    public PluginSettings For(string pluginId)
    {
        ById.TryGetValue(pluginId, out var own);
        return PluginSettings.Merge(own, Defaults, PreferStub);
    }
}

/// <summary>
/// Limits and choices for one plugin. A value left null falls back to <see cref="VyraPluginsOptions.Defaults"/>, then to the
/// plugin's manifest (<c>entry_points.backend.runtime_limits</c>), then to the kernel's default.
/// </summary>
public sealed class PluginSettings
{
    /// <summary>The version to run; null: the highest valid one in the pools.</summary>
    public string? Version { get; set; }

    /// <summary>The most instances one plugin may ask for: each holds a store and its linear memory, so the count is a memory budget.</summary>
    public const int MaxInstances = 256;

    /// <summary>The largest memory cap in MiB (wasm32's 4 GiB address space).</summary>
    public const int MaxMemoryMb = 4096;

    /// <summary>Wall-clock limit per call in milliseconds; 0 disables it; negative values are refused.</summary>
    public int? TimeoutMs { get; set; }

    /// <summary>Fuel budget per call.</summary>
    public ulong? Fuel { get; set; }

    /// <summary>Cap on the guest's linear memory in MiB.</summary>
    public int? MemoryMb { get; set; }

    /// <summary>
    /// Instances serving calls (1: one stateful instance, VYRA's model; more: a pool for stateless plugins), from 1 to
    /// <see cref="MaxInstances"/>. More instances than cores rarely help: a call occupies a thread while it runs.
    /// </summary>
    public int? Instances { get; set; }

    /// <summary>Rebuild the instance after a failed call (fresh globals).</summary>
    public bool? RecycleInstanceAfterTrap { get; set; }

    /// <summary>Use the stub backend for this plugin.</summary>
    public bool? PreferStub { get; set; }

    /// <summary>Start the plugin with the host.</summary>
    public bool? AutoStart { get; set; }

    /// <summary>What is wrong with these settings, each as <c>Setting: why</c>; empty when they are usable.</summary>
    public IReadOnlyList<string> Problems()
    {
        var problems = new List<string>();
        if (TimeoutMs is < 0) problems.Add($"{nameof(TimeoutMs)}: {TimeoutMs} is negative (0 disables the limit, a positive value is milliseconds)");
        if (Instances is < 1 or > MaxInstances) problems.Add($"{nameof(Instances)}: {Instances} is outside 1..{MaxInstances}");
        if (MemoryMb is < 1 or > MaxMemoryMb) problems.Add($"{nameof(MemoryMb)}: {MemoryMb} is outside 1..{MaxMemoryMb}");
        if (Fuel is 0) problems.Add($"{nameof(Fuel)}: 0 would fail every call (leave it unset for unmetered calls)");
        if (Version is { } version && string.IsNullOrWhiteSpace(version)) problems.Add($"{nameof(Version)}: must not be blank");
        return problems;
    }

    /// <summary>The kernel options these settings stand for; settings with <see cref="Problems"/> are an <see cref="ArgumentException"/>.</summary>
    public PluginRuntimeOptions ToRuntimeOptions(string? cacheDirectory = null, Microsoft.Extensions.Logging.ILoggerFactory? loggerFactory = null) =>
        ToRuntimeOptions(cacheDirectory, loggerFactory, serviceExports: null, signatures: null);

    internal PluginRuntimeOptions ToRuntimeOptions(string? cacheDirectory, Microsoft.Extensions.Logging.ILoggerFactory? loggerFactory, IServiceExportResolver? serviceExports, SignaturePolicy? signatures) => Problems() is { Count: > 0 } problems
        ? throw new ArgumentException("invalid plugin settings: " + string.Join("; ", problems))
        : new()
    {
        Timeout = TimeoutMs switch
        {
            null => null,
            0 => System.Threading.Timeout.InfiniteTimeSpan,
            var ms => TimeSpan.FromMilliseconds(ms.Value),
        },
        Fuel = Fuel,
        MemoryLimitBytes = MemoryMb is { } mb ? mb * 1024L * 1024L : null,
        Instances = Instances ?? 1,
        RecycleInstanceAfterTrap = RecycleInstanceAfterTrap ?? false,
        CacheDirectory = cacheDirectory,
        LoggerFactory = loggerFactory,
        PreferStub = PreferStub ?? false,
        // A hosted application that configured a plugin expects that plugin: a missing or unusable module fails its
        // start with a PluginLoadException instead of quietly answering from the stub. PreferStub asks for the stub.
        StubFallback = StubFallback.Refuse,
        // A hosted application serves other work too: its plugins' guest code shares the process-wide budget, which
        // leaves a core for the application's own requests (docs/architecture.md, "A host-wide cap on running guest code").
        GuestConcurrency = GuestConcurrency.Host,
        ServiceExports = serviceExports,
        Signatures = signatures ?? SignaturePolicy.Off,
    };

    internal static PluginSettings Merge(PluginSettings? own, PluginSettings defaults, bool preferStub) => new()
    {
        Version = own?.Version ?? defaults.Version,
        TimeoutMs = own?.TimeoutMs ?? defaults.TimeoutMs,
        Fuel = own?.Fuel ?? defaults.Fuel,
        MemoryMb = own?.MemoryMb ?? defaults.MemoryMb,
        Instances = own?.Instances ?? defaults.Instances,
        RecycleInstanceAfterTrap = own?.RecycleInstanceAfterTrap ?? defaults.RecycleInstanceAfterTrap,
        PreferStub = own?.PreferStub ?? defaults.PreferStub ?? preferStub,
        AutoStart = own?.AutoStart ?? defaults.AutoStart,
    };
}
