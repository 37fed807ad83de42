using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Vyra.Sdk;

/// <summary>
/// Metrics (<see cref="Meter"/> "Vyra.Sdk") and traces (<see cref="ActivitySource"/> "Vyra.Sdk") of plugin calls, named in
/// the OpenTelemetry semantic-convention style. Everything is skipped cheaply while nobody listens, so the typed fast
/// path stays allocation-free.
/// </summary>
public static class VyraTelemetry
{
    /// <summary>The name of the meter and the activity source.</summary>
    public const string Name = "Vyra.Sdk";

    /// <summary>Tag: the plugin id.</summary>
    public const string PluginIdTag = "vyra.plugin.id";

    /// <summary>Tag: the called function.</summary>
    public const string FunctionTag = "vyra.function.name";

    /// <summary>Tag: the failure kind (<see cref="PluginErrorKind"/>), on failures only.</summary>
    public const string ErrorTypeTag = "error.type";

    /// <summary>Tag: the backend (<c>wasm</c> or <c>stub</c>).</summary>
    public const string BackendTag = "vyra.runtime.backend";

    /// <summary>Tag: which cache answered (<c>memory</c> or <c>disk</c>).</summary>
    public const string CacheTag = "vyra.cache";

    /// <summary>Tag: a bus operation (<c>publish</c>, <c>subscribe</c>, <c>request</c>, <c>serve</c>, <c>notify_ui</c>).</summary>
    public const string BusOperationTag = "vyra.bus.operation";

    /// <summary>Tag: a bus address (<c>module/name</c>).</summary>
    public const string BusAddressTag = "vyra.bus.address";

    internal static readonly ActivitySource Source = new(Name, typeof(VyraTelemetry).Assembly.GetName().Version?.ToString());
    internal static readonly Meter Meter = new(Name, typeof(VyraTelemetry).Assembly.GetName().Version?.ToString());

    internal static readonly Counter<long> Calls = Meter.CreateCounter<long>("vyra.plugin.calls", "{call}", "Plugin calls made");
    internal static readonly Histogram<double> CallDuration = Meter.CreateHistogram<double>("vyra.plugin.call.duration", "s", "Duration of plugin calls");
    internal static readonly Counter<long> Failures = Meter.CreateCounter<long>("vyra.plugin.call.failures", "{call}", "Plugin calls that failed, by error.type");
    internal static readonly Histogram<long> FuelConsumed = Meter.CreateHistogram<long>("vyra.plugin.fuel.consumed", "{fuel}", "Fuel used by a metered call");
    internal static readonly UpDownCounter<long> Instances = Meter.CreateUpDownCounter<long>("vyra.plugin.instances", "{instance}", "Live wasm instances");
    internal static readonly ObservableGauge<int> PoolSize = Meter.CreateObservableGauge("vyra.plugin.pool.size", PoolSizes.Observe, "{instance}", "Instances in a plugin's pool (PluginRuntimeOptions.Instances > 1 or an elastic pool, which moves between MinInstances and MaxInstances), by vyra.plugin.id");
    internal static readonly Counter<long> CacheHits = Meter.CreateCounter<long>("vyra.module.cache.hits", "{module}", "Compiled modules reused, by vyra.cache");
    internal static readonly Counter<long> BusDenied = Meter.CreateCounter<long>("vyra.bus.denied", "{operation}", "Bus operations refused by a plugin's permissions");
    internal static readonly Counter<long> BusThrottled = Meter.CreateCounter<long>("vyra.bus.throttled", "{operation}", "Bus operations delayed by a plugin's rate limit");
    internal static readonly Counter<long> BusBlocked = Meter.CreateCounter<long>("vyra.bus.blocked", "{operation}", "Bus operations refused because the plugin is blocked");
    internal static readonly Counter<long> BusDropped = Meter.CreateCounter<long>("vyra.bus.dropped", "{event}", "Events dropped because a subscriber's queue was full, by vyra.bus.address");
    internal static readonly Counter<long> CacheMisses = Meter.CreateCounter<long>("vyra.module.cache.misses", "{module}", "Modules compiled");

    /// <summary>True when anything listens to call metrics or traces.</summary>
    internal static bool CallsObserved
    {
        [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
        get => Calls.Enabled || CallDuration.Enabled || Failures.Enabled || Source.HasListeners();
    }

    /// <summary>Starts observing a call; returns the start timestamp (0 when nobody listens).</summary>
    internal static long BeginCall(string pluginId, string function, string backend, out Activity? activity)
    {
        activity = null;
        if (!CallsObserved) return 0;
        activity = Source.StartActivity($"vyra.plugin.call {function}", ActivityKind.Internal);
        if (activity is not null)
        {
            activity.SetTag(PluginIdTag, pluginId);
            activity.SetTag(FunctionTag, function);
            activity.SetTag(BackendTag, backend);
        }
        return Stopwatch.GetTimestamp();
    }

    /// <summary>Ends observing a call begun with <see cref="BeginCall"/>.</summary>
    internal static void EndCall(long started, Activity? activity, string pluginId, string function, PluginErrorKind? failure)
    {
        if (started == 0) return;
        var plugin = new KeyValuePair<string, object?>(PluginIdTag, pluginId);
        var fn = new KeyValuePair<string, object?>(FunctionTag, function);
        Calls.Add(1, plugin, fn);
        CallDuration.Record(Stopwatch.GetElapsedTime(started).TotalSeconds, plugin, fn);
        if (failure is { } kind)
        {
            Failures.Add(1, plugin, fn, new KeyValuePair<string, object?>(ErrorTypeTag, kind.ToString()));
            activity?.SetStatus(ActivityStatusCode.Error, kind.ToString());
            activity?.SetTag(ErrorTypeTag, kind.ToString());
        }
        activity?.Dispose();
    }
}
