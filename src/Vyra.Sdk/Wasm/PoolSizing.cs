namespace Vyra.Sdk;

/// <summary>
/// How an <see cref="InstancePool"/> may change size: it holds between <see cref="Min"/> and <see cref="Max"/> instances,
/// grows (one instance at a time, off the callers' threads) while callers wait and fewer than the maximum exist, and
/// gives back instances above the minimum that were idle for <see cref="IdleTimeout"/>. A fixed pool has
/// <c>Min == Max</c>: it never grows and runs no timer. <see cref="Grow"/> builds one instance (running <c>init</c>;
/// cancelled by the pool's close); <see cref="GrowthFailed"/> hears why it could not.
/// </summary>
internal sealed record PoolSizing(
    string PluginId,
    int Min,
    int Max,
    TimeSpan IdleTimeout,
    TimeProvider Time,
    Func<CancellationToken, WasmInstance> Grow,
    Action<Exception> GrowthFailed)
{
    /// <summary>True when the pool can change size at all.</summary>
    public bool Elastic => Max > Min;

    /// <summary>
    /// How often idle instances are looked at: half the idle time, so an instance idle since just after a look goes
    /// within 1.5 × <see cref="IdleTimeout"/>. Null: nothing is ever reclaimed (a fixed pool, or an infinite idle time).
    /// </summary>
    public TimeSpan? ReclaimPeriod => !Elastic || IdleTimeout == Timeout.InfiniteTimeSpan
        ? null
        : TimeSpan.FromTicks(Math.Max(TimeSpan.TicksPerMillisecond, IdleTimeout.Ticks / 2));
}
