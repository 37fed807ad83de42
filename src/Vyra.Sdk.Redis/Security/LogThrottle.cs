using System.Diagnostics;

namespace Vyra.Sdk.Redis;

/// <summary>
/// Lets one warning through per period and counts the rest: whoever can write to Redis can send refused messages as
/// fast as Redis takes them, and each must not cost a log line (the counters on the server and the bus stay exact).
/// </summary>
internal sealed class LogThrottle(TimeSpan period)
{
    private readonly long _periodTicks = (long)(period.TotalSeconds * Stopwatch.Frequency);
    private long _next;
    private long _suppressed;

    /// <summary>True when this one may be logged, with how many were suppressed since the last one logged.</summary>
    public bool TryEnter(out long suppressed)
    {
        var now = Stopwatch.GetTimestamp();
        var next = Interlocked.Read(ref _next);
        if (now >= next && Interlocked.CompareExchange(ref _next, now + _periodTicks, next) == next)
        {
            suppressed = Interlocked.Exchange(ref _suppressed, 0);
            return true;
        }
        Interlocked.Increment(ref _suppressed);
        suppressed = 0;
        return false;
    }
}
