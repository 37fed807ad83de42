using System.Text.Json;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Vyra.Sdk;
using Vyra.Sdk.Tests.Support;
using Xunit;

namespace Vyra.Sdk.Tests.Bus;

/// <summary>
/// How the in-process bus delivers to a plugin's <c>on_event</c> (docs/bus.md, "Delivery"): handed off from the
/// publisher's call when nothing is queued, and from the end of each delivery to the next, never on the publisher's
/// thread nor in its execution context, in order per subscription, with the bounded queue and its drop count unchanged.
/// Real Wasmtime, guests from <see cref="BusPlugin"/>; every wait is on a signal.
/// </summary>
public class BusDeliveryTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(15);
    private static readonly InterfaceAddress Topic = new("local", null, "t");

    private static PluginRuntimeOptions Options(GuestConcurrency? cap = null, bool guestThreads = true) => new()
    {
        Bus = PluginBusOptions.Default,
        GuestConcurrency = cap,
        GuestThreads = guestThreads,
        Timeout = TimeSpan.FromSeconds(15),
    };

    private static async Task<WasmRuntime> StartAsync(TempPlugin plugin, string id, BaseHostFunctions host, PluginRuntimeOptions? options = null)
    {
        var runtime = new WasmRuntime(id, plugin.ModulePath, host, null, options ?? Options());
        await runtime.StartAsync();
        return runtime;
    }

    private static PluginEvent Event(string publisher, int n) => new("t", publisher, BusPlugin.Json($$"""{"p":"{{publisher}}","n":{{n}}}"""));

    [Fact]
    public async Task Racing_publishers_keep_their_order_through_a_backlog_and_every_event_is_handed_off()
    {
        const int perPublisher = 300;
        var bus = new InProcessBus(new InProcessBusOptions { QueueCapacity = 4096 });
        var host = new DeliveryHost(bus, gated: true);
        using var plugin = BusPlugin.Create("sub");
        await using var subscriber = await StartAsync(plugin, "sub", host);
        await subscriber.CallAsync("subscribe_to", BusPlugin.Args(("topic", "t")));
        var subscription = Assert.Single(bus.SubscriptionsOf(Topic));
        await using var a = await bus.CreatePublisherAsync(Topic);
        await using var b = await bus.CreatePublisherAsync(Topic);

        await a.PublishAsync(Event("a", 0));
        await host.Entered.WaitAsync(Bound); // the first delivery holds the subscriber: what follows queues up behind it
        var publishingA = Task.Run(async () =>
        {
            for (var i = 1; i < perPublisher; i++)
            {
                await a.PublishAsync(Event("a", i));
                if (i == perPublisher / 2) host.Open(); // the rest races the draining backlog
            }
        });
        var publishingB = Task.Run(async () =>
        {
            for (var i = 0; i < perPublisher; i++) await b.PublishAsync(Event("b", i));
        });
        await Task.WhenAll(publishingA, publishingB).WaitAsync(Bound);
        host.Open();

        var seen = new Dictionary<string, List<int>> { ["a"] = [], ["b"] = [] };
        for (var i = 0; i < 2 * perPublisher; i++)
        {
            using var data = JsonDocument.Parse(await host.NextDataAsync());
            seen[data.RootElement.GetProperty("p").GetString()!].Add(data.RootElement.GetProperty("n").GetInt32());
        }
        Assert.Equal(Enumerable.Range(0, perPublisher), seen["a"]);
        Assert.Equal(Enumerable.Range(0, perPublisher), seen["b"]);
        Assert.Equal(0, subscription.Dropped);
        // None went through the pool pump: the publisher handed off the first, each delivery's end the next.
        Assert.Equal(2 * perPublisher, subscription.HandedOff);
        Assert.Equal(2 * perPublisher, (await subscriber.CallAsync("event_count"))["result"]);
    }

    private static readonly AsyncLocal<string?> Marker = new();

    [Fact]
    public async Task A_publishers_execution_context_never_reaches_the_host_functions_of_the_subscriber()
    {
        var bus = new InProcessBus();
        var host = new DeliveryHost(bus, gated: false);
        using var ps = BusPlugin.Create("sub");
        using var pp = BusPlugin.Create("pub");
        await using var subscriber = await StartAsync(ps, "sub", host);
        await using var publisher = await StartAsync(pp, "pub", new BusHost(bus));
        await subscriber.CallAsync("subscribe_to", BusPlugin.Args(("topic", "t")));
        var subscription = Assert.Single(bus.SubscriptionsOf(Topic));

        // Host code publishing for a plugin: the hand-off starts on this very thread.
        Marker.Value = "host publisher";
        var publisherThread = Environment.CurrentManagedThreadId;
        await publisher.Facade.PublishAsync("t", BusPlugin.Json("1"));
        var first = await host.NextAsync(); // on_event logs the topic, then the data
        var firstData = await host.NextAsync();

        // A guest publishing inside its call: the call's guest thread runs in this context (the marker flows there).
        Marker.Value = "guest publisher";
        await publisher.CallAsync("publish_to", BusPlugin.Args(("topic", "t"), ("payload", 2)));
        var second = await host.NextAsync();
        var secondData = await host.NextAsync();

        Assert.Equal(["t", "1", "t", "2"], new[] { first.Line, firstData.Line, second.Line, secondData.Line });
        Assert.All(new[] { first, firstData, second, secondData }, seen => Assert.Null(seen.Marker));
        Assert.All(new[] { first, firstData }, seen => Assert.NotEqual(publisherThread, seen.Thread));
        Assert.Equal(2, subscription.HandedOff);
    }

    [Fact]
    public async Task A_plugin_publishing_to_itself_gets_every_event_after_its_call_in_order_even_with_one_guest_slot()
    {
        var bus = new InProcessBus();
        var cap = new GuestConcurrency(1);
        var host = new DeliveryHost(bus, gated: false);
        using var plugin = BusPlugin.Create("self");
        await using var runtime = await StartAsync(plugin, "self", host, Options(cap));
        await runtime.CallAsync("subscribe_to", BusPlugin.Args(("topic", "flood")));
        var subscription = Assert.Single(bus.SubscriptionsOf(new InterfaceAddress("local", null, "flood")));

        // flood(5) publishes five times from inside its own call: no Reentrant, no wait for itself, no deadlock on the slot.
        var published = await runtime.CallAsync("flood", BusPlugin.Args(("n", 5))).AsTask().WaitAsync(Bound);

        Assert.Equal(5, published["result"]);
        for (var i = 0; i < 5; i++)
        {
            Assert.Equal("flood", (await host.NextAsync()).Line);
            Assert.Equal("1", (await host.NextAsync()).Line);
        }
        Assert.Equal(5, (await runtime.CallAsync("event_count"))["result"]);
        Assert.Equal(5, subscription.HandedOff);
        Assert.Equal(0, subscription.Dropped);
        Assert.Equal(0, cap.Running);
    }

    [Fact]
    public async Task A_slow_subscriber_never_blocks_its_publisher_and_drops_beyond_its_queue()
    {
        var bus = new InProcessBus(new InProcessBusOptions { QueueCapacity = 4 });
        var host = new DeliveryHost(bus, gated: true);
        using var ps = BusPlugin.Create("slow");
        using var pp = BusPlugin.Create("fast");
        await using var subscriber = await StartAsync(ps, "slow", host);
        await using var publisher = await StartAsync(pp, "fast", new BusHost(bus));
        await subscriber.CallAsync("subscribe_to", BusPlugin.Args(("topic", "flood")));
        var subscription = Assert.Single(bus.SubscriptionsOf(new InterfaceAddress("local", null, "flood")));

        // The subscriber's on_event is stuck in a host function until the gate opens; the publisher's call ends anyway.
        var published = await publisher.CallAsync("flood", BusPlugin.Args(("n", 20))).AsTask().WaitAsync(Bound);

        Assert.Equal(20, published["result"]);
        Assert.False(host.IsOpen);
        Assert.Equal(15, subscription.Dropped); // 1 being delivered, 4 queued, 15 dropped
        Assert.Equal(4, subscription.Queued);
        host.Open();
        for (var i = 0; i < 5; i++)
        {
            Assert.Equal("flood", (await host.NextAsync()).Line);
            Assert.Equal("1", (await host.NextAsync()).Line);
        }
        Assert.Equal(5, (await subscriber.CallAsync("event_count"))["result"]);
    }

    [Fact]
    public async Task Stopping_the_subscriber_during_a_delivery_ends_it_and_delivers_nothing_that_was_queued()
    {
        var bus = new InProcessBus();
        var host = new DeliveryHost(bus, gated: true);
        using var plugin = BusPlugin.Create("leaver");
        var subscriber = await StartAsync(plugin, "leaver", host);
        await subscriber.CallAsync("subscribe_to", BusPlugin.Args(("topic", "t")));
        var subscription = Assert.Single(bus.SubscriptionsOf(Topic));
        await using var publisher = await bus.CreatePublisherAsync(Topic);

        await publisher.PublishAsync(Event("a", 1));
        await host.Entered.WaitAsync(Bound);
        await publisher.PublishAsync(Event("a", 2));
        await publisher.PublishAsync(Event("a", 3));
        Assert.Equal(2, subscription.Queued);

        var stopping = subscriber.StopAsync().AsTask();
        host.Open(); // the running delivery's host function returns; the stop interrupts or lets it end
        await stopping.WaitAsync(Bound);

        Assert.Equal(0, subscription.Queued);
        Assert.Equal(0, bus.SubscriberCount(Topic));
        await publisher.PublishAsync(Event("a", 4)); // nobody listens: fine, and nothing waits
        var lines = host.Drain();
        Assert.Equal("t", lines[0]);
        Assert.DoesNotContain(lines, line => line.Contains("\"n\":2", StringComparison.Ordinal) || line.Contains("\"n\":3", StringComparison.Ordinal) || line.Contains("\"n\":4", StringComparison.Ordinal));
        await subscriber.DisposeAsync();
    }

    [Fact]
    public async Task Without_guest_threads_a_plugins_events_go_through_the_pump_in_order_off_the_publishers_thread()
    {
        // A delivery without guest threads runs the guest on whoever starts it, so it must never be started by a publish.
        var bus = new InProcessBus();
        var host = new DeliveryHost(bus, gated: false);
        using var plugin = BusPlugin.Create("inline");
        await using var subscriber = await StartAsync(plugin, "inline", host, Options(guestThreads: false));
        await subscriber.CallAsync("subscribe_to", BusPlugin.Args(("topic", "t")));
        var subscription = Assert.Single(bus.SubscriptionsOf(Topic));
        await using var publisher = await bus.CreatePublisherAsync(Topic);

        var publisherThread = Environment.CurrentManagedThreadId;
        Marker.Value = "publisher";
        for (var i = 0; i < 20; i++) await publisher.PublishAsync(Event("a", i));

        for (var i = 0; i < 20; i++)
        {
            Assert.Equal("t", (await host.NextAsync()).Line);
            var data = await host.NextAsync();
            using var json = JsonDocument.Parse(data.Line);
            Assert.Equal(i, json.RootElement.GetProperty("n").GetInt32());
            Assert.NotEqual(publisherThread, data.Thread);
            Assert.Null(data.Marker);
        }
        Assert.Equal(0, subscription.HandedOff);
    }

    /// <summary>
    /// A subscriber's host: every guest log line arrives in a channel with the <see cref="Marker"/> and thread it ran
    /// with; while the gate is closed the log blocks (bounded), which holds the guest inside <c>on_event</c>.
    /// </summary>
    private sealed class DeliveryHost(IInterfaceFactory bus, bool gated) : BaseHostFunctions(null, bus)
    {
        private readonly Channel<(string Line, string? Marker, int Thread)> _lines = Channel.CreateUnbounded<(string, string?, int)>();
        private readonly ManualResetEventSlim _gate = new(!gated);
        private readonly TaskCompletionSource _entered = new(TaskCreationOptions.RunContinuationsAsynchronously);

        /// <summary>Completes when a guest first logged.</summary>
        public Task Entered => _entered.Task;

        public bool IsOpen => _gate.IsSet;

        public void Open() => _gate.Set();

        public override ValueTask LogAsync(LogLevel level, string message, CancellationToken cancellationToken = default)
        {
            _lines.Writer.TryWrite((message, Marker.Value, Environment.CurrentManagedThreadId));
            _entered.TrySetResult();
            if (!_gate.Wait(Bound)) throw new TimeoutException("the test never opened the gate");
            return ValueTask.CompletedTask;
        }

        public async Task<(string Line, string? Marker, int Thread)> NextAsync() => await _lines.Reader.ReadAsync().AsTask().WaitAsync(Bound);

        /// <summary>The next line that is not the topic <c>t</c> (on_event logs the topic, then the data).</summary>
        public async Task<string> NextDataAsync()
        {
            while (true)
            {
                var (line, _, _) = await NextAsync();
                if (line != "t") return line;
            }
        }

        public List<string> Drain()
        {
            var lines = new List<string>();
            while (_lines.Reader.TryRead(out var item)) lines.Add(item.Line);
            return lines;
        }
    }
}
