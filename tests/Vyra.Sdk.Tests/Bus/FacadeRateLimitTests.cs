using System.Text.Json;
using Microsoft.Extensions.Time.Testing;
using Vyra.Sdk;
using Xunit;

namespace Vyra.Sdk.Tests.Bus;

/// <summary>
/// The rate limit as a plugin meets it through its facade: throttle delays wait on the injected clock (the test moves
/// it; nothing sleeps), a block refuses every operation with <see cref="PluginErrorKind.Blocked"/>, and each plugin has
/// its own limiter even when the hosts share one options object.
/// </summary>
public class FacadeRateLimitTests
{
    // Generous for a task that should already be done: only a hang guard, never a timing assertion.
    private static readonly TimeSpan Guard = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan Step = TimeSpan.FromMilliseconds(100);
    private static readonly JsonElement Payload = JsonSerializer.SerializeToElement(new { value = 1 });
    private static readonly Dictionary<string, object?> Data = new() { ["n"] = 1 };

    private static readonly PluginPermissions PublishSensors = new([new InterfacePermission("publish", "sensors")]);

    private static (PluginFacade Facade, RecordingInterfaceFactory Transport) Facade(
        string id, FakeTimeProvider clock, RateLimitOptions? limit = null, PluginPermissions? permissions = null)
    {
        var transport = new RecordingInterfaceFactory();
        var options = new PluginBusOptions
        {
            TimeProvider = clock,
            RateLimit = limit ?? new RateLimitOptions { MaxCalls = 3, Window = TimeSpan.FromSeconds(10), ThrottleStep = Step, BlockAfter = 4 },
        };
        return (new PluginFacade(id, permissions ?? PublishSensors, transport, options), transport);
    }

    [Fact]
    public async Task A_throttled_operation_waits_exactly_its_delay_on_the_injected_clock_before_reaching_the_transport()
    {
        var clock = new FakeTimeProvider();
        var (facade, transport) = Facade("throttled", clock);
        for (var i = 0; i < 3; i++) await facade.PublishAsync("sensors/t", Payload);
        Assert.Equal(3, transport.Journal.Count(j => j.StartsWith("publish ", StringComparison.Ordinal)));

        // First excess: one step. The transport is not reached until the clock has moved that far.
        var first = facade.PublishAsync("sensors/t", Payload).AsTask();
        Assert.False(first.IsCompleted);
        clock.Advance(Step - TimeSpan.FromTicks(1));
        Assert.False(first.IsCompleted);
        Assert.Equal(3, transport.Journal.Count(j => j.StartsWith("publish ", StringComparison.Ordinal)));
        clock.Advance(TimeSpan.FromTicks(1));
        await first.WaitAsync(Guard);
        Assert.Equal(4, transport.Journal.Count(j => j.StartsWith("publish ", StringComparison.Ordinal)));

        // Second excess: two steps.
        var second = facade.NotifyUiAsync("progress", Data).AsTask();
        clock.Advance(Step);
        Assert.False(second.IsCompleted);
        Assert.DoesNotContain("notify_ui progress", transport.Journal);
        clock.Advance(Step);
        await second.WaitAsync(Guard);
        Assert.Contains("notify_ui progress", transport.Journal);
    }

    [Fact]
    public async Task A_cancelled_wait_ends_the_operation_without_reaching_the_transport()
    {
        var clock = new FakeTimeProvider();
        var (facade, transport) = Facade("cancelled", clock);
        for (var i = 0; i < 3; i++) await facade.NotifyUiAsync("tick", Data);
        using var cts = new CancellationTokenSource();
        var waiting = facade.PublishAsync("sensors/t", Payload, cts.Token).AsTask();
        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting.WaitAsync(Guard));
        clock.Advance(TimeSpan.FromMinutes(1));
        Assert.DoesNotContain(transport.Journal, j => j.StartsWith("publish ", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Blocked_after_BlockAfter_excess_operations_every_operation_is_refused_with_a_message_naming_plugin_operation_and_limit()
    {
        var clock = new FakeTimeProvider();
        var (facade, transport) = Facade("hammer", clock);
        for (var i = 0; i < 3; i++) await facade.NotifyUiAsync("tick", Data);
        for (var count = 1; count < 4; count++)
        {
            var delayed = facade.NotifyUiAsync("tick", Data).AsTask();
            clock.Advance(Step * count);
            await delayed.WaitAsync(Guard);
        }
        Assert.False(facade.IsBlocked);

        var blocking = await Assert.ThrowsAsync<PluginCallException>(() => facade.PublishAsync("sensors/t", Payload).AsTask());
        Assert.Equal(PluginErrorKind.Blocked, blocking.Kind);
        Assert.True(facade.IsBlocked);
        Assert.Equal("hammer", blocking.PluginId);
        Assert.Equal("publish", blocking.FunctionName);
        Assert.Contains("plugin 'hammer' is blocked", blocking.Message);
        Assert.Contains("publish on 'sensors/t'", blocking.Message);
        Assert.Contains("3 operations per 10 s", blocking.Message);
        Assert.Contains("4 times", blocking.Message);
        Assert.Contains("PluginFacade.Unblock", blocking.Message);

        // Every transport and notify_ui are refused, at once (no delay), and none reaches the transport.
        var before = transport.Journal.Count;
        clock.Advance(TimeSpan.FromDays(1));
        await AssertBlocked(() => facade.PublishAsync("sensors/t", Payload).AsTask(), "publish");
        await AssertBlocked(() => facade.NotifyUiAsync("tick", Data).AsTask(), "notify_ui");
        Assert.Equal(before, transport.Journal.Count);
    }

    [Fact]
    public async Task Unblock_lets_the_plugin_operate_again_with_its_count_reset()
    {
        var clock = new FakeTimeProvider();
        var (facade, transport) = Facade("unblocked", clock, new RateLimitOptions { MaxCalls = 1, ThrottleStep = Step, BlockAfter = 2 });
        await facade.NotifyUiAsync("tick", Data);
        var delayed = facade.NotifyUiAsync("tick", Data).AsTask();
        clock.Advance(Step);
        await delayed.WaitAsync(Guard);
        await AssertBlocked(() => facade.NotifyUiAsync("tick", Data).AsTask(), "notify_ui");

        facade.Unblock();
        Assert.False(facade.IsBlocked);
        // The window still holds the recent call, so the next one is over the limit again, but at count one: one step.
        var again = facade.PublishAsync("sensors/t", Payload).AsTask();
        clock.Advance(Step);
        await again.WaitAsync(Guard);
        Assert.Contains(transport.Journal, j => j.StartsWith("publish sensors/t", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Two_plugins_have_independent_limiters_even_with_one_options_object()
    {
        var clock = new FakeTimeProvider();
        var shared = new RateLimitOptions { MaxCalls = 2, ThrottleStep = TimeSpan.Zero, BlockAfter = 2 };
        var (hostile, _) = Facade("hostile", clock, shared);
        var (quiet, quietTransport) = Facade("quiet", clock, shared);

        await hostile.NotifyUiAsync("spam", Data);
        await hostile.NotifyUiAsync("spam", Data);
        await hostile.NotifyUiAsync("spam", Data);
        await AssertBlocked(() => hostile.NotifyUiAsync("spam", Data).AsTask(), "notify_ui");
        Assert.True(hostile.IsBlocked);

        Assert.False(quiet.IsBlocked);
        await quiet.NotifyUiAsync("reading", Data);
        await quiet.PublishAsync("sensors/t", Payload);
        Assert.Equal(["notify_ui reading", "create publisher sensors/t"], quietTransport.Journal.Take(2));

        hostile.Unblock();
        Assert.False(quiet.IsBlocked);
    }

    [Fact]
    public async Task Concurrent_operations_through_one_facade_are_counted_exactly()
    {
        // No throttle step, so nothing waits: of 400 concurrent operations, 10 are within the limit, 19 more run
        // throttled (count 1..19), the 20th excess blocks, and the other 370 are refused.
        var clock = new FakeTimeProvider();
        var (facade, transport) = Facade("parallel", clock, new RateLimitOptions { MaxCalls = 10, ThrottleStep = TimeSpan.Zero, BlockAfter = 20 });
        var blocked = 0;
        await Parallel.ForAsync(0, 400, new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (i, ct) =>
        {
            try
            {
                if (i % 2 == 0) await facade.NotifyUiAsync("tick", Data, ct);
                else await facade.PublishAsync("sensors/t", Payload, ct);
            }
            catch (PluginCallException e) when (e.Kind == PluginErrorKind.Blocked)
            {
                Interlocked.Increment(ref blocked);
            }
        });
        var ran = transport.Journal.Count(j => j.StartsWith("notify_ui ", StringComparison.Ordinal) || j.StartsWith("publish ", StringComparison.Ordinal));
        Assert.Equal(29, ran);
        Assert.Equal(371, blocked);
        Assert.True(facade.IsBlocked);
        Assert.Single(transport.Handles); // one publisher for the one topic, however many callers raced for it
    }

    private static async Task AssertBlocked(Func<Task> operation, string name)
    {
        var task = operation();
        Assert.True(task.IsCompleted, $"{name} on a blocked plugin must be refused at once, not delayed");
        var error = await Assert.ThrowsAsync<PluginCallException>(() => task);
        Assert.Equal(PluginErrorKind.Blocked, error.Kind);
        Assert.Equal(name, error.FunctionName);
    }
}
