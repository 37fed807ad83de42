using System.Text.Json.Nodes;
using Vyra.Sdk;
using Vyra.Sdk.EndToEnd.Tests.Plugins;
using Xunit;
using static Vyra.Sdk.EndToEnd.Tests.SamplePlugins;

namespace Vyra.Sdk.EndToEnd.Tests;

/// <summary>Generated proxies on the Wasmtime backend return what <see cref="PluginRuntime.CallAsync"/> returns, export by export.</summary>
public class WasmProxyTests
{
    [Fact]
    public async Task Counter_widget_proxy_matches_CallAsync_and_honours_the_typed_state()
    {
        await using var counter = CounterWidgetPlugin.Create(Module("counter-widget"), initialState: new CounterWidgetState { Start = 10 });
        await counter.StartAsync();

        Assert.IsType<WasmRuntime>(counter.Runtime);
        Assert.Equal(10, counter.GetCount());
        Assert.Equal(counter.GetCount(), await Call(counter.Runtime, "get_count"));
        Assert.Equal(15, counter.Increment(5));
        Assert.Equal(20, await Call(counter.Runtime, "increment", ("step", 5)));
        Assert.Equal(21, await counter.IncrementAsync(1));
        Assert.Equal(-4, counter.Init(-4));
        Assert.Equal(0, counter.Reset());
        Assert.Equal(0, await Call(counter.Runtime, "get_count"));
    }

    [Fact]
    public async Task Math_kit_proxy_matches_CallAsync_for_every_scalar_type_and_multi_value()
    {
        await using var math = MathKitPlugin.Create(Module("math-kit"));
        await math.StartAsync();

        Assert.Equal(await Call(math.Runtime, "add_i64", ("a", 1L << 40), ("b", 7L)), math.AddI64(1L << 40, 7));
        Assert.Equal(long.MinValue, math.AddI64(long.MaxValue, 1));
        Assert.Equal(await Call(math.Runtime, "scale", ("x", 1.5f), ("factor", 4f)), math.Scale(1.5f, 4f));
        Assert.Equal(await Call(math.Runtime, "hypot", ("a", 3d), ("b", 4d)), math.Hypot(3, 4));
        Assert.Equal(5d, await math.HypotAsync(3, 4));
        var list = Assert.IsType<List<object?>>(await Call(math.Runtime, "divmod", ("a", -17), ("b", 5)));
        Assert.Equal((list[0], list[1]), ((object?)math.Divmod(-17, 5).Item1, (object?)math.Divmod(-17, 5).Item2));
        Assert.Equal((-3, -2), await math.DivmodAsync(-17, 5));
        Assert.Equal(await Call(math.Runtime, "fib", ("n", 90)), math.Fib(90));
    }

    [Fact]
    public async Task Text_tools_proxy_matches_CallAsync_for_strings_bytes_json_and_void()
    {
        var host = new TestHost();
        await using var text = TextToolsPlugin.Create(Module("text-tools"), host);
        await text.StartAsync();

        Assert.Equal(await Call(text.Runtime, "upper", ("text", "héllo")), text.Upper("héllo"));
        Assert.Equal("HéLLO", await text.UpperAsync("héllo"));
        Assert.Equal(await Call(text.Runtime, "echo", ("text", "")), text.Echo(""));
        Assert.Equal(await Call(text.Runtime, "byte_sum", ("data", new byte[] { 1, 2, 250 })), text.ByteSum([1, 2, 250]));
        Assert.Equal(await Call(text.Runtime, "word_count", ("text", " a b  c ")), text.WordCount(" a b  c "));
        Assert.Equal(await Call(text.Runtime, "greet", ("name", "Ada")), text.Greet("Ada"));
        Assert.Contains("greet: Ada", host.Logs);
        Assert.Equal(await Call(text.Runtime, "shout", ("text", "hey")), text.Shout("hey"));
        Assert.Contains("text.shout", host.Events);

        var doc = new JsonObject { ["a"] = new JsonArray(1, 2) };
        var viaCall = Assert.IsAssignableFrom<JsonNode>(await Call(text.Runtime, "describe", ("doc", doc.DeepClone())));
        Assert.Equal(viaCall.ToJsonString(), text.Describe(doc)!.ToJsonString());
        Assert.Equal("{\"length\":4}", (await text.DescribeAsync(JsonValue.Create("ab")))!.ToJsonString());

        var before = text.EventCount();
        text.OnEvent("text.test", new JsonObject { ["x"] = 1 });
        await text.OnEventAsync("text.other", null);
        Assert.Equal(before + 2, text.EventCount());
        Assert.Equal(before + 2, await Call(text.Runtime, "event_count"));
    }

    [Fact]
    public async Task A_generated_host_binding_is_called_by_the_real_guest()
    {
        var host = new TestHost();
        await using var calc = HostCalcPlugin.Create(Module("host-calc"), host);
        await calc.StartAsync();

        Assert.Equal(42, calc.Add(40, 2));
        Assert.Equal(1, host.AddCalls);
        Assert.Equal(5050, await calc.SumToAsync(100));
        Assert.Equal(101, host.AddCalls);
        Assert.Equal("42", calc.Lookup("answer"));
        Assert.Equal("unknown:héllo", await calc.LookupAsync("héllo"));
        Assert.Equal(calc.Lookup("x"), await Call(calc.Runtime, "lookup", ("key", "x")));
    }

    [Fact]
    public async Task A_generated_async_host_binding_that_never_finishes_still_ends_the_call_at_its_deadline()
    {
        var options = new PluginRuntimeOptions { Timeout = TimeSpan.FromMilliseconds(300) };
        await using var calc = HostCalcPlugin.Create(Module("host-calc"), new HangingHost(), options: options);
        await calc.StartAsync();

        // Task- and ValueTask-returning host methods alike; the hang guard only turns a regression into a failure.
        var add = await Assert.ThrowsAsync<PluginCallException>(() => Task.Run(() => calc.Add(1, 2)).WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.Equal(PluginErrorKind.Timeout, add.Kind);
        var lookup = await Assert.ThrowsAsync<PluginCallException>(() => calc.LookupAsync("k").AsTask().WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.Equal(PluginErrorKind.Timeout, lookup.Kind);
    }

    [Fact]
    public async Task Without_the_generated_bindings_the_plugin_cannot_start()
    {
        // NullHostFunctions offers only the built-ins: host_add and host_lookup are missing.
        await using var calc = HostCalcPlugin.Create(Module("host-calc"));
        var ex = await Assert.ThrowsAsync<PluginLoadException>(() => calc.StartAsync().AsTask());
        Assert.Contains("host_add", ex.Message);
    }

    [Fact]
    public async Task Failures_surface_as_PluginCallException_with_their_kind()
    {
        await using var math = MathKitPlugin.Create(Module("math-kit"));
        Assert.Equal(PluginErrorKind.NotStarted, Assert.Throws<PluginCallException>(() => math.Fib(1)).Kind);
        await math.StartAsync();

        Assert.Equal(PluginErrorKind.Trap, Assert.Throws<PluginCallException>(() => math.Divmod(1, 0)).Kind);
        var pending = math.DivmodAsync(1, 0); // an async method reports failures through its task
        Assert.Equal(PluginErrorKind.Trap, (await Assert.ThrowsAsync<PluginCallException>(() => pending.AsTask())).Kind);
        Assert.Equal((1, 0), math.Divmod(1, 1)); // still usable

        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();
        var call = math.FibAsync(10, cancelled.Token);
        Assert.Equal(PluginErrorKind.Cancelled, (await Assert.ThrowsAsync<PluginCallException>(() => call.AsTask())).Kind);
    }

    [Fact]
    public async Task Proxies_are_safe_to_call_from_many_threads()
    {
        await using var counter = CounterWidgetPlugin.Create(Module("counter-widget"));
        await counter.StartAsync();
        counter.Reset();

        await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(() =>
        {
            for (var i = 0; i < 500; i++) counter.Increment(1);
        })));

        Assert.Equal(4000, counter.GetCount());
    }
}
