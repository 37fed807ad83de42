using Vyra.Sdk;
using Vyra.Sdk.Tests.Support;
using Xunit;

namespace Vyra.Sdk.Tests.Runtime;

public class StubRuntimeTests
{
    [Fact]
    public async Task State_is_a_copy_get_state_copies_and_set_state_merges()
    {
        var initial = new Dictionary<string, object?> { ["count"] = 1 };
        await using var stub = new StubRuntime("s", initialState: initial);
        await stub.StartAsync();
        var merged = await stub.CallAsync("set_state", SamplePlugins.Args(("count", 2), ("label", "x")));
        Assert.Equal(2, merged["count"]);
        Assert.Equal("x", merged["label"]);
        Assert.Equal(1, initial["count"]);
        Assert.False(initial.ContainsKey("label"));
        var copy = (Dictionary<string, object?>)await stub.CallAsync("get_state");
        copy["count"] = 99;
        Assert.Equal(2, (await stub.CallAsync("get_state"))["count"]);
    }

    [Fact]
    public async Task State_survives_stop_and_start()
    {
        await using var stub = new StubRuntime("s");
        await stub.StartAsync();
        await stub.CallAsync("set_state", SamplePlugins.Args(("k", 5)));
        await stub.StopAsync();
        await stub.StartAsync();
        Assert.Equal(5, (await stub.CallAsync("get_state"))["k"]);
    }

    [Fact]
    public async Task Registered_handlers_answer_other_names_and_their_failures_are_call_exceptions()
    {
        await using var stub = new StubRuntime("s");
        stub.RegisterHandler("increment", (data, _) => ValueTask.FromResult<IReadOnlyDictionary<string, object?>>(new Dictionary<string, object?> { ["result"] = ScalarCoercion.ToInt32(data["step"]) + 1 }));
        stub.RegisterHandler("boom", (_, _) => throw new InvalidOperationException("bad"));
        await stub.StartAsync();
        Assert.Equal(3, (await stub.CallAsync("increment", SamplePlugins.Args(("step", "2"))))["result"]);
        var ex = await Assert.ThrowsAsync<PluginCallException>(async () => await stub.CallAsync("boom"));
        Assert.IsType<InvalidOperationException>(ex.InnerException);
    }

    private sealed class EchoStub() : StubRuntime("echo")
    {
        protected override ValueTask<IReadOnlyDictionary<string, object?>?> DispatchAsync(string function, IReadOnlyDictionary<string, object?> data, CancellationToken cancellationToken) =>
            function == "echo"
                ? ValueTask.FromResult<IReadOnlyDictionary<string, object?>?>(new Dictionary<string, object?> { ["result"] = data["text"] })
                : base.DispatchAsync(function, data, cancellationToken);
    }

    [Fact]
    public async Task A_subclass_extends_dispatch_and_keeps_the_built_ins()
    {
        await using var stub = new EchoStub();
        await stub.StartAsync();
        Assert.Equal("hi", (await stub.CallAsync("echo", SamplePlugins.Args(("text", "hi"))))["result"]);
        Assert.Empty(await stub.CallAsync("get_state"));
    }

    [Fact]
    public async Task Events_reach_an_on_event_handler_or_are_a_no_op()
    {
        await using var stub = new StubRuntime("s");
        await stub.StartAsync();
        await stub.OnEventAsync("nobody.listens");
        string? seen = null;
        stub.RegisterHandler("on_event", (data, _) =>
        {
            seen = (string?)data["name"];
            return ValueTask.FromResult<IReadOnlyDictionary<string, object?>>(new Dictionary<string, object?>());
        });
        await stub.OnEventAsync("text.changed");
        Assert.Equal("text.changed", seen);
    }
}
