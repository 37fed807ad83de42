using System.Diagnostics.Metrics;
using System.Text.Json;
using System.Threading.Channels;
using Vyra.Sdk;
using Vyra.Sdk.Tests.Support;
using Xunit;

namespace Vyra.Sdk.Tests.Bus;

/// <summary>The in-process transport on its own: fan-out, delivery threads and context, bounds, disposal, services.</summary>
public class InProcessBusTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(15);
    private static readonly InterfaceAddress Topic = new("local", null, "t");
    private static readonly InterfaceAddress Service = new("local", null, "s");
    private static readonly JsonElement One = BusPlugin.Json("1");

    private static PluginEvent Event(int n) => new("t", "p", BusPlugin.Json(n.ToString(System.Globalization.CultureInfo.InvariantCulture)));

    private static Func<PluginEvent, CancellationToken, ValueTask> Into(Channel<PluginEvent> channel) => (e, _) =>
    {
        channel.Writer.TryWrite(e);
        return ValueTask.CompletedTask;
    };

    private static async Task<PluginEvent> Next(Channel<PluginEvent> channel) => await channel.Reader.ReadAsync().AsTask().WaitAsync(Bound);

    [Fact]
    public async Task An_event_reaches_every_subscription_of_the_exact_address_only()
    {
        var bus = new InProcessBus();
        var a = Channel.CreateUnbounded<PluginEvent>();
        var b = Channel.CreateUnbounded<PluginEvent>();
        var other = Channel.CreateUnbounded<PluginEvent>();
        await using var sa = await bus.CreateSubscriberAsync(Topic, Into(a));
        await using var sb = await bus.CreateSubscriberAsync(Topic, Into(b));
        await using var so = await bus.CreateSubscriberAsync(new InterfaceAddress("other", null, "t"), Into(other));
        await using var publisher = await bus.CreatePublisherAsync(Topic);

        await publisher.PublishAsync(Event(1));
        await publisher.PublishAsync(Event(2));

        Assert.Equal(1, (await Next(a)).Data.GetInt32());
        Assert.Equal(2, (await Next(a)).Data.GetInt32()); // in order per subscription
        Assert.Equal(1, (await Next(b)).Data.GetInt32());
        Assert.False(other.Reader.TryRead(out _));
    }

    private static readonly AsyncLocal<string?> Marker = new();

    [Fact]
    public async Task Delivery_runs_off_the_publishers_thread_without_its_execution_context()
    {
        var bus = new InProcessBus();
        var seen = new TaskCompletionSource<(int Thread, string? Marker)>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var subscription = await bus.CreateSubscriberAsync(Topic, (_, _) =>
        {
            seen.TrySetResult((Environment.CurrentManagedThreadId, Marker.Value));
            return ValueTask.CompletedTask;
        });
        await using var publisher = await bus.CreatePublisherAsync(Topic);

        var publisherThread = 0;
        await Task.Run(async () =>
        {
            Marker.Value = "publisher";
            publisherThread = Environment.CurrentManagedThreadId;
            await publisher.PublishAsync(Event(1));
            // Hold this thread until delivered: an inline delivery would have happened on it.
            await Task.Run(() => seen.Task.Wait(Bound));
        });

        var (thread, marker) = await seen.Task.WaitAsync(Bound);
        Assert.NotEqual(publisherThread, thread);
        Assert.Null(marker);
    }

    [Fact]
    public async Task A_handler_that_throws_loses_that_event_only()
    {
        var bus = new InProcessBus();
        var got = Channel.CreateUnbounded<PluginEvent>();
        await using var subscription = await bus.CreateSubscriberAsync(Topic, (e, ct) =>
        {
            if (e.Data.GetInt32() == 1) throw new InvalidOperationException("boom");
            return Into(got)(e, ct);
        });
        await using var publisher = await bus.CreatePublisherAsync(Topic);
        await publisher.PublishAsync(Event(1));
        await publisher.PublishAsync(Event(2));
        Assert.Equal(2, (await Next(got)).Data.GetInt32());
    }

    [Fact]
    public async Task Disposing_a_subscription_stops_delivery_and_is_idempotent()
    {
        var bus = new InProcessBus();
        var got = Channel.CreateUnbounded<PluginEvent>();
        var subscription = await bus.CreateSubscriberAsync(Topic, Into(got));
        var publisher = await bus.CreatePublisherAsync(Topic);
        await publisher.PublishAsync(Event(1));
        await Next(got);

        await subscription.DisposeAsync();
        await subscription.DisposeAsync();
        await publisher.PublishAsync(Event(2));

        Assert.Equal(0, bus.SubscriberCount(Topic));
        // A fresh subscription on the same address receives the next event; the disposed one never does.
        var later = Channel.CreateUnbounded<PluginEvent>();
        await using var again = await bus.CreateSubscriberAsync(Topic, Into(later));
        await publisher.PublishAsync(Event(3));
        Assert.Equal(3, (await Next(later)).Data.GetInt32());
        Assert.False(got.Reader.TryRead(out _));
    }

    [Fact]
    public async Task A_full_queue_drops_new_events_for_that_subscriber_only_and_counts_them()
    {
        var bus = new InProcessBus(new InProcessBusOptions { QueueCapacity = 4 });
        using var gate = new ManualResetEventSlim();
        var entered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var slowCount = 0;
        await using var slow = await bus.CreateSubscriberAsync(Topic, (_, ct) =>
        {
            entered.TrySetResult();
            gate.Wait(ct);
            Interlocked.Increment(ref slowCount);
            return ValueTask.CompletedTask;
        });
        var fast = Channel.CreateUnbounded<PluginEvent>();
        await using var quick = await bus.CreateSubscriberAsync(Topic, Into(fast));
        await using var publisher = await bus.CreatePublisherAsync(Topic);

        await publisher.PublishAsync(Event(0));
        await entered.Task.WaitAsync(Bound); // the slow handler holds event 0; its queue is empty
        Assert.Equal(0, (await Next(fast)).Data.GetInt32());
        for (var i = 1; i <= 10; i++)
        {
            await publisher.PublishAsync(Event(i));
            Assert.Equal(i, (await Next(fast)).Data.GetInt32()); // a subscriber that keeps up loses nothing
        }

        Assert.Equal(6, ((InProcessSubscription)slow).Dropped); // 4 queued, 6 dropped
        Assert.Equal(0, ((InProcessSubscription)quick).Dropped);
        gate.Set();
    }

    [Fact]
    public async Task Subscriptions_per_address_are_capped()
    {
        var bus = new InProcessBus(new InProcessBusOptions { MaxSubscribersPerAddress = 2 });
        await using var a = await bus.CreateSubscriberAsync(Topic, (_, _) => default);
        await using var b = await bus.CreateSubscriberAsync(Topic, (_, _) => default);
        var ex = await Assert.ThrowsAnyAsync<InvalidOperationException>(async () => await bus.CreateSubscriberAsync(Topic, (_, _) => default));
        Assert.Contains("MaxSubscribersPerAddress", ex.Message);
    }

    private static Func<ServiceRequest, CancellationToken, ValueTask<ServiceResponse>> Answer(string who) =>
        (r, _) => new(new ServiceResponse(who, true, r.Data));

    [Fact]
    public async Task Servers_of_one_address_share_requests_round_robin()
    {
        var bus = new InProcessBus();
        await using var a = await bus.CreateServerAsync(Service, Answer("a"));
        await using var b = await bus.CreateServerAsync(Service, Answer("b"));
        await using var client = await bus.CreateClientAsync(Service);
        var answers = new List<string?>();
        for (var i = 0; i < 4; i++) answers.Add((await client.RequestAsync(new ServiceRequest("c", "s", One), Bound)).PluginId);
        Assert.Equal(2, answers.Count(x => x == "a"));
        Assert.Equal(2, answers.Count(x => x == "b"));
    }

    [Fact]
    public async Task No_server_fails_at_once_and_a_silent_one_times_out()
    {
        var bus = new InProcessBus();
        await using var client = await bus.CreateClientAsync(Service);

        var none = await client.RequestAsync(new ServiceRequest("c", "s", One), TimeSpan.FromMinutes(10)).AsTask().WaitAsync(Bound);
        Assert.False(none.Success);
        Assert.Equal("no server for 'local/s'", none.Error);

        var cancelled = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var silent = await bus.CreateServerAsync(Service, async (_, ct) =>
        {
            await using var registration = ct.Register(() => cancelled.TrySetResult());
            await Task.Delay(Timeout.Infinite, ct);
            throw new InvalidOperationException("unreachable");
        });
        var timedOut = await client.RequestAsync(new ServiceRequest("c", "s", One), TimeSpan.FromMilliseconds(100)).AsTask().WaitAsync(Bound);
        Assert.False(timedOut.Success);
        Assert.Equal("timeout", timedOut.Error);
        await cancelled.Task.WaitAsync(Bound); // the server's token fired: abandoned work stops

        await silent.DisposeAsync();
        await silent.DisposeAsync();
        Assert.Equal("no server for 'local/s'", (await client.RequestAsync(new ServiceRequest("c", "s", One), Bound)).Error);
    }

    [Fact]
    public async Task A_failing_server_answers_a_failed_reply_without_its_exception_text()
    {
        var bus = new InProcessBus();
        await using var server = await bus.CreateServerAsync(Service, (_, _) => throw new InvalidOperationException("secret connection string"));
        await using var client = await bus.CreateClientAsync(Service);
        var reply = await client.RequestAsync(new ServiceRequest("c", "s", One), Bound);
        Assert.False(reply.Success);
        Assert.DoesNotContain("secret", reply.Error);
    }

    [Fact]
    public async Task A_full_server_answers_busy_at_once()
    {
        var bus = new InProcessBus(new InProcessBusOptions { MaxPendingRequestsPerServer = 1 });
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var server = await bus.CreateServerAsync(Service, async (r, _) =>
        {
            await release.Task;
            return new ServiceResponse("x", true, r.Data);
        });
        await using var client = await bus.CreateClientAsync(Service);
        var first = client.RequestAsync(new ServiceRequest("c", "s", One), Bound).AsTask();
        var second = await client.RequestAsync(new ServiceRequest("c", "s", One), Bound).AsTask().WaitAsync(Bound);
        Assert.StartsWith("server busy", second.Error);
        release.SetResult();
        Assert.True((await first.WaitAsync(Bound)).Success);
    }
}

/// <summary>The drop counter, read by a process-wide MeterListener.</summary>
[Collection(ProcessWideCollection.Name)]
public class InProcessBusTelemetryTests
{
    [Fact]
    public async Task Drops_are_counted_as_vyra_bus_dropped_with_the_address()
    {
        long dropped = 0;
        string? address = null;
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == "Vyra.Sdk" && instrument.Name == "vyra.bus.dropped") l.EnableMeasurementEvents(instrument);
        };
        listener.SetMeasurementEventCallback<long>((_, value, tags, _) =>
        {
            Interlocked.Add(ref dropped, value);
            foreach (var tag in tags) if (tag.Key == VyraTelemetry.BusAddressTag) address = (string?)tag.Value;
        });
        listener.Start();

        var bus = new InProcessBus(new InProcessBusOptions { QueueCapacity = 1 });
        using var gate = new ManualResetEventSlim();
        var entered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var topic = new InterfaceAddress("m", null, "drops");
        await using var slow = await bus.CreateSubscriberAsync(topic, (_, ct) =>
        {
            entered.TrySetResult();
            gate.Wait(ct);
            return ValueTask.CompletedTask;
        });
        await using var publisher = await bus.CreatePublisherAsync(topic);
        var message = new PluginEvent("drops", "p", BusPlugin.Json("0"));
        await publisher.PublishAsync(message);
        await entered.Task.WaitAsync(TimeSpan.FromSeconds(15));
        for (var i = 0; i < 5; i++) await publisher.PublishAsync(message);
        gate.Set();

        Assert.Equal(4, Interlocked.Read(ref dropped));
        Assert.Equal("m/drops", address);
    }
}
