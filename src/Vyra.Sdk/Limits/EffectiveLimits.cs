namespace Vyra.Sdk;

/// <summary>
/// The limits in force for one runtime. The host's options are ceilings and a manifest's <c>runtime_limits</c> may
/// only tighten them: each limit is the smaller of the two. A manifest asking for more (say <c>timeout_ms: 1e12</c>)
/// gets the host's ceiling. A manifest value of zero or less is ignored (it cannot tighten anything meaningfully).
/// </summary>
internal sealed record EffectiveLimits(TimeSpan Timeout, ulong? Fuel, long MemoryBytes, uint TableElements, int MaxMemoryValueBytes, int MaxLogMessageBytes)
{
    /// <summary>True when the options or the manifest set the memory cap (not only the default ceiling).</summary>
    public bool MemoryCapSet { get; init; }

    // Beyond ~30 years the deadline arithmetic would overflow: such a manifest timeout means "no tighter than the host".
    private const long MaxTimeoutMs = 1_000_000_000_000;

    public static EffectiveLimits Resolve(PluginRuntimeOptions options, RuntimeLimits? manifest)
    {
        manifest ??= new RuntimeLimits();
        var timeout = options.Timeout ?? PluginRuntimeOptions.DefaultTimeout;
        if (manifest.TimeoutMs is > 0 and < MaxTimeoutMs && TimeSpan.FromMilliseconds(manifest.TimeoutMs.Value) is var asked
            && (timeout == System.Threading.Timeout.InfiniteTimeSpan || asked < timeout))
        {
            timeout = asked;
        }

        var memory = options.MemoryLimitBytes ?? PluginRuntimeOptions.DefaultMemoryLimitBytes;
        if (manifest.MemoryMb is > 0 and < long.MaxValue / (1024 * 1024)) memory = Math.Min(memory, manifest.MemoryMb.Value * 1024 * 1024);

        var fuel = options.Fuel;
        if (manifest.Fuel is > 0) fuel = fuel is { } ceiling ? Math.Min(ceiling, manifest.Fuel.Value) : manifest.Fuel;

        return new EffectiveLimits(timeout, fuel, memory, options.MaxTableElements, options.MaxMemoryValueBytes, options.MaxLogMessageBytes)
        {
            MemoryCapSet = options.MemoryLimitBytes is not null || manifest.MemoryMb is > 0,
        };
    }
}
