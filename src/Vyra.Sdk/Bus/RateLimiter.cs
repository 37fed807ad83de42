namespace Vyra.Sdk;

/// <summary>
/// One plugin's rate limiter (VYRA §4 semantics, without upstream's shared state and never-decaying count; docs/bus.md).
/// Thread-safe. The facade asks it before every throttled operation and waits out the delay it returns.
/// </summary>
internal sealed class RateLimiter
{
    private readonly RateLimitOptions _options;
    private readonly TimeProvider _time;

    public RateLimiter(RateLimitOptions options, TimeProvider time)
    {
        _options = options;
        _time = time;
    }

    /// <summary>Whether the plugin is blocked until <see cref="Unblock"/>.</summary>
    public bool IsBlocked => false;

    /// <summary>The current excess count.</summary>
    public int ExcessCount => 0;

    /// <summary>Counts one operation now and says whether it may run, after which delay.</summary>
    // TODO(bus-facade helper): VYRA's sliding window, growing throttle and block; this placeholder admits everything.
    public RateDecision Admit() => new(TimeSpan.Zero, Blocked: false, JustBlocked: false);

    /// <summary>Lifts a block and resets the excess count (VYRA's <c>unblock</c>).</summary>
    public void Unblock()
    {
    }
}

/// <summary>The limiter's answer for one operation.</summary>
/// <param name="Delay">How long to wait before running it (zero when within the limit).</param>
/// <param name="Blocked">The plugin is blocked: refuse the operation.</param>
/// <param name="JustBlocked">This operation is the one that blocked the plugin (log and count it once).</param>
internal readonly record struct RateDecision(TimeSpan Delay, bool Blocked, bool JustBlocked);
