using Microsoft.Extensions.Logging;

namespace Vyra.Sdk;

/// <summary>
/// Limits and services for one runtime. The host's limits are ceilings: a plugin's
/// <c>entry_points.backend.runtime_limits</c> may only tighten them (the effective limit is the smaller of the two),
/// never raise them. See docs/trust-model.md.
/// </summary>
public sealed class PluginRuntimeOptions
{
    /// <summary>The wall-clock limit per call when neither the options nor the manifest set one.</summary>
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(10);

    /// <summary>The memory ceiling when the options set none.</summary>
    public const long DefaultMemoryLimitBytes = 256L * 1024 * 1024;

    /// <summary>
    /// Ceiling on the wall-clock time of a call (null: <see cref="DefaultTimeout"/>); a manifest <c>timeout_ms</c> may
    /// only shorten it. Must be positive; <see cref="Timeout.InfiniteTimeSpan"/> is the explicit opt-out (no ceiling,
    /// only a manifest's own limit applies). Zero or another negative value is refused when the runtime is created.
    /// </summary>
    public TimeSpan? Timeout { get; init; }

    /// <summary>Ceiling on the fuel per call (re-armed for every call); a manifest <c>fuel</c> may only lower it. Null: no ceiling (unmetered unless the manifest asks for fuel).</summary>
    public ulong? Fuel { get; init; }

    /// <summary>Ceiling on the guest's linear memory in bytes (null: <see cref="DefaultMemoryLimitBytes"/>); a manifest <c>memory_mb</c> may only lower it. Must be positive.</summary>
    public long? MemoryLimitBytes { get; init; }

    /// <summary>Ceiling on the elements of the guest's tables together (<c>table.grow</c> past it fails). Default 100 000.</summary>
    public uint MaxTableElements { get; init; } = 100_000;

    /// <summary>Bounds checked on the module's bytes before Wasmtime compiles it.</summary>
    public ModuleLimits ModuleLimits { get; init; } = ModuleLimits.Default;

    /// <summary>
    /// Largest string, bytes or json value crossing the sandbox wall in either direction (arguments, results, host
    /// import values), in bytes. A larger value fails the call with <see cref="PluginErrorKind.Abi"/>. Default 16 MiB.
    /// </summary>
    public int MaxMemoryValueBytes { get; init; } = 16 * 1024 * 1024;

    /// <summary>
    /// Largest <c>host_log</c> message in UTF-8 bytes; a longer one is truncated to this size and marked
    /// <c>… [truncated, N bytes]</c> (logging never fails the guest's call). Default 64 KiB.
    /// </summary>
    public int MaxLogMessageBytes { get; init; } = 64 * 1024;

    /// <summary>
    /// VYRA's rule by default (false): a manifest without <c>exports</c>, or no manifest, makes no function callable
    /// but <c>ping</c>. True (for development): every plain function export is callable with its wasm signature. The ABI's
    /// own exports (<c>vyra_*</c>, <c>_initialize</c>, <c>_start</c>, <c>__*</c>, and <c>on_event</c> unless declared) are never callable by name.
    /// </summary>
    public bool AllowUndeclaredExports { get; init; }

    /// <summary>
    /// What a failed guest call does to plugin state. False (default, as the Python runtime): the instance and its
    /// globals are kept as the failure left them. True: the instance is rebuilt (fresh globals, <c>init</c> again).
    /// </summary>
    public bool RecycleInstanceAfterTrap { get; init; }

    /// <summary>
    /// How many instances serve calls. 1 (default): one instance, calls serialized, state kept between calls (VYRA).
    /// More: a pool for stateless plugins; calls run in parallel on separate instances, each with its own globals,
    /// and an instance whose call failed is replaced. A fixed pool: the minimum and the maximum are both this, unless
    /// <see cref="MinInstances"/> or <see cref="MaxInstances"/> make the pool elastic.
    /// </summary>
    public int Instances { get; init; } = 1;

    /// <summary>The most instances one runtime may hold: each holds a store and its linear memory, so the count is a memory budget.</summary>
    public const int MaxInstancesCap = 256;

    /// <summary>How long an instance above <see cref="MinInstances"/> may stay idle before it is disposed, when none is set: 60 s.</summary>
    public static readonly TimeSpan DefaultInstanceIdleTimeout = TimeSpan.FromSeconds(60);

    /// <summary>
    /// The fewest instances an elastic pool keeps (null: <see cref="Instances"/>). At least 1: a started runtime always
    /// holds an instance, so the start proves the module instantiates and <c>init</c> runs. See <see cref="MaxInstances"/>.
    /// </summary>
    public int? MinInstances { get; init; }

    /// <summary>
    /// The most instances an elastic pool grows to (null: the minimum, i.e. a fixed pool of <see cref="Instances"/>, as
    /// before). Above the minimum the pool grows under load: a caller that would wait while fewer than the maximum exist
    /// has one more instance built (on the runtime's own thread, one at a time, never beyond the maximum) and takes the
    /// first that comes free; instances above the minimum that stay idle for <see cref="InstanceIdleTimeout"/> are
    /// disposed. At most <see cref="MaxInstancesCap"/>. For stateless plugins only: pooled instances never share state
    /// (each has its own globals and memory, and one grown later starts from <c>init</c>), and reclaiming an instance
    /// loses whatever state it held.
    /// </summary>
    public int? MaxInstances { get; init; }

    /// <summary>
    /// How long an instance above <see cref="MinInstances"/> may stay idle before the pool disposes it (null:
    /// <see cref="DefaultInstanceIdleTimeout"/>). Looked at every half idle time, so an idle instance goes within 1.5 × this.
    /// Must be positive; <see cref="System.Threading.Timeout.InfiniteTimeSpan"/> keeps grown instances until the stop.
    /// </summary>
    public TimeSpan? InstanceIdleTimeout { get; init; }

    /// <summary>The clock of the pool's idle timer (tests drive it; the system clock otherwise).</summary>
    internal TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    /// <summary>The pool's minimum as resolved: <see cref="MinInstances"/>, else <see cref="Instances"/>.</summary>
    internal int PoolMin => MinInstances ?? Instances;

    /// <summary>The pool's maximum as resolved: <see cref="MaxInstances"/>, else the minimum (a fixed pool).</summary>
    internal int PoolMax => MaxInstances ?? PoolMin;

    /// <summary>The idle time as resolved.</summary>
    internal TimeSpan PoolIdleTimeout => InstanceIdleTimeout ?? DefaultInstanceIdleTimeout;

    /// <summary>
    /// A folder for compiled modules, so later processes skip compilation. Null (default): compiled modules are
    /// shared within the process only.
    /// </summary>
    public string? CacheDirectory { get; init; }

    /// <summary>
    /// The secret that authenticates <see cref="CacheDirectory"/> entries (HMAC-SHA256, at least 32 bytes). Null: a
    /// per-user key file created with mode 0600 in the user's local application data (<c>Vyra/module-cache.key</c>).
    /// Whoever can write the cache folder but not read the key cannot plant a compiled module.
    /// </summary>
    public byte[]? CacheKey { get; init; }

    /// <summary>
    /// WASI access for the plugin. Null (default): none — a module that imports WASI fails to start. A sleep in
    /// <c>poll_oneoff</c> ends at the call's deadline, cancellation or stop; file I/O on granted directories and writes to
    /// inherited standard streams are bounded only by the file system and the host's streams.
    /// </summary>
    public WasiGrants? Wasi { get; init; }

    /// <summary>The number of callers that may wait for a busy runtime at once when none is set: 1024.</summary>
    public const int DefaultMaxQueueLength = 1024;

    /// <summary>
    /// How many callers may wait for an instance at once (default 1024). A call that finds the queue full fails at once
    /// with <see cref="PluginErrorKind.Overloaded"/>, so a flood of requests cannot pile up behind a busy plugin.
    /// 0: never wait (busy means Overloaded).
    /// </summary>
    public int MaxQueueLength { get; init; } = DefaultMaxQueueLength;

    /// <summary>
    /// How long a call may wait for an instance before it fails with <see cref="PluginErrorKind.Overloaded"/>. Null
    /// (default): the call's timeout. Never more than the timeout, which covers waiting and running together.
    /// </summary>
    public TimeSpan? MaxQueueWait { get; init; }

    /// <summary>
    /// Where the asynchronous paths (<c>CallAsync</c>, <c>OnEventAsync</c>, generated <c>...Async</c> methods) run guest
    /// code. True (default): on the runtime's own threads, one per instance, so busy plugins never hold the
    /// application's thread-pool threads; each call then costs two thread hand-offs. False: on the calling thread, as
    /// the sync typed methods do (lowest latency, for hosts whose callers are their own threads). Waits stay bounded and
    /// re-entrant calls are refused either way.
    /// </summary>
    public bool GuestThreads { get; init; } = true;

    /// <summary>
    /// The cap on concurrently running guest code this runtime's asynchronous calls share with other runtimes (only
    /// with <see cref="GuestThreads"/>). Default null: no cap, as a library should not serialize an application's
    /// plugins behind its back. <see cref="Vyra.Sdk.GuestConcurrency.Host"/> is the process-wide budget,
    /// <c>max(1, ProcessorCount - 1)</c> (configurable through its <see cref="Vyra.Sdk.GuestConcurrency.Limit"/>), which
    /// keeps a core for the application; Vyra.Sdk.Hosting uses it by default. Pass an own
    /// <see cref="Vyra.Sdk.GuestConcurrency"/> to give a group of runtimes its own budget. Waiting for a slot counts
    /// toward the call's wait bound (see <see cref="MaxQueueWait"/>).
    /// </summary>
    public GuestConcurrency? GuestConcurrency { get; init; }

    /// <summary>
    /// Use the stub backend even when the module exists (for development and tests). Default false. Read by
    /// <c>PluginRuntime.Create</c>; a runtime constructed directly is of the type it is constructed as.
    /// </summary>
    public bool PreferStub { get; init; }

    /// <summary>
    /// What <c>PluginRuntime.Create</c> does when the module is missing or unusable and <see cref="PreferStub"/> is false:
    /// <see cref="Vyra.Sdk.StubFallback.Warn"/> (default) falls back to the stub with a warning that names the file and
    /// the reason, <see cref="Vyra.Sdk.StubFallback.Refuse"/> throws a <see cref="PluginLoadException"/> instead.
    /// </summary>
    public StubFallback StubFallback { get; init; } = StubFallback.Warn;

    /// <summary>
    /// Which plugin signatures (<c>signature.bin</c>, docs/signing.md) a start accepts. Default
    /// <see cref="SignaturePolicy.Off"/>: not read. Otherwise every start of a <see cref="WasmRuntime"/> verifies the
    /// signature against <see cref="SignaturePolicy.TrustedKeys"/> before the module is compiled, and a tampered,
    /// untrusted or malformed signature — or a missing one under <see cref="SignatureMode.Require"/> — fails the start
    /// with a <see cref="PluginLoadException"/> that says which.
    /// </summary>
    public SignaturePolicy Signatures { get; init; } = SignaturePolicy.Off;

    /// <summary>Where the runtime logs (factory decisions, warnings, notification failures).</summary>
    public ILoggerFactory? LoggerFactory { get; init; }

    /// <summary>How this host's plugins communicate: module, rate limit, request timeout, caps (docs/bus.md).</summary>
    public PluginBusOptions Bus { get; init; } = PluginBusOptions.Default;

    /// <summary>
    /// Finds the host services that serve the manifest's <c>service_exports</c> (VYRA §5; docs/bus.md, "Service
    /// exports"). Set: every declared service and method must resolve, or the start fails naming them. Null (default): a
    /// plugin with a module starts and its service exports fail their calls (UnknownFunction) saying no resolver is
    /// configured; a plugin in service-export mode fails to start. Vyra.Sdk.Hosting sets it to the container's keyed
    /// <see cref="IVyraService"/> registrations.
    /// </summary>
    public IServiceExportResolver? ServiceExports { get; init; }

    internal static PluginRuntimeOptions Default { get; } = new();

    /// <summary>Refuses options that cannot mean what they say (a zero or negative timeout used to mean "none").</summary>
    internal void Validate()
    {
        if (Timeout is { } timeout && timeout != System.Threading.Timeout.InfiniteTimeSpan && timeout <= TimeSpan.Zero)
            throw new ArgumentOutOfRangeException(nameof(Timeout), timeout, "PluginRuntimeOptions.Timeout must be positive; use Timeout.InfiniteTimeSpan to set no ceiling");
        if (MemoryLimitBytes is <= 0)
            throw new ArgumentOutOfRangeException(nameof(MemoryLimitBytes), MemoryLimitBytes, "PluginRuntimeOptions.MemoryLimitBytes must be positive");
        if (Fuel is 0)
            throw new ArgumentOutOfRangeException(nameof(Fuel), Fuel, "PluginRuntimeOptions.Fuel must be positive");
        if (MaxMemoryValueBytes <= 0)
            throw new ArgumentOutOfRangeException(nameof(MaxMemoryValueBytes), MaxMemoryValueBytes, "PluginRuntimeOptions.MaxMemoryValueBytes must be positive");
        if (MaxLogMessageBytes <= 0)
            throw new ArgumentOutOfRangeException(nameof(MaxLogMessageBytes), MaxLogMessageBytes, "PluginRuntimeOptions.MaxLogMessageBytes must be positive");
        if (CacheKey is { Length: < 32 })
            throw new ArgumentOutOfRangeException(nameof(CacheKey), CacheKey.Length, "PluginRuntimeOptions.CacheKey must hold at least 32 bytes");
        if (!Enum.IsDefined(StubFallback))
            throw new ArgumentOutOfRangeException(nameof(StubFallback), StubFallback, "PluginRuntimeOptions.StubFallback must be Warn, Allow or Refuse");
        if (MinInstances is < 1)
            throw new ArgumentOutOfRangeException(nameof(MinInstances), MinInstances, "PluginRuntimeOptions.MinInstances must be at least 1 (a started runtime holds at least one instance)");
        if (MaxInstances is { } max && max < PoolMin)
            throw new ArgumentOutOfRangeException(nameof(MaxInstances), max, $"PluginRuntimeOptions.MaxInstances must be at least the minimum ({PoolMin}, {(MinInstances is null ? "Instances" : "MinInstances")})");
        if (PoolMax > MaxInstancesCap)
            throw new ArgumentOutOfRangeException(MaxInstances is null ? nameof(Instances) : nameof(MaxInstances), PoolMax, $"PluginRuntimeOptions.{(MaxInstances is null ? nameof(Instances) : nameof(MaxInstances))} must be at most {MaxInstancesCap} (PluginRuntimeOptions.MaxInstancesCap): each instance holds a store and its memory");
        if (InstanceIdleTimeout is { } idle && idle != System.Threading.Timeout.InfiniteTimeSpan && idle <= TimeSpan.Zero)
            throw new ArgumentOutOfRangeException(nameof(InstanceIdleTimeout), idle, "PluginRuntimeOptions.InstanceIdleTimeout must be positive; use Timeout.InfiniteTimeSpan to keep grown instances until the stop");
        ArgumentNullException.ThrowIfNull(TimeProvider, nameof(TimeProvider));
        ArgumentNullException.ThrowIfNull(Signatures, nameof(Signatures));
        Signatures.Validate(nameof(Signatures));
        ArgumentNullException.ThrowIfNull(ModuleLimits, nameof(ModuleLimits));
        ModuleLimits.Validate();
    }
}
