using Microsoft.Extensions.Time.Testing;
using Vyra.Sdk;
using Xunit;

namespace Vyra.Sdk.Tests.Bus;

/// <summary>VYRA's rate limit (§4) on a clock the test moves: sliding window, growing throttle, block, unblock, decay.</summary>
public class RateLimiterTests
{
    private static readonly TimeSpan Step = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan Window = TimeSpan.FromSeconds(10);

    private static RateLimiter Limiter(FakeTimeProvider clock, int maxCalls = 3, int blockAfter = 10) =>
        new(new RateLimitOptions { MaxCalls = maxCalls, Window = Window, ThrottleStep = Step, BlockAfter = blockAfter }, clock);

    private static void Fill(RateLimiter limiter, int calls)
    {
        for (var i = 0; i < calls; i++)
        {
            var decision = limiter.Admit();
            Assert.False(decision.Throttled || decision.Blocked);
        }
    }

    [Fact]
    public void Calls_within_the_limit_run_at_once()
    {
        var limiter = Limiter(new FakeTimeProvider(), maxCalls: 50);
        for (var i = 0; i < 50; i++)
        {
            var decision = limiter.Admit();
            Assert.False(decision.Throttled);
            Assert.False(decision.Blocked);
            Assert.Equal(TimeSpan.Zero, decision.Delay);
        }
        Assert.Equal(0, limiter.ExcessCount);
    }

    [Fact]
    public void Each_call_over_the_limit_is_delayed_by_the_step_times_the_count_until_the_block()
    {
        var limiter = Limiter(new FakeTimeProvider(), blockAfter: 10);
        Fill(limiter, 3);
        for (var count = 1; count < 10; count++)
        {
            var decision = limiter.Admit();
            Assert.True(decision.Throttled);
            Assert.False(decision.Blocked);
            Assert.Equal(count, decision.ExcessCount);
            Assert.Equal(Step * count, decision.Delay);
        }
        var blocking = limiter.Admit();
        Assert.Equal((true, true, false, 10), (blocking.Blocked, blocking.JustBlocked, blocking.Throttled, blocking.ExcessCount));
        Assert.True(limiter.IsBlocked);

        // Every later call is refused, and only the first refusal says it blocked the plugin.
        for (var i = 0; i < 5; i++)
        {
            var refused = limiter.Admit();
            Assert.True(refused.Blocked);
            Assert.False(refused.JustBlocked);
        }
    }

    [Fact]
    public void A_block_outlasts_any_quiet_time_and_Unblock_lifts_it_and_resets_the_count()
    {
        var clock = new FakeTimeProvider();
        var limiter = Limiter(clock, blockAfter: 2);
        Fill(limiter, 3);
        Assert.True(limiter.Admit().Throttled);
        Assert.True(limiter.Admit().JustBlocked);

        clock.Advance(TimeSpan.FromDays(1));
        Assert.True(limiter.IsBlocked);
        Assert.True(limiter.Admit().Blocked);
        Assert.Equal(2, limiter.ExcessCount); // no decay while blocked

        limiter.Unblock();
        Assert.False(limiter.IsBlocked);
        Assert.Equal(0, limiter.ExcessCount);
        Assert.False(limiter.Admit().Throttled); // a day later the window is empty
    }

    [Fact]
    public void After_Unblock_the_window_still_holds_the_recent_calls_so_the_count_starts_again_at_one()
    {
        var limiter = Limiter(new FakeTimeProvider(), blockAfter: 2);
        Fill(limiter, 3);
        limiter.Admit();
        Assert.True(limiter.Admit().Blocked);
        limiter.Unblock();

        var next = limiter.Admit();
        Assert.True(next.Throttled);
        Assert.Equal(1, next.ExcessCount);
        Assert.Equal(Step, next.Delay);
    }

    [Fact]
    public void The_window_slides_instead_of_resetting()
    {
        var clock = new FakeTimeProvider();
        var limiter = Limiter(clock, maxCalls: 3);
        limiter.Admit(); // t=0
        clock.Advance(TimeSpan.FromSeconds(4));
        limiter.Admit(); // t=4
        clock.Advance(TimeSpan.FromSeconds(4));
        limiter.Admit(); // t=8
        clock.Advance(TimeSpan.FromSeconds(1));
        Assert.True(limiter.Admit().Throttled); // t=9: three calls in the last 10 s (it enters the window too)

        clock.Advance(TimeSpan.FromSeconds(1)); // t=10: the t=0 call has left; t=4, 8, 9 are still in
        Assert.True(limiter.Admit().Throttled);
        clock.Advance(TimeSpan.FromSeconds(4)); // t=14: t=4 has left; t=8, 9, 10 are in
        Assert.True(limiter.Admit().Throttled);
        clock.Advance(TimeSpan.FromSeconds(6)); // t=20: t=8, 9, 10 have left; t=14 is in
        Assert.False(limiter.Admit().Throttled);
        Assert.False(limiter.Admit().Throttled);
        Assert.True(limiter.Admit().Throttled); // t=14, 20, 20 fill it again
    }

    [Fact]
    public void A_call_exactly_one_window_after_the_oldest_is_within_the_limit()
    {
        var clock = new FakeTimeProvider();
        var limiter = Limiter(clock, maxCalls: 1);
        limiter.Admit();
        clock.Advance(Window - TimeSpan.FromTicks(1));
        Assert.True(limiter.Admit().Throttled);

        var fresh = Limiter(clock, maxCalls: 1);
        fresh.Admit();
        clock.Advance(Window);
        Assert.False(fresh.Admit().Throttled);
    }

    [Fact]
    public void The_count_decays_by_one_per_full_window_without_an_excess_call()
    {
        var clock = new FakeTimeProvider();
        var limiter = Limiter(clock, maxCalls: 1, blockAfter: 4);
        limiter.Admit();
        Assert.Equal(1, limiter.Admit().ExcessCount);
        Assert.Equal(2, limiter.Admit().ExcessCount);
        Assert.Equal(3, limiter.Admit().ExcessCount);

        clock.Advance(Window - TimeSpan.FromTicks(1));
        Assert.Equal(3, limiter.ExcessCount); // a partial window does not count
        clock.Advance(TimeSpan.FromTicks(1));
        Assert.Equal(2, limiter.ExcessCount);
        clock.Advance(Window * 1.5);
        Assert.Equal(1, limiter.ExcessCount); // the half window carries over
        clock.Advance(Window * 0.5);
        Assert.Equal(0, limiter.ExcessCount);
        clock.Advance(Window * 100);
        Assert.Equal(0, limiter.ExcessCount);
    }

    [Fact]
    public void Occasional_bursts_never_block_a_plugin_as_upstream_would()
    {
        // Upstream's count never drops: ten bursts a minute apart, each one call over the limit, block the plugin.
        var clock = new FakeTimeProvider();
        var limiter = Limiter(clock, maxCalls: 5, blockAfter: 10);
        for (var burst = 0; burst < 100; burst++)
        {
            for (var i = 0; i < 5; i++) Assert.False(limiter.Admit().Throttled);
            var over = limiter.Admit();
            Assert.True(over.Throttled);
            Assert.Equal(1, over.ExcessCount);
            clock.Advance(TimeSpan.FromMinutes(1));
        }
        Assert.False(limiter.IsBlocked);
    }

    [Fact]
    public void Each_excess_call_restarts_the_quiet_window_the_decay_waits_for()
    {
        var clock = new FakeTimeProvider();
        var limiter = Limiter(clock, maxCalls: 1, blockAfter: 10);
        limiter.Admit();
        limiter.Admit();
        limiter.Admit();
        Assert.Equal(2, limiter.ExcessCount);
        clock.Advance(Window * 0.9);
        Assert.Equal(3, limiter.Admit().ExcessCount); // the window is still full: over again
        clock.Advance(Window * 0.9);
        Assert.Equal(3, limiter.ExcessCount); // 1.8 windows since the first excess, but only 0.9 since the last
        clock.Advance(Window * 0.1);
        Assert.Equal(2, limiter.ExcessCount);
    }

    [Fact]
    public void Concurrent_admissions_are_counted_exactly()
    {
        // A frozen clock: exactly MaxCalls pass, each later one raises the count by exactly one, exactly one blocks.
        const int calls = 20_000, maxCalls = 1_000, blockAfter = 15_000;
        var limiter = Limiter(new FakeTimeProvider(), maxCalls, blockAfter);
        var decisions = new RateDecision[calls];
        Parallel.For(0, calls, new ParallelOptions { MaxDegreeOfParallelism = 8 }, i => decisions[i] = limiter.Admit());

        Assert.Equal(maxCalls, decisions.Count(d => !d.Throttled && !d.Blocked));
        var throttled = decisions.Where(d => d.Throttled).Select(d => d.ExcessCount).Order().ToArray();
        Assert.Equal(Enumerable.Range(1, blockAfter - 1), throttled);
        Assert.Equal(1, decisions.Count(d => d.JustBlocked));
        Assert.Equal(blockAfter, decisions.Single(d => d.JustBlocked).ExcessCount);
        Assert.Equal(calls - maxCalls - (blockAfter - 1), decisions.Count(d => d.Blocked));
        Assert.Equal(blockAfter, limiter.ExcessCount);
    }

    [Theory]
    [InlineData(0, 10_000, 100, 10, "MaxCalls")]
    [InlineData(-1, 10_000, 100, 10, "MaxCalls")]
    [InlineData(100_001, 10_000, 100, 10, "MaxCalls")]
    [InlineData(50, 0, 100, 10, "Window")]
    [InlineData(50, -5, 100, 10, "Window")]
    [InlineData(50, 10_000, -1, 10, "ThrottleStep")]
    [InlineData(50, 10_000, 100, 0, "BlockAfter")]
    [InlineData(50, 10_000, 3_600_000, 10_000, "ThrottleStep")] // an hour × 9999 is past what a timer takes
    public void Invalid_options_are_refused_naming_the_field(int maxCalls, int windowMs, int stepMs, int blockAfter, string field)
    {
        var options = new RateLimitOptions
        {
            MaxCalls = maxCalls,
            Window = TimeSpan.FromMilliseconds(windowMs),
            ThrottleStep = TimeSpan.FromMilliseconds(stepMs),
            BlockAfter = blockAfter,
        };
        var error = Assert.Throws<ArgumentException>(() => new PluginFacade("p", null, new RecordingInterfaceFactory(), new PluginBusOptions { RateLimit = options }));
        Assert.Contains("RateLimitOptions." + field, error.Message);
        Assert.Equal("options", error.ParamName);
    }

    [Fact]
    public void The_extremes_that_are_allowed_work()
    {
        var clock = new FakeTimeProvider();
        // No throttle step: over the limit is counted but not delayed; BlockAfter 1: the first excess blocks.
        var counting = new RateLimiter(new RateLimitOptions { MaxCalls = 1, ThrottleStep = TimeSpan.Zero }, clock);
        counting.Admit();
        Assert.Equal((true, TimeSpan.Zero), (counting.Admit().Throttled, counting.Admit().Delay));
        var strict = new RateLimiter(new RateLimitOptions { MaxCalls = 1, BlockAfter = 1 }, clock);
        strict.Admit();
        Assert.True(strict.Admit().JustBlocked);
        var huge = new RateLimiter(new RateLimitOptions { Window = TimeSpan.FromDays(3650), MaxCalls = 100_000 }, clock);
        Assert.False(huge.Admit().Throttled);
    }
}
