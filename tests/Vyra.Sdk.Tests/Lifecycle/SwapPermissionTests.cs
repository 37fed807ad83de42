using System.Text.Json.Nodes;
using Vyra.Sdk.Tests.Bus;
using Vyra.Sdk.Tests.Support;
using Xunit;

namespace Vyra.Sdk.Tests.Lifecycle;

/// <summary>
/// A hot swap applies the new manifest's bus permissions: what they no longer allow ends with the swap (subscriptions,
/// services), what they still allow carries on into the new version. Real bus plugins over an in-process bus; every
/// wait is on a delivery, with a bound.
/// </summary>
public class SwapPermissionTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(15);

    private static readonly InterfaceAddress News = new("local", null, "news");
    private static readonly InterfaceAddress Marker = new("aux", null, "marker");

    /// <summary>Publish and request on the host's module, publish on <c>aux</c>.</summary>
    private const string SenderPermissions = """
        [{"transport":"publish","module_name":"local","module_id":null},
         {"transport":"client","module_name":"local","module_id":null},
         {"transport":"publish","module_name":"aux","module_id":null}]
        """;

    /// <summary>Subscribe and serve on the host's module, subscribe on <c>aux</c>.</summary>
    private const string ListenerAll = """
        [{"transport":"subscribe","module_name":"local","module_id":null},
         {"transport":"server","module_name":"local","module_id":null},
         {"transport":"subscribe","module_name":"aux","module_id":null}]
        """;

    /// <summary>Only subscribe on <c>aux</c>: no more <c>local</c> topics, no services.</summary>
    private const string ListenerAuxOnly = """
        [{"transport":"subscribe","module_name":"aux","module_id":null}]
        """;

    private static PluginRuntimeOptions Options() => new() { Bus = PluginBusOptions.Default, Timeout = Bound };

    /// <summary>The listener's version 2.0.0: the same module and exports (a compatible swap), with <paramref name="permissions"/>.</summary>
    private static TempPlugin Version2(string permissions) =>
        TempPlugin.FromWat(BusPlugin.Wat(), BusPlugin.Manifest("listener", permissions).Replace("\"version\":\"1.0.0\"", "\"version\":\"2.0.0\""), "listener");

    private static async Task<WasmRuntime> Started(TempPlugin plugin, string id, BusHost host)
    {
        var runtime = new WasmRuntime(id, plugin.ModulePath, host, null, Options());
        await runtime.StartAsync();
        return runtime;
    }

    private static Task Publish(PluginRuntime sender, string topic, object payload) =>
        sender.CallAsync("publish_to", BusPlugin.Args(("topic", topic), ("payload", payload))).AsTask().WaitAsync(Bound);

    private static async Task<JsonObject> Request(PluginRuntime sender, string service, object payload)
    {
        var result = await sender.CallAsync("request_to", BusPlugin.Args(("service", service), ("payload", payload))).AsTask().WaitAsync(Bound);
        return Assert.IsType<JsonObject>(result["result"]);
    }

    [Fact]
    public async Task A_swap_whose_manifest_drops_subscribe_ends_the_subscription_and_a_new_subscribe_is_PermissionDenied()
    {
        var bus = new InProcessBus();
        using var senderPlugin = BusPlugin.Create("sender", SenderPermissions);
        using var v1 = BusPlugin.Create("listener", ListenerAll);
        using var v2 = Version2(ListenerAuxOnly);
        var listenerHost = new BusHost(bus);
        await using var sender = await Started(senderPlugin, "sender", new BusHost(bus));
        await using var listener = await Started(v1, "listener", listenerHost);
        await listener.CallAsync("subscribe_to", BusPlugin.Args(("topic", "news")));
        await listener.CallAsync("subscribe_to", BusPlugin.Args(("topic", "aux/marker")));
        await listener.CallAsync("serve_as", BusPlugin.Args(("service", "help")));

        // Version 1 receives the topic and answers the service.
        await Publish(sender, "news", 1);
        Assert.Equal("news", await listenerHost.NextLogAsync());
        Assert.Equal("1", await listenerHost.NextLogAsync());
        var answered = await Request(sender, "help", 5);
        Assert.True((bool)answered["success"]!);

        var result = await listener.SwapAsync(v2.ModulePath);
        Assert.Equal(PluginSwapStatus.Swapped, result.Status);
        Assert.Equal("2.0.0", listener.Manifest!.Version);

        // The subscription the new permissions do not allow is gone from the bus; the allowed one stays.
        Assert.Equal(0, bus.SubscriberCount(News));
        Assert.Equal(1, bus.SubscriberCount(Marker));

        // An event on the revoked topic, then a marker on the allowed one: the marker is the first thing to arrive.
        await Publish(sender, "news", 2);
        await Publish(sender, "aux/marker", 3);
        Assert.Equal("aux/marker", await listenerHost.NextLogAsync());
        Assert.Equal("3", await listenerHost.NextLogAsync());
        Assert.False(listenerHost.HasLog, "something besides the marker reached the swapped-in version");
        Assert.Equal(1, (await listener.CallAsync("event_count"))["result"]); // version 2's own count: the marker only

        // The service ended with the swap too.
        var unanswered = await Request(sender, "help", 5);
        Assert.Equal("no server for 'local/help'", (string?)unanswered["error"]);

        // Version 2 may not subscribe there again, nor serve; what it may do still works.
        var denied = await Assert.ThrowsAsync<PluginCallException>(async () => await listener.CallAsync("subscribe_to", BusPlugin.Args(("topic", "news"))));
        Assert.Equal(PluginErrorKind.PermissionDenied, denied.Kind);
        Assert.Contains("'local/news'", denied.Message);
        var deniedServe = await Assert.ThrowsAsync<PluginCallException>(async () => await listener.CallAsync("serve_as", BusPlugin.Args(("service", "help"))));
        Assert.Equal(PluginErrorKind.PermissionDenied, deniedServe.Kind);
        Assert.Equal(0, bus.SubscriberCount(News));
        await listener.CallAsync("subscribe_to", BusPlugin.Args(("topic", "aux/other")));
        Assert.True(listener.IsRunning);
    }

    [Fact]
    public async Task A_swap_keeping_the_permission_keeps_receiving_in_the_new_version()
    {
        var bus = new InProcessBus();
        using var senderPlugin = BusPlugin.Create("sender", SenderPermissions);
        using var v1 = BusPlugin.Create("listener", ListenerAll);
        using var v2 = Version2(ListenerAll);
        var listenerHost = new BusHost(bus);
        await using var sender = await Started(senderPlugin, "sender", new BusHost(bus));
        await using var listener = await Started(v1, "listener", listenerHost);
        await listener.CallAsync("subscribe_to", BusPlugin.Args(("topic", "news")));
        await listener.CallAsync("serve_as", BusPlugin.Args(("service", "help")));
        await Publish(sender, "news", 1);
        Assert.Equal("news", await listenerHost.NextLogAsync());
        Assert.Equal("1", await listenerHost.NextLogAsync());
        Assert.Equal(1, (await listener.CallAsync("event_count"))["result"]);

        var result = await listener.SwapAsync(v2.ModulePath);
        Assert.Equal(PluginSwapStatus.Swapped, result.Status);
        Assert.Equal(1, bus.SubscriberCount(News));

        await Publish(sender, "news", 2);
        Assert.Equal("news", await listenerHost.NextLogAsync());
        Assert.Equal("2", await listenerHost.NextLogAsync());
        // Delivered into version 2 (its globals started afresh: no state exports), not into the retired version 1.
        Assert.Equal(1, (await listener.CallAsync("event_count"))["result"]);
        var answered = await Request(sender, "help", 5);
        Assert.True((bool)answered["success"]!);
        Assert.Equal(5, (int)answered["data"]!);
    }

    [Fact]
    public async Task A_swap_to_a_version_without_on_event_and_on_request_ends_its_subscriptions_and_services()
    {
        var bus = new InProcessBus();
        using var senderPlugin = BusPlugin.Create("sender", SenderPermissions);
        using var v1 = BusPlugin.Create("listener", ListenerAll);
        // The same exports and permissions (a compatible swap), but nothing to receive events or answer requests with.
        using var v2 = TempPlugin.FromWat(BusPlugin.Wat(onEvent: false, onRequest: false),
            BusPlugin.Manifest("listener", ListenerAll).Replace("\"version\":\"1.0.0\"", "\"version\":\"2.0.0\""), "listener");
        await using var sender = await Started(senderPlugin, "sender", new BusHost(bus));
        await using var listener = await Started(v1, "listener", new BusHost(bus));
        await listener.CallAsync("subscribe_to", BusPlugin.Args(("topic", "news")));
        await listener.CallAsync("serve_as", BusPlugin.Args(("service", "help")));
        Assert.Equal(1, bus.SubscriberCount(News));

        var result = await listener.SwapAsync(v2.ModulePath);

        Assert.Equal(PluginSwapStatus.Swapped, result.Status);
        // Kept, every event and request would fail inside the new version; they end with the swap instead.
        Assert.Equal(0, bus.SubscriberCount(News));
        var unanswered = await Request(sender, "help", 5);
        Assert.Equal("no server for 'local/help'", (string?)unanswered["error"]);
    }
}
