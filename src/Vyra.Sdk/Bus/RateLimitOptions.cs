namespace Vyra.Sdk;

/// <summary>
/// VYRA's rate limit (§4), per plugin: at most <see cref="MaxCalls"/> operations in a sliding <see cref="Window"/>; each
/// operation over the limit raises the plugin's excess count and is delayed by <see cref="ThrottleStep"/> × that count;
/// at <see cref="BlockAfter"/> the plugin is blocked until the host unblocks it (<see cref="PluginFacade.Unblock"/>).
/// </summary>
public sealed record RateLimitOptions
{
    /// <summary>VYRA's defaults: 50 calls per 10 s, 0.1 s throttle step, blocked at 10.</summary>
    public static RateLimitOptions Default { get; } = new();

    /// <summary>Operations allowed per window.</summary>
    public int MaxCalls { get; init; } = 50;

    /// <summary>The sliding window.</summary>
    public TimeSpan Window { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>The delay added per excess count.</summary>
    public TimeSpan ThrottleStep { get; init; } = TimeSpan.FromMilliseconds(100);

    /// <summary>The excess count at which the plugin is blocked.</summary>
    public int BlockAfter { get; init; } = 10;
}
