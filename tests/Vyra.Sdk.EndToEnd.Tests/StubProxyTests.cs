using System.Text.Json.Nodes;
using Vyra.Sdk;
using Vyra.Sdk.EndToEnd.Tests.Plugins;
using Xunit;

namespace Vyra.Sdk.EndToEnd.Tests;

/// <summary>On a <see cref="StubRuntime"/> the proxies go through <c>CallAsync</c> and convert the results to their types.</summary>
public class StubProxyTests
{
    private static StubHandler Returns(object? value) => (_, _) => ValueTask.FromResult<IReadOnlyDictionary<string, object?>>(new Dictionary<string, object?> { ["result"] = value });

    [Fact]
    public async Task Create_falls_back_to_the_stub_and_passes_the_typed_state()
    {
        await using var counter = CounterWidgetPlugin.Create(Path.Combine(AppContext.BaseDirectory, "no-such-plugin.wasm"), initialState: new CounterWidgetState { Start = 7 });
        var stub = Assert.IsType<StubRuntime>(counter.Runtime);
        await counter.StartAsync();

        Assert.Equal(7, stub.GetState()["start"]);
        stub.RegisterHandler("increment", (data, _) => ValueTask.FromResult<IReadOnlyDictionary<string, object?>>(
            new Dictionary<string, object?> { ["result"] = 100 + (int)data["step"]! }));
        Assert.Equal(103, counter.Increment(3));
        Assert.Equal(104, await counter.IncrementAsync(4));
        Assert.Equal(PluginErrorKind.UnknownFunction, Assert.Throws<PluginCallException>(() => counter.Reset()).Kind);
    }

    [Fact]
    public async Task Stub_results_are_converted_to_the_declared_types()
    {
        var stub = new StubRuntime(MathKitPlugin.PluginId)
            .RegisterHandler("add_i64", Returns("12"))           // coerced like the wasm path would (Python int())
            .RegisterHandler("scale", Returns(2.5))
            .RegisterHandler("hypot", Returns(5))
            .RegisterHandler("divmod", Returns(new List<object?> { 3, 2L }))
            .RegisterHandler("fib", Returns(JsonValue.Create(55)));
        await using var math = new MathKitPlugin(stub);
        await math.StartAsync();

        Assert.Equal(12L, math.AddI64(1, 2));
        Assert.Equal(2.5f, math.Scale(1, 1));
        Assert.Equal(5d, await math.HypotAsync(3, 4));
        Assert.Equal((3, 2), math.Divmod(17, 5));
        Assert.Equal(55L, await math.FibAsync(10));

        stub.RegisterHandler("divmod", Returns(7));
        Assert.Equal(PluginErrorKind.Abi, Assert.Throws<PluginCallException>(() => math.Divmod(1, 1)).Kind);
    }

    [Fact]
    public async Task Stub_memory_values_and_void_exports_work()
    {
        var received = new List<object?>();
        var stub = new StubRuntime(TextToolsPlugin.PluginId)
            .RegisterHandler("upper", (data, _) => ValueTask.FromResult<IReadOnlyDictionary<string, object?>>(
                new Dictionary<string, object?> { ["result"] = ((string)data["text"]!).ToUpperInvariant() }))
            .RegisterHandler("byte_sum", (data, _) => ValueTask.FromResult<IReadOnlyDictionary<string, object?>>(
                new Dictionary<string, object?> { ["result"] = ((byte[])data["data"]!).Sum(b => b) }))
            .RegisterHandler("describe", Returns(JsonNode.Parse("{\"length\":2}")))
            .RegisterHandler("on_event", (data, _) =>
            {
                received.Add(data["name"]);
                return ValueTask.FromResult<IReadOnlyDictionary<string, object?>>(new Dictionary<string, object?>());
            });
        await using var text = new TextToolsPlugin(stub);
        await text.StartAsync();

        Assert.Equal("ABC", text.Upper("abc"));
        Assert.Equal(6, await text.ByteSumAsync([1, 2, 3]));
        Assert.Equal("{\"length\":2}", text.Describe(JsonValue.Create(1))!.ToJsonString());
        text.OnEvent("a.b", null);
        await text.OnEventAsync("c.d", new JsonObject());
        Assert.Equal(["a.b", "c.d"], received);
    }

    [Fact]
    public async Task The_interface_lets_applications_fake_a_plugin()
    {
        ICounterWidgetPlugin fake = new FakeCounter();
        Assert.Equal(2, fake.Increment(2));
        Assert.Equal(5, await fake.IncrementAsync(3));
        await fake.DisposeAsync();
    }

    private sealed class FakeCounter : ICounterWidgetPlugin
    {
        private int _count;

        public PluginRuntime Runtime { get; } = new StubRuntime("counter-widget");

        public ValueTask StartAsync(CancellationToken cancellationToken = default) => default;

        public ValueTask StopAsync(CancellationToken cancellationToken = default) => default;

        public ValueTask DisposeAsync() => default;

        public int Init(int start) => _count = start;

        public ValueTask<int> InitAsync(int start, CancellationToken cancellationToken = default) => new(Init(start));

        public int Increment(int step) => _count += step;

        public ValueTask<int> IncrementAsync(int step, CancellationToken cancellationToken = default) => new(Increment(step));

        public int Reset() => _count = 0;

        public ValueTask<int> ResetAsync(CancellationToken cancellationToken = default) => new(Reset());

        public int GetCount() => _count;

        public ValueTask<int> GetCountAsync(CancellationToken cancellationToken = default) => new(_count);
    }

    private static TProxy Wrap<TProxy>(PluginRuntime runtime)
        where TProxy : IPluginProxy<TProxy> => TProxy.FromRuntime(runtime);

    [Fact]
    public async Task Generic_code_builds_and_runs_any_proxy_through_IPluginProxy()
    {
        Assert.Equal("counter-widget", IdOf<CounterWidgetPlugin>());
        var stub = new StubRuntime("counter-widget");
        stub.RegisterHandler("get_count", (_, _) => ValueTask.FromResult<IReadOnlyDictionary<string, object?>>(new Dictionary<string, object?> { ["result"] = 7 }));
        await using IPluginProxy proxy = Wrap<CounterWidgetPlugin>(stub);
        Assert.Same(stub, proxy.Runtime);
        await proxy.StartAsync();
        Assert.Equal(7, ((CounterWidgetPlugin)proxy).GetCount());
        await proxy.StopAsync();
        Assert.False(stub.IsRunning);
    }

    private static string IdOf<TProxy>()
        where TProxy : IPluginProxy<TProxy> => TProxy.PluginId;
}
