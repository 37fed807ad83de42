using System.Text.Json.Nodes;
using Vyra.Sdk;
using Vyra.Sdk.Tests.Support;
using Xunit;

namespace Vyra.Sdk.Tests.Bus;

/// <summary>
/// Plugins talking over an in-process bus through the guest imports (real Wasmtime, WAT compiled in the test). Each test
/// owns its bus, so parallel tests never see each other's events.
/// </summary>
public class GuestBusTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(15);

    private static PluginRuntimeOptions Options(PluginBusOptions? bus = null, GuestConcurrency? cap = null, TimeSpan? timeout = null) => new()
    {
        Bus = bus ?? PluginBusOptions.Default,
        GuestConcurrency = cap,
        Timeout = timeout ?? TimeSpan.FromSeconds(15),
    };

    private static async Task<WasmRuntime> StartAsync(TempPlugin plugin, string id, BusHost host, PluginRuntimeOptions? options = null)
    {
        var runtime = new WasmRuntime(id, plugin.ModulePath, host, null, options ?? Options());
        await runtime.StartAsync();
        return runtime;
    }

    private static async Task<JsonObject> RequestAsync(PluginRuntime runtime, string service, object? payload)
    {
        var result = await runtime.CallAsync("request_to", BusPlugin.Args(("service", service), ("payload", payload))).AsTask().WaitAsync(Bound);
        return Assert.IsType<JsonObject>(result["result"]);
    }

    [Fact]
    public async Task Two_plugins_talk_publish_reaches_on_event_and_a_request_gets_on_requests_reply()
    {
        var bus = new InProcessBus();
        using var pa = BusPlugin.Create("sensor");
        using var pb = BusPlugin.Create("panel");
        var hostA = new BusHost(bus);
        var hostB = new BusHost(bus);
        await using var sensor = await StartAsync(pa, "sensor", hostA);
        await using var panel = await StartAsync(pb, "panel", hostB);

        await panel.CallAsync("subscribe_to", BusPlugin.Args(("topic", "readings")));
        await sensor.CallAsync("serve_as", BusPlugin.Args(("service", "calibrate")));
        await sensor.CallAsync("publish_to", BusPlugin.Args(("topic", "readings"), ("payload", new JsonObject { ["celsius"] = 21.5 })));

        Assert.Equal("readings", await hostB.NextLogAsync()); // on_event's name is the topic text the plugin subscribed with
        Assert.Equal("""{"celsius":21.5}""", await hostB.NextLogAsync());
        Assert.Equal(1, (await panel.CallAsync("event_count"))["result"]);

        var reply = await RequestAsync(panel, "calibrate", new JsonObject { ["offset"] = 2 });
        Assert.Equal("sensor", (string?)reply["plugin_id"]);
        Assert.True((bool)reply["success"]!);
        Assert.Equal(2, (int)reply["data"]!["offset"]!);
        Assert.Null(reply["error"]);
    }

    [Fact]
    public async Task A_request_nobody_serves_fails_at_once_with_a_clear_reply()
    {
        var bus = new InProcessBus();
        using var plugin = BusPlugin.Create("lonely");
        await using var runtime = await StartAsync(plugin, "lonely", new BusHost(bus), Options(new PluginBusOptions { RequestTimeout = TimeSpan.FromMinutes(5) }));

        var reply = await RequestAsync(runtime, "nobody", 1); // the bound (15 s) is far below the 5 min timeout
        Assert.False((bool)reply["success"]!);
        Assert.Null(reply["plugin_id"]);
        Assert.Equal("no server for 'local/nobody'", (string?)reply["error"]);
    }

    [Fact]
    public async Task A_server_that_never_answers_yields_the_timeout_reply_long_before_the_calls_deadline()
    {
        var bus = new InProcessBus();
        using var pa = BusPlugin.Create("stuck");
        using var pb = BusPlugin.Create("asker");
        await using var stuck = await StartAsync(pa, "stuck", new BusHost(bus), Options(timeout: TimeSpan.FromSeconds(10)));
        await using var asker = await StartAsync(pb, "asker", new BusHost(bus), Options(new PluginBusOptions { RequestTimeout = TimeSpan.FromMilliseconds(300) }, timeout: TimeSpan.FromMinutes(1)));
        await stuck.CallAsync("serve_as", BusPlugin.Args(("service", "slow")));
        await stuck.CallAsync("set_mode", BusPlugin.Args(("mode", 2))); // on_request spins until its own call times out

        var reply = await RequestAsync(asker, "slow", 1);

        Assert.Equal("""{"plugin_id":null,"success":false,"data":null,"error":"timeout"}""", reply.ToJsonString());
    }

    [Fact]
    public async Task A_trapping_subscriber_loses_that_event_only_and_the_next_one_arrives()
    {
        var bus = new InProcessBus();
        using var pa = BusPlugin.Create("pub");
        using var pb = BusPlugin.Create("sub");
        var hostB = new BusHost(bus);
        await using var pub = await StartAsync(pa, "pub", new BusHost(bus));
        await using var sub = await StartAsync(pb, "sub", hostB);
        await sub.CallAsync("subscribe_to", BusPlugin.Args(("topic", "t")));
        await sub.CallAsync("set_mode", BusPlugin.Args(("mode", 1))); // the next on_event traps

        await pub.CallAsync("publish_to", BusPlugin.Args(("topic", "t"), ("payload", "first")));
        await pub.CallAsync("publish_to", BusPlugin.Args(("topic", "t"), ("payload", "second")));

        Assert.Equal("t", await hostB.NextLogAsync());
        Assert.Equal("\"second\"", await hostB.NextLogAsync());
        Assert.Equal(1, (await sub.CallAsync("event_count"))["result"]);
        Assert.True(sub.IsRunning);
    }

    [Fact]
    public async Task A_trapping_server_answers_a_failed_reply_naming_the_kind_only()
    {
        var bus = new InProcessBus();
        using var pa = BusPlugin.Create("broken");
        using var pb = BusPlugin.Create("client");
        await using var broken = await StartAsync(pa, "broken", new BusHost(bus));
        await using var client = await StartAsync(pb, "client", new BusHost(bus));
        await broken.CallAsync("serve_as", BusPlugin.Args(("service", "svc")));
        await broken.CallAsync("set_mode", BusPlugin.Args(("mode", 1)));

        var reply = await RequestAsync(client, "svc", 1);

        Assert.False((bool)reply["success"]!);
        Assert.Equal("broken", (string?)reply["plugin_id"]);
        Assert.Equal("plugin 'broken' failed to answer 'svc' (Trap)", (string?)reply["error"]);
        await broken.CallAsync("set_mode", BusPlugin.Args(("mode", 0)));
        Assert.True((bool)(await RequestAsync(client, "svc", 7))["success"]!);
    }

    [Fact]
    public async Task A_denied_publish_fails_the_guests_call_with_PermissionDenied_naming_the_operation()
    {
        var bus = new InProcessBus();
        using var plugin = BusPlugin.Create("reader", interfaces: """[{"transport":"subscribe","module_name":"local","module_id":null}]""");
        await using var runtime = await StartAsync(plugin, "reader", new BusHost(bus));

        var ex = await Assert.ThrowsAsync<PluginCallException>(async () => await runtime.CallAsync("publish_to", BusPlugin.Args(("topic", "readings"), ("payload", 1))));

        Assert.Equal(PluginErrorKind.PermissionDenied, ex.Kind);
        Assert.Contains("may not publish on 'local/readings'", ex.Message);
        Assert.True(runtime.IsRunning);
        await runtime.CallAsync("subscribe_to", BusPlugin.Args(("topic", "readings"))); // what it may do still works
    }

    [Fact]
    public async Task A_plugin_without_a_manifest_permission_list_may_do_nothing_on_the_bus()
    {
        var bus = new InProcessBus();
        using var plugin = BusPlugin.Create("mute", interfaces: null);
        await using var runtime = await StartAsync(plugin, "mute", new BusHost(bus));

        foreach (var (function, args) in new[]
        {
            ("publish_to", BusPlugin.Args(("topic", "t"), ("payload", 1))),
            ("subscribe_to", BusPlugin.Args(("topic", "t"))),
            ("serve_as", BusPlugin.Args(("service", "s"))),
            ("request_to", BusPlugin.Args(("service", "s"), ("payload", 1))),
        })
        {
            var ex = await Assert.ThrowsAsync<PluginCallException>(async () => await runtime.CallAsync(function, args));
            Assert.Equal(PluginErrorKind.PermissionDenied, ex.Kind);
        }
    }

    [Fact]
    public async Task An_invalid_address_is_InvalidArgument()
    {
        var bus = new InProcessBus();
        using var plugin = BusPlugin.Create("typo");
        await using var runtime = await StartAsync(plugin, "typo", new BusHost(bus));

        var ex = await Assert.ThrowsAsync<PluginCallException>(async () => await runtime.CallAsync("publish_to", BusPlugin.Args(("topic", "a/b/c/d"), ("payload", 1))));
        Assert.Equal(PluginErrorKind.InvalidArgument, ex.Kind);
        ex = await Assert.ThrowsAsync<PluginCallException>(async () => await runtime.CallAsync("subscribe_to", BusPlugin.Args(("topic", "sensors/*"))));
        Assert.Equal(PluginErrorKind.InvalidArgument, ex.Kind);
    }

    [Fact]
    public async Task Subscribing_or_serving_without_the_handler_export_is_InvalidArgument_naming_it()
    {
        var bus = new InProcessBus();
        using var plugin = BusPlugin.Create("bare", onEvent: false, onRequest: false);
        await using var runtime = await StartAsync(plugin, "bare", new BusHost(bus));

        var ex = await Assert.ThrowsAsync<PluginCallException>(async () => await runtime.CallAsync("subscribe_to", BusPlugin.Args(("topic", "t"))));
        Assert.Equal(PluginErrorKind.InvalidArgument, ex.Kind);
        Assert.Contains("exports no on_event", ex.Message);
        ex = await Assert.ThrowsAsync<PluginCallException>(async () => await runtime.CallAsync("serve_as", BusPlugin.Args(("service", "s"))));
        Assert.Equal(PluginErrorKind.InvalidArgument, ex.Kind);
        Assert.Contains("exports no on_request", ex.Message);
    }

    [Fact]
    public async Task A_plugin_requesting_its_own_service_fails_at_once_as_Reentrant()
    {
        var bus = new InProcessBus();
        using var plugin = BusPlugin.Create("narcissus");
        await using var runtime = await StartAsync(plugin, "narcissus", new BusHost(bus), Options(new PluginBusOptions { RequestTimeout = TimeSpan.FromMinutes(5) }));
        await runtime.CallAsync("serve_as", BusPlugin.Args(("service", "mirror")));

        var ex = await Assert.ThrowsAsync<PluginCallException>(async () => await runtime.CallAsync("request_to", BusPlugin.Args(("service", "mirror"), ("payload", 1))).AsTask().WaitAsync(Bound));

        Assert.Equal(PluginErrorKind.Reentrant, ex.Kind);
        Assert.Contains("which it serves itself", ex.Message);
    }

    [Fact]
    public async Task A_publish_to_a_topic_the_same_plugin_subscribes_is_delivered_after_the_call_not_inside_it()
    {
        var bus = new InProcessBus();
        using var plugin = BusPlugin.Create("echo");
        var host = new BusHost(bus);
        await using var runtime = await StartAsync(plugin, "echo", host);
        await runtime.CallAsync("subscribe_to", BusPlugin.Args(("topic", "loop")));

        await runtime.CallAsync("publish_to", BusPlugin.Args(("topic", "loop"), ("payload", 5)));

        Assert.Equal("loop", await host.NextLogAsync());
        Assert.Equal("5", await host.NextLogAsync());
        Assert.Equal(1, (await runtime.CallAsync("event_count"))["result"]);
    }

    [Fact]
    public async Task With_one_guest_slot_for_both_plugins_a_waiting_request_lends_its_slot_to_the_server()
    {
        var bus = new InProcessBus();
        var cap = new GuestConcurrency(1); // Hosting's default on a 2-core machine
        using var pa = BusPlugin.Create("server");
        using var pb = BusPlugin.Create("client");
        await using var server = await StartAsync(pa, "server", new BusHost(bus), Options(cap: cap));
        await using var client = await StartAsync(pb, "client", new BusHost(bus), Options(new PluginBusOptions { RequestTimeout = TimeSpan.FromSeconds(12) }, cap: cap));
        await server.CallAsync("serve_as", BusPlugin.Args(("service", "answer")));

        var reply = await RequestAsync(client, "answer", 42);

        Assert.True((bool)reply["success"]!, reply.ToJsonString());
        Assert.Equal(42, (int)reply["data"]!);
        Assert.Equal(0, cap.Running); // every slot came back, none was given back twice
        await client.CallAsync("event_count");
        Assert.Equal(0, cap.Running);
    }

    [Fact]
    public async Task Stopping_a_plugin_ends_its_subscriptions_and_services()
    {
        var bus = new InProcessBus();
        using var pa = BusPlugin.Create("leaver");
        using var pb = BusPlugin.Create("stayer");
        await using var leaver = await StartAsync(pa, "leaver", new BusHost(bus));
        await using var stayer = await StartAsync(pb, "stayer", new BusHost(bus));
        await leaver.CallAsync("subscribe_to", BusPlugin.Args(("topic", "news")));
        await leaver.CallAsync("serve_as", BusPlugin.Args(("service", "help")));
        var topic = new InterfaceAddress("local", null, "news");
        Assert.Equal(1, bus.SubscriberCount(topic));

        await leaver.StopAsync();

        Assert.Equal(0, bus.SubscriberCount(topic));
        Assert.Equal("no server for 'local/help'", (string?)(await RequestAsync(stayer, "help", 1))["error"]);
        await stayer.CallAsync("publish_to", BusPlugin.Args(("topic", "news"), ("payload", 1))); // nobody listens: fine
        await leaver.StartAsync(); // a restart starts with a fresh facade and no subscriptions
        Assert.Equal(0, bus.SubscriberCount(topic));
        await leaver.CallAsync("subscribe_to", BusPlugin.Args(("topic", "news")));
        Assert.Equal(1, bus.SubscriberCount(topic));
    }

    [Fact]
    public async Task Subscribing_twice_to_the_same_topic_delivers_once()
    {
        var bus = new InProcessBus();
        using var plugin = BusPlugin.Create("twice");
        await using var runtime = await StartAsync(plugin, "twice", new BusHost(bus));
        await runtime.CallAsync("subscribe_to", BusPlugin.Args(("topic", "x")));
        await runtime.CallAsync("subscribe_to", BusPlugin.Args(("topic", "x")));
        Assert.Equal(1, bus.SubscriberCount(new InterfaceAddress("local", null, "x")));
    }

    [Fact]
    public async Task Notify_ui_reaches_the_host_with_the_objects_properties()
    {
        var bus = new InProcessBus();
        using var plugin = BusPlugin.Create("ui", interfaces: null); // notify_ui needs no permission
        var host = new BusHost(bus);
        await using var runtime = await StartAsync(plugin, "ui", host);

        await runtime.CallAsync("notify", BusPlugin.Args(("event", "gauge.update"), ("data", new JsonObject { ["value"] = 3 })));

        var (_, data) = Assert.Single(host.Notifications, n => n.Event == "gauge.update"); // besides plugin.notify.result
        Assert.Equal("3", data["value"]!.ToString());
    }

    [Fact]
    public async Task A_hostile_plugin_flooding_a_topic_is_bounded_and_the_others_keep_working()
    {
        // The rate limiter (VYRA §4) blocks a plugin that keeps exceeding its limit: 20 operations a minute, then three
        // throttled ones, then Blocked. A slow subscriber's queue stays bounded (drops are counted), and another
        // plugin's traffic still flows; the host's Unblock lets the hostile plugin publish again.
        var bus = new InProcessBus(new InProcessBusOptions { QueueCapacity = 8 });
        var limits = new PluginBusOptions { RateLimit = new RateLimitOptions { MaxCalls = 20, Window = TimeSpan.FromMinutes(1), ThrottleStep = TimeSpan.FromMilliseconds(1), BlockAfter = 3 } };
        using var ph = BusPlugin.Create("hostile");
        using var pa = BusPlugin.Create("alice");
        using var pb = BusPlugin.Create("bob");
        var hostB = new BusHost(bus);
        await using var hostile = await StartAsync(ph, "hostile", new BusHost(bus), Options(limits));
        await using var alice = await StartAsync(pa, "alice", new BusHost(bus));
        await using var bob = await StartAsync(pb, "bob", hostB);
        using var gate = new ManualResetEventSlim();
        await using var slow = await bus.CreateSubscriberAsync(new InterfaceAddress("local", null, "flood"), (_, ct) =>
        {
            gate.Wait(ct);
            return ValueTask.CompletedTask;
        });
        await bob.CallAsync("subscribe_to", BusPlugin.Args(("topic", "chat")));

        var blocked = await Assert.ThrowsAsync<PluginCallException>(async () => await hostile.CallAsync("flood", BusPlugin.Args(("n", 10_000))).AsTask().WaitAsync(Bound));
        Assert.Equal(PluginErrorKind.Blocked, blocked.Kind);
        Assert.Contains("'hostile' is blocked", blocked.Message);
        Assert.True(hostile.Facade.IsBlocked);
        Assert.False(alice.Facade.IsBlocked);

        await alice.CallAsync("publish_to", BusPlugin.Args(("topic", "chat"), ("payload", "still here")));
        Assert.Equal("chat", await hostB.NextLogAsync());
        Assert.Equal("\"still here\"", await hostB.NextLogAsync());
        var subscription = Assert.IsType<InProcessSubscription>(slow);
        Assert.True(subscription.Dropped > 0, "a subscriber that does not keep up loses events beyond its queue, it does not grow it");
        gate.Set();

        hostile.Facade.Unblock();
        Assert.False(hostile.Facade.IsBlocked);
        await hostile.CallAsync("publish_to", BusPlugin.Args(("topic", "chat"), ("payload", "sorry")));
        Assert.Equal("chat", await hostB.NextLogAsync());
        Assert.Equal("\"sorry\"", await hostB.NextLogAsync());
    }

    [Fact]
    public async Task Host_code_acts_for_a_plugin_through_its_facade_and_deliveries_take_their_own_guest_slot()
    {
        var bus = new InProcessBus();
        var cap = new GuestConcurrency(1);
        using var plugin = BusPlugin.Create("listener");
        var host = new BusHost(bus);
        await using var runtime = await StartAsync(plugin, "listener", host, Options(cap: cap));
        await runtime.CallAsync("subscribe_to", BusPlugin.Args(("topic", "cmd")));

        await runtime.Facade.PublishAsync("cmd", BusPlugin.Json("""{"go":true}"""));

        Assert.Equal("cmd", await host.NextLogAsync());
        Assert.Equal("""{"go":true}""", await host.NextLogAsync());
        Assert.Contains("subscribe:local", runtime.Facade.Allowed);
    }

    [Fact]
    public async Task A_stub_runtime_has_a_facade_that_allows_nothing_and_ends_with_the_stop()
    {
        var bus = new InProcessBus();
        await using var stub = new StubRuntime("stub", new BusHost(bus));
        await stub.StartAsync();
        var ex = await Assert.ThrowsAsync<PluginCallException>(async () => await stub.Facade.PublishAsync("t", BusPlugin.Json("1")));
        Assert.Equal(PluginErrorKind.PermissionDenied, ex.Kind);
        var facade = stub.Facade;
        await stub.StopAsync();
        await Assert.ThrowsAsync<ObjectDisposedException>(async () => await facade.PublishAsync("t", BusPlugin.Json("1")));
    }

    [Theory]
    [InlineData(5)] // "flood" is not JSON
    [InlineData(int.MaxValue)] // far past the end of memory
    [InlineData(-1)]
    public async Task A_payload_that_is_not_json_or_not_in_memory_fails_the_call_as_Abi_and_publishes_nothing(int length)
    {
        var bus = new InProcessBus();
        using var plugin = BusPlugin.Create("liar");
        await using var runtime = await StartAsync(plugin, "liar", new BusHost(bus));
        var got = 0;
        await using var probe = await bus.CreateSubscriberAsync(new InterfaceAddress("local", null, "flood"), (_, _) =>
        {
            Interlocked.Increment(ref got);
            return ValueTask.CompletedTask;
        });

        var ex = await Assert.ThrowsAsync<PluginCallException>(async () => await runtime.CallAsync("publish_garbage", BusPlugin.Args(("len", length))));

        Assert.Equal(PluginErrorKind.Abi, ex.Kind);
        Assert.Contains("publish", ex.Message);
        Assert.True(runtime.IsRunning);
        Assert.Equal(0, Volatile.Read(ref got));
    }
}
