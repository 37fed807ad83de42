using Microsoft.Extensions.Logging;

namespace Vyra.Sdk;

/// <summary>
/// Limits and services for one runtime. A limit left null falls back to the plugin's
/// <c>entry_points.backend.runtime_limits</c>, then to the default.
/// </summary>
public sealed class PluginRuntimeOptions
{
    /// <summary>The wall-clock limit per call when neither the options nor the manifest set one.</summary>
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(10);

    /// <summary>Wall-clock limit per call; <see cref="Timeout.InfiniteTimeSpan"/> disables it. Null: manifest <c>timeout_ms</c>, else 10 s.</summary>
    public TimeSpan? Timeout { get; init; }

    /// <summary>Fuel budget per call (re-armed for every call). Null: manifest <c>fuel</c>, else unmetered.</summary>
    public ulong? Fuel { get; init; }

    /// <summary>Cap on the guest's linear memory in bytes. Null: manifest <c>memory_mb</c>, else only wasm's own 4 GiB.</summary>
    public long? MemoryLimitBytes { get; init; }

    /// <summary>
    /// What a failed guest call does to plugin state. False (default, as the Python runtime): the instance and its
    /// globals are kept as the failure left them. True: the instance is rebuilt (fresh globals, <c>init</c> again).
    /// </summary>
    public bool RecycleInstanceAfterTrap { get; init; }

    /// <summary>
    /// How many instances serve calls. 1 (default): one instance, calls serialized, state kept between calls (VYRA).
    /// More: a pool for stateless plugins; calls run in parallel on separate instances, each with its own globals,
    /// and an instance whose call failed is replaced.
    /// </summary>
    public int Instances { get; init; } = 1;

    /// <summary>
    /// A folder for compiled modules, so later processes skip compilation. Null (default): compiled modules are
    /// shared within the process only.
    /// </summary>
    public string? CacheDirectory { get; init; }

    /// <summary>WASI access for the plugin. Null (default): none — a module that imports WASI fails to start.</summary>
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

    /// <summary>Where the runtime logs (factory decisions, warnings, notification failures).</summary>
    public ILoggerFactory? LoggerFactory { get; init; }

    internal static PluginRuntimeOptions Default { get; } = new();
}
