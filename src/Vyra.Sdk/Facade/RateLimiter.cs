namespace Vyra.Sdk;

/// <summary>
/// One plugin's rate limiter: VYRA's semantics (§4) without upstream's two bugs (docs/bus.md, "Rate limit").
/// <list type="bullet">
/// <item>At most <see cref="RateLimitOptions.MaxCalls"/> operations run in any sliding <see cref="RateLimitOptions.Window"/>.
/// The window is a ring of the last MaxCalls admission times: the limit is exceeded exactly when the oldest of them is
/// still inside the window, so memory stays MaxCalls timestamps however fast the plugin calls.</item>
/// <item>An operation over the limit raises the excess count and still runs, after <see cref="RateLimitOptions.ThrottleStep"/>
/// × the count; it enters the window like any admitted operation.</item>
/// <item>The operation that raises the count to <see cref="RateLimitOptions.BlockAfter"/> blocks the plugin and is refused,
/// as is every later one, until <see cref="Unblock"/> (which resets the count; the window keeps the real recent calls).
/// Refused operations never enter the window.</item>
/// <item>Decay (upstream's count never drops): the count goes down by one for every full window that passes without an
/// excess operation, measured from the last excess (or the last step down). A blocked plugin does not decay.</item>
/// </list>
/// One instance per plugin (each <see cref="PluginFacade"/> owns its own; upstream shared one between plugins, so
/// blocking one blocked all). Time comes only from the injected <see cref="TimeProvider"/>'s monotonic timestamp.
/// Thread-safe: one short lock per operation; a plugin's operations are few and serialised by its guest anyway, so the
/// lock is uncontended where it matters and makes concurrent admissions count exactly.
/// </summary>
internal sealed class RateLimiter
{
    private readonly RateLimitOptions _options;
    private readonly TimeProvider _time;
    private readonly long _origin;
    private readonly long _windowTicks;
    private readonly object _lock = new();

    // Admission times (TimeSpan ticks since _origin) of the last _ring.Length admitted operations; _next is the slot the
    // next admission overwrites, which is also the oldest once _filled reaches the ring's length.
    private readonly long[] _ring;
    private int _next;
    private int _filled;

    private int _excess;
    private long _decayFrom;
    private bool _blocked;

    public RateLimiter(RateLimitOptions options, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(time);
        options.Validate();
        _options = options;
        _time = time;
        _origin = time.GetTimestamp();
        _windowTicks = options.Window.Ticks;
        _ring = new long[options.MaxCalls];
    }

    /// <summary>Whether the plugin is blocked until <see cref="Unblock"/>.</summary>
    public bool IsBlocked
    {
        get
        {
            lock (_lock) return _blocked;
        }
    }

    /// <summary>The current excess count (after decay).</summary>
    public int ExcessCount
    {
        get
        {
            lock (_lock)
            {
                Decay(Now());
                return _excess;
            }
        }
    }

    /// <summary>Counts one operation now and says whether it may run, after which delay.</summary>
    public RateDecision Admit()
    {
        lock (_lock)
        {
            if (_blocked) return new RateDecision(TimeSpan.Zero, Throttled: false, Blocked: true, JustBlocked: false, _excess);
            var now = Now();
            Decay(now);
            var over = _filled == _ring.Length && now - _ring[_next] < _windowTicks;
            if (!over)
            {
                Record(now);
                return new RateDecision(TimeSpan.Zero, Throttled: false, Blocked: false, JustBlocked: false, _excess);
            }
            _excess++;
            _decayFrom = now;
            if (_excess >= _options.BlockAfter)
            {
                _blocked = true;
                return new RateDecision(TimeSpan.Zero, Throttled: false, Blocked: true, JustBlocked: true, _excess);
            }
            Record(now);
            return new RateDecision(_options.ThrottleStep * _excess, Throttled: true, Blocked: false, JustBlocked: false, _excess);
        }
    }

    /// <summary>Lifts a block and resets the excess count (VYRA's <c>unblock</c>).</summary>
    public void Unblock()
    {
        lock (_lock)
        {
            _blocked = false;
            _excess = 0;
            _decayFrom = Now();
        }
    }

    private long Now() => _time.GetElapsedTime(_origin).Ticks;

    private void Record(long now)
    {
        _ring[_next] = now;
        _next = _next + 1 == _ring.Length ? 0 : _next + 1;
        if (_filled < _ring.Length) _filled++;
    }

    private void Decay(long now)
    {
        if (_blocked || _excess == 0) return;
        var windows = (now - _decayFrom) / _windowTicks;
        if (windows <= 0) return;
        if (windows >= _excess)
        {
            _excess = 0;
            return;
        }
        _excess -= (int)windows;
        _decayFrom += windows * _windowTicks;
    }
}

/// <summary>The limiter's answer for one operation.</summary>
/// <param name="Delay">How long to wait before running it (zero when within the limit).</param>
/// <param name="Throttled">It is over the limit and runs after <paramref name="Delay"/> (count and log it).</param>
/// <param name="Blocked">The plugin is blocked: refuse the operation.</param>
/// <param name="JustBlocked">This operation is the one that blocked the plugin (log it once).</param>
/// <param name="ExcessCount">The plugin's excess count after this operation.</param>
internal readonly record struct RateDecision(TimeSpan Delay, bool Throttled, bool Blocked, bool JustBlocked, int ExcessCount);
