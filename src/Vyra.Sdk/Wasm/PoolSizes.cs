using System.Diagnostics.Metrics;

namespace Vyra.Sdk;

/// <summary>
/// The open instance pools of the process, read by the <c>vyra.plugin.pool.size</c> gauge (<see cref="VyraTelemetry"/>)
/// when a listener collects it. Pools are held weakly: a runtime dropped without a stop is not kept alive by telemetry.
/// </summary>
internal static class PoolSizes
{
    private static readonly List<WeakReference<InstancePool>> Pools = [];

    public static void Track(InstancePool pool)
    {
        lock (Pools) Pools.Add(new WeakReference<InstancePool>(pool));
    }

    public static void Untrack(InstancePool pool)
    {
        lock (Pools) Pools.RemoveAll(w => !w.TryGetTarget(out var p) || ReferenceEquals(p, pool));
    }

    /// <summary>One measurement per open pool: its instance count, tagged with its plugin id.</summary>
    public static IEnumerable<Measurement<int>> Observe()
    {
        var measurements = new List<Measurement<int>>();
        lock (Pools)
        {
            Pools.RemoveAll(w => !w.TryGetTarget(out _));
            foreach (var weak in Pools)
            {
                if (weak.TryGetTarget(out var pool) && pool.IsOpen)
                {
                    measurements.Add(new Measurement<int>(pool.Count, new KeyValuePair<string, object?>(VyraTelemetry.PluginIdTag, pool.PluginId)));
                }
            }
        }
        return measurements;
    }
}
