namespace Vyra.Sdk;

/// <summary>
/// VYRA's rate limit (§4), per plugin: at most <see cref="MaxCalls"/> operations in a sliding <see cref="Window"/>; each
/// operation over the limit raises the plugin's excess count and is delayed by <see cref="ThrottleStep"/> × that count;
/// at <see cref="BlockAfter"/> the plugin is blocked until the host unblocks it (<see cref="PluginFacade.Unblock"/>).
/// Unlike upstream, each plugin has its own limiter (this record only holds the numbers and may be shared) and the
/// count goes down by one for every full window without an excess operation. Checked when a facade is created: a value
/// out of range is an <see cref="ArgumentException"/> naming the field. docs/bus.md, "Rate limit".
/// </summary>
public sealed record RateLimitOptions
{
    /// <summary>VYRA's defaults: 50 calls per 10 s, 0.1 s throttle step, blocked at 10.</summary>
    public static RateLimitOptions Default { get; } = new();

    /// <summary>Operations allowed per window (1 to 100 000: the window keeps one timestamp per allowed operation).</summary>
    public int MaxCalls { get; init; } = 50;

    /// <summary>The sliding window (positive); also the quiet time that lowers the excess count by one.</summary>
    public TimeSpan Window { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>The delay added per excess count (zero or more; zero counts excess operations without delaying them).</summary>
    public TimeSpan ThrottleStep { get; init; } = TimeSpan.FromMilliseconds(100);

    /// <summary>The excess count at which the plugin is blocked (at least 1; the operation that reaches it is refused).</summary>
    public int BlockAfter { get; init; } = 10;

    /// <summary>The largest <see cref="MaxCalls"/>: the sliding window keeps one timestamp per allowed call.</summary>
    internal const int MaxCallsLimit = 100_000;

    // Task.Delay's limit (uint.MaxValue - 1 ms, about 49 days): the longest throttle delay must be one it accepts.
    private static readonly TimeSpan LongestDelay = TimeSpan.FromMilliseconds(uint.MaxValue - 1);

    /// <summary>Refuses values the limiter cannot honour, naming the field (the facade checks when it is created).</summary>
    internal void Validate()
    {
        if (MaxCalls is < 1 or > MaxCallsLimit)
            throw new ArgumentException($"RateLimitOptions.MaxCalls must be 1 to {MaxCallsLimit} (one timestamp is kept per allowed call), got {MaxCalls}", "options");
        if (Window <= TimeSpan.Zero)
            throw new ArgumentException($"RateLimitOptions.Window must be positive, got {Window}", "options");
        if (BlockAfter < 1)
            throw new ArgumentException($"RateLimitOptions.BlockAfter must be at least 1, got {BlockAfter}", "options");
        if (ThrottleStep < TimeSpan.Zero)
            throw new ArgumentException($"RateLimitOptions.ThrottleStep must not be negative, got {ThrottleStep}", "options");
        // The longest delay is ThrottleStep × (BlockAfter - 1): the operation that reaches BlockAfter is refused, not delayed.
        if (ThrottleStep.Ticks != 0 && (BlockAfter - 1) > LongestDelay.Ticks / ThrottleStep.Ticks)
            throw new ArgumentException($"RateLimitOptions.ThrottleStep × (BlockAfter - 1) must be at most {LongestDelay.TotalDays:0.#} days (the longest delay a timer takes), got {ThrottleStep} × {BlockAfter - 1}", "options");
    }
}
